"""The built-in HTTP connector against a real HTTP server on localhost."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orchestration.handlers import HttpConnectorError, JobContext, get_handler, is_registered


class _Echo(BaseHTTPRequestHandler):
    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        status = 503 if self.path.startswith("/down") else 200
        payload = {"method": self.command, "path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _reply

    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _job(variables: dict, headers: dict | None = None) -> JobContext:
    return JobContext(
        key=uuid.uuid4(),
        type="http",
        instance_key=uuid.uuid4(),
        business_key="",
        bpmn_process_id="p",
        element_id="call",
        retries=3,
        attempt=1,
        headers=headers or {},
        variables=variables,
    )


def test_http_connector_is_registered_under_camunda_names():
    assert is_registered("http") and is_registered("io.camunda:http-json:1") and is_registered("http-connector")


def test_http_connector_posts_json_and_returns_status_and_parsed_body(server):
    result = get_handler("http")(
        _job(
            {"url": f"{server}/orders", "method": "post", "body": {"id": 7}, "headers": {"Authorization": "Bearer t"}},
            {"resultVariable": "reply"},
        )
    )
    reply = result["reply"]
    assert reply["status"] == 200
    assert reply["body"]["method"] == "POST"
    assert json.loads(reply["body"]["body"]) == {"id": 7}
    assert reply["body"]["auth"] == "Bearer t"


def test_http_connector_raises_on_non_2xx_so_the_job_is_retried(server):
    with pytest.raises(HttpConnectorError, match="answered 503"):
        get_handler("http")(_job({"url": f"{server}/down"}))


def test_http_connector_refuses_a_url_that_is_not_http():
    with pytest.raises(HttpConnectorError, match="url"):
        get_handler("http")(_job({"url": "file:///etc/passwd"}))
