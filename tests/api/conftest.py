"""Personas, processes and clients for the /api/v1 tests.

alice is an operator, bob support (read only), carol and cody approvers
(Tasklist), erin an admin, walt a worker (service account), dave has no role.
Every client authenticates with a real token (the async job activation view
does its own authentication, so force_authenticate would not reach it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orchestration import services
from tests.integration.helpers import sequence_process, service_task

BASE_DIR = Path(settings.BASE_DIR)

THREE_TASKS = sequence_process(
    "api-three", ("a", service_task("a", "api.a")), ("b", service_task("b", "api.b")), ("c", service_task("c", "api.c"))
)
ONE_TASK = sequence_process("api-one", ("work", service_task("work", "api.work", retries=2)))

ERROR_BOUNDARY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://example.com/api">
  <bpmn:error id="err-declined" name="Declined" errorCode="DECLINED" />
  <bpmn:process id="api-charge" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
    <bpmn:serviceTask id="charge">
      <bpmn:extensionElements><zeebe:taskDefinition type="api.charge" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="end" />
    <bpmn:endEvent id="end" />
    <bpmn:boundaryEvent id="declined" attachedToRef="charge">
      <bpmn:errorEventDefinition errorRef="err-declined" />
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="declined" targetRef="end-declined" />
    <bpmn:endEvent id="end-declined" />
  </bpmn:process>
</bpmn:definitions>
"""

MESSAGE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://example.com/api">
  <bpmn:message id="m-paid" name="api-paid">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=orderId" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:signal id="s-go" name="api-go" />
  <bpmn:process id="api-message" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait-paid" />
    <bpmn:intermediateCatchEvent id="wait-paid">
      <bpmn:messageEventDefinition messageRef="m-paid" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="wait-paid" targetRef="wait-go" />
    <bpmn:intermediateCatchEvent id="wait-go">
      <bpmn:signalEventDefinition signalRef="s-go" />
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="wait-go" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

USER_TASKS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://example.com/api">
  <bpmn:process id="api-review" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review" />
    <bpmn:userTask id="review" name="Review" camunda:candidateGroups="approver">
      <bpmn:extensionElements>
        <camunda:formData>
          <camunda:formField id="approved" label="Approve?" type="boolean" />
        </camunda:formData>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
  <bpmn:process id="api-finance" isExecutable="true">
    <bpmn:startEvent id="fstart" />
    <bpmn:sequenceFlow id="g1" sourceRef="fstart" targetRef="book" />
    <bpmn:userTask id="book" name="Book it" camunda:candidateGroups="finance" />
    <bpmn:sequenceFlow id="g2" sourceRef="book" targetRef="fend" />
    <bpmn:endEvent id="fend" />
  </bpmn:process>
</bpmn:definitions>
"""

INVALID = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="http://example.com/api">
  <bpmn:process id="api-broken" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="nowhere" />
  </bpmn:process>
</bpmn:definitions>
"""


def make_user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="pw")
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def alice(db) -> User:
    return make_user("alice", "operator")


@pytest.fixture
def bob(db) -> User:
    return make_user("bob", "support")


@pytest.fixture
def carol(db) -> User:
    return make_user("carol", "approver")


@pytest.fixture
def cody(db) -> User:
    return make_user("cody", "approver")


@pytest.fixture
def dave(db) -> User:
    return make_user("dave")


@pytest.fixture
def erin(db) -> User:
    return make_user("erin", "admin")


@pytest.fixture
def walt(db) -> User:
    return make_user("walt", "worker")


def token_for(user: User) -> str:
    return Token.objects.get_or_create(user=user)[0].key


@pytest.fixture
def api():
    """api(user) -> an APIClient authenticated with the user's token; api() is anonymous."""

    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return make


def deploy(xml: str, name: str = "process.bpmn"):
    return services.deploy(xml, actor="test", resource_name=name).definitions


@pytest.fixture
def processes(db):
    """Every process above, deployed."""
    for name, xml in (
        ("three.bpmn", THREE_TASKS),
        ("one.bpmn", ONE_TASK),
        ("charge.bpmn", ERROR_BOUNDARY),
        ("message.bpmn", MESSAGE),
        ("review.bpmn", USER_TASKS),
    ):
        deploy(xml, name)


def start(process_id: str, business_key: str = "", **variables):
    return services.start_instance(process_id, business_key=business_key, variables=variables, actor="test")


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


# -- a real ASGI server (uvicorn) on the test database ------------------------------------------


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    query = f"?{urlencode(db['OPTIONS'])}" if db.get("OPTIONS") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}{query}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def api_server(transactional_db, tmp_path):
    """`uvicorn config.asgi:application` in its own process group, on a free port, on the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("the live server tests need PostgreSQL (the server is another process)")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(BASE_DIR),
        "PYTHONUNBUFFERED": "1",
        "LOG_LEVEL": "WARNING",
    }
    log_path = tmp_path / "uvicorn.log"
    log = log_path.open("wb")
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = Server(f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{server.url}/api/v1/health", timeout=1)
            break
        except httpx.HTTPError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"uvicorn did not start:\n{server.tail()}") from None
            time.sleep(0.1)
    yield server
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()
    print(f"\n----- uvicorn, last lines -----\n{server.tail()}")
