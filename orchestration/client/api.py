"""The HTTP side of the SDK: one method per /api/v1 call the workers and services need."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

API_PREFIX = "/api/v1"


class ApiError(Exception):
    """An error answer of the API: its HTTP status and the stable error code."""

    def __init__(self, status: int, code: str, message: str, body: Any = None):
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        super().__init__(f"{status} {code}: {message}")


@dataclass
class Job:
    """An activated job: locked for this worker until lock_expires_at."""

    key: str
    type: str
    process_instance_key: str
    process_id: str
    business_key: str
    element_id: str
    element_instance_key: str
    retries: int
    attempt: int
    worker: str
    lock_expires_at: dt.datetime | None
    variables: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Job:
        expires = data.get("lockExpiresAt")
        return cls(
            key=data["key"],
            type=data["type"],
            process_instance_key=data["processInstanceKey"],
            process_id=data["processId"],
            business_key=data.get("businessKey") or "",
            element_id=data["elementId"],
            element_instance_key=data["elementInstanceKey"],
            retries=int(data["retries"]),
            attempt=int(data.get("attempt") or 1),
            worker=data.get("worker") or "",
            lock_expires_at=dt.datetime.fromisoformat(expires.replace("Z", "+00:00")) if expires else None,
            variables=dict(data.get("variables") or {}),
            headers=dict(data.get("headers") or {}),
        )


def default_worker_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class Client:
    """`Client(base_url, token=...)` or `Client(base_url, auth=(user, password))`.

    base_url is the server (http://host:8000) or its API root (.../api/v1).
    HTTP calls are thread-safe (one httpx connection pool); `worker()` and
    `run()` are the worker runtime (orchestration.client.worker).
    """

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        auth: tuple[str, str] | None = None,
        worker_name: str | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ):
        root = base_url.rstrip("/")
        if not root.endswith(API_PREFIX):
            root += API_PREFIX
        headers = {"Accept": "application/json", "User-Agent": "orchestration-client/1"}
        if token:
            headers["Authorization"] = f"Token {token}"
        self.base_url = root
        self.worker_name = worker_name or default_worker_name()
        self.timeout = timeout
        self._http = httpx.Client(
            base_url=root,
            headers=headers,
            auth=auth if not token else None,
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )
        self._workers: list = []
        self._stopping = threading.Event()

    # -- plumbing ------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def request(
        self, method: str, path: str, *, json: Any = None, params: Any = None, timeout: float | None = None
    ) -> Any:
        response = self._http.request(method, path, json=json, params=params, timeout=timeout or self.timeout)
        if response.status_code >= 400:
            try:
                body = response.json()
                error = body.get("error", {}) if isinstance(body, dict) else {}
            except ValueError:
                body, error = response.text, {}
            raise ApiError(
                response.status_code, error.get("code", "http_error"), error.get("message", response.text[:500]), body
            )
        if response.status_code == 204 or not response.content:
            return None
        if "json" in response.headers.get("content-type", ""):
            return response.json()
        return response.text

    # -- jobs --------------------------------------------------------------------------------

    def activate_jobs(
        self,
        job_type: str,
        *,
        max_jobs: int = 10,
        lock_seconds: int = 30,
        timeout_ms: int = 0,
        worker: str | None = None,
        business_key: str | None = None,
        process_ids: list[str] | None = None,
    ) -> list[Job]:
        """Fetch and lock jobs; with timeout_ms the server holds the request until a job is there."""
        body = {
            "type": job_type,
            "worker": worker or self.worker_name,
            "maxJobs": max_jobs,
            "lockSeconds": lock_seconds,
            "timeoutMs": timeout_ms,
        }
        if business_key is not None:
            body["businessKey"] = business_key
        if process_ids:
            body["processIds"] = list(process_ids)
        data = self.request("POST", "/jobs/activate", json=body, timeout=self.timeout + timeout_ms / 1000)
        return [Job.from_api(item) for item in data["jobs"]]

    def complete_job(self, key: str, variables: dict[str, Any] | None = None, *, worker: str | None = None) -> None:
        self.request("POST", f"/jobs/{key}/complete", json={"variables": variables or {}, "worker": worker})

    def fail_job(
        self,
        key: str,
        *,
        retries: int | None = None,
        error_message: str = "",
        error_details: str = "",
        retry_backoff_seconds: float | None = None,
        worker: str | None = None,
    ) -> dict[str, Any]:
        body = {
            "retries": retries,
            "errorMessage": error_message[:10000],
            "errorDetails": error_details[:100000],
            "retryBackoffSeconds": retry_backoff_seconds,
            "worker": worker,
        }
        return self.request("POST", f"/jobs/{key}/fail", json=body)

    def throw_error(self, key: str, code: str, message: str = "", variables: dict[str, Any] | None = None) -> None:
        self.request(
            "POST", f"/jobs/{key}/error", json={"code": code, "message": message, "variables": variables or {}}
        )

    def extend_lock(self, key: str, lock_seconds: int, *, worker: str | None = None) -> dict[str, Any]:
        return self.request(
            "POST", f"/jobs/{key}/extend-lock", json={"worker": worker or self.worker_name, "lockSeconds": lock_seconds}
        )

    # -- instances, messages, signals --------------------------------------------------------

    def start_instance(
        self, process_id: str, variables: dict[str, Any] | None = None, *, business_key: str = ""
    ) -> dict[str, Any]:
        return self.request(
            "POST",
            "/process-instances",
            json={"processId": process_id, "businessKey": business_key, "variables": variables or {}},
        )

    def get_instance(self, key: str) -> dict[str, Any]:
        return self.request("GET", f"/process-instances/{key}")

    def correlate_message(
        self,
        name: str,
        *,
        correlation_key: str | None = None,
        business_key: str | None = None,
        variables: dict[str, Any] | None = None,
        all: bool = False,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "variables": variables or {}, "all": all}
        if correlation_key is not None:
            body["correlationKey"] = correlation_key
        if business_key is not None:
            body["businessKey"] = business_key
        return self.request("POST", "/messages/correlate", json=body)

    def publish_message(
        self, name: str, *, correlation_key: str = "", variables: dict[str, Any] | None = None, ttl_seconds: float = 0
    ) -> dict[str, Any]:
        body = {
            "name": name,
            "correlationKey": correlation_key,
            "variables": variables or {},
            "ttlSeconds": ttl_seconds,
        }
        return self.request("POST", "/messages/publish", json=body)

    def broadcast_signal(self, name: str, variables: dict[str, Any] | None = None) -> int:
        return self.request("POST", "/signals/broadcast", json={"name": name, "variables": variables or {}})[
            "delivered"
        ]

    # -- the worker runtime --------------------------------------------------------------------

    def worker(
        self,
        job_type: str,
        *,
        concurrency: int = 4,
        lock_seconds: int = 30,
        max_jobs: int = 10,
        poll_timeout_ms: int = 10_000,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 300.0,
    ) -> Callable[[Callable[[Job], Any]], Callable[[Job], Any]]:
        """Register the decorated function as the handler of a job type (see WorkerSpec)."""
        from .worker import WorkerSpec

        def register(handler: Callable[[Job], Any]) -> Callable[[Job], Any]:
            self._workers.append(
                WorkerSpec(
                    job_type=job_type,
                    handler=handler,
                    concurrency=concurrency,
                    lock_seconds=lock_seconds,
                    max_jobs=max_jobs,
                    poll_timeout_ms=poll_timeout_ms,
                    backoff_seconds=backoff_seconds,
                    max_backoff_seconds=max_backoff_seconds,
                )
            )
            return handler

        return register

    def run(self, *, install_signal_handlers: bool = True) -> None:
        """Poll and run jobs until stop() (or SIGINT/SIGTERM in the main thread); then finish in-flight jobs."""
        from .worker import Runner

        if not self._workers:
            raise RuntimeError("no worker registered: decorate a handler with @client.worker(...)")
        try:
            Runner(self, list(self._workers), self._stopping).run(install_signal_handlers=install_signal_handlers)
        finally:
            self._stopping.clear()

    def stop(self) -> None:
        """Stop polling; run() returns once in-flight jobs are finished (safe from any thread, also before run())."""
        self._stopping.set()
