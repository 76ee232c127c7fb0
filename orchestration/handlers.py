"""Registry of Python job handlers by job type, and the built-in handlers.

    from orchestration.handlers import handler, BpmnErrorRaised

    @handler("charge-card")
    def charge_card(job):             # job: JobContext
        if job.variables["amount"] > 1000:
            raise BpmnErrorRaised("CARD_DECLINED", "amount over limit")
        return {"charged": True}      # variables merged into the instance

Handlers run at least once: use `job.key` as the idempotency key for side
effects. A raised exception is a failed attempt (retried with backoff, then an
incident); BpmnErrorRaised throws a BPMN error by code. Job types with no
registered handler wait for external workers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .conf import setting


@dataclass(frozen=True)
class JobContext:
    key: uuid.UUID
    type: str
    instance_key: uuid.UUID
    business_key: str
    bpmn_process_id: str
    element_id: str
    retries: int
    attempt: int
    headers: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)


class BpmnErrorRaised(Exception):
    """Raise from a handler to throw a BPMN error (caught by an error boundary/event subprocess)."""

    def __init__(self, code: str, message: str = "", variables: dict[str, Any] | None = None):
        self.code = code
        self.message = message
        self.variables = variables or {}
        super().__init__(f"{code}: {message}" if message else code)


Handler = Callable[[JobContext], "dict[str, Any] | None"]
_REGISTRY: dict[str, Handler] = {}
_LOCAL: set[str] = set()


def handler(job_type: str, *aliases: str, local: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for one or more job types.

    local=True (like Temporal's local activities): when the step before it
    completes in a worker, the job runs right away inside that same instance
    transaction, with no broker round trip and no separate claim. Only for fast
    handlers (they hold the instance lock while they run) whose side effects are
    idempotent: if the transaction fails, the job is run again the normal way.
    """

    def register(func: Handler) -> Handler:
        for name in (job_type, *aliases):
            _REGISTRY[name] = func
            if local:
                _LOCAL.add(name)
            else:
                _LOCAL.discard(name)
        return func

    return register


def unregister(job_type: str) -> None:
    _REGISTRY.pop(job_type, None)
    _LOCAL.discard(job_type)


def is_local(job_type: str) -> bool:
    return job_type in _LOCAL


def is_registered(job_type: str) -> bool:
    return job_type in _REGISTRY


def get_handler(job_type: str) -> Handler | None:
    return _REGISTRY.get(job_type)


def registered_types() -> list[str]:
    return sorted(_REGISTRY)


@handler("noop", local=True)
def noop(job: JobContext) -> None:
    """Does nothing; completes at once (tests, benchmarks, placeholders)."""
    return None


class HttpConnectorError(Exception):
    pass


@handler("http", "io.camunda:http-json:1", "http-connector")
def http_connector(job: JobContext) -> dict[str, Any]:
    """Built-in HTTP connector.

    Inputs (variables, usually from input mappings): url, method (GET), headers
    (object), body / payload (JSON value or string), queryParameters (object),
    timeout (seconds). Output: a variable named by the `resultVariable` header
    (default "response") = {status, body, headers}. Non-2xx raises, so the job
    is retried and then becomes an incident with the response in its details.
    """
    v = job.variables
    url = v.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise HttpConnectorError(
            f"http connector needs a 'url' variable starting with http:// or https://, got {url!r}"
        )
    method = str(v.get("method") or "GET").upper()
    headers = v.get("headers") or {}
    if not isinstance(headers, dict):
        raise HttpConnectorError("'headers' must be an object of name -> value")
    body = v.get("body", v.get("payload"))
    params = v.get("queryParameters") or None
    timeout = float(v.get("timeout") or setting("HTTP_CONNECTOR_TIMEOUT"))
    kwargs: dict[str, Any] = {
        "headers": {str(k): str(val) for k, val in headers.items()},
        "params": params,
        "timeout": timeout,
    }
    if body is not None:
        if isinstance(body, (dict, list)):
            kwargs["json"] = body
        else:
            kwargs["content"] = str(body).encode()
    response = httpx.request(method, url, **kwargs)
    try:
        parsed: Any = response.json()
    except (ValueError, json.JSONDecodeError):
        parsed = response.text
    result = {"status": response.status_code, "body": parsed, "headers": dict(response.headers)}
    if not 200 <= response.status_code < 300:
        raise HttpConnectorError(f"HTTP {method} {url} answered {response.status_code}: {response.text[:500]}")
    name = str(job.headers.get("resultVariable") or "response")
    return {name: result}
