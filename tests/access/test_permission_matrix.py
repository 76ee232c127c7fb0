"""Every route x every role -> the expected status, from ONE table.

The table is keyed by the route as the URL resolver spells it; a route without a row
(a new view) fails ``test_every_route_has_a_row``, and so does a row whose route is gone.
Each row names the request to make (method and concrete URL from a small world) and the
answer per role, written as "who may" (capabilities, see orchestration.access) -> status:

- console pages: anonymous -> 302 to the login page; a role without the capability -> 403;
- API (/api/v1, /engine-rest): anonymous -> 401; a role without the capability -> 403;
- allowed roles get the view's own answer: 200 for pages and reads; for writes the table
  uses unknown keys or empty bodies, so an allowed role gets 404/400/405 and nothing changes.

Verified by reading each view's permission rule (operate/permissions.py, tasklist/views.py,
orchestration/api/v1/base.py TaskView/ApiView capabilities, api/camunda7 ``capabilities``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from orchestration import access

from .conftest import ROLE_PERSONAS

ANONYMOUS = "anonymous"
ROLES = (ANONYMOUS, *ROLE_PERSONAS)

# Routes not in the table on purpose: Django's auth views (their own tests: tests/operate/test_login.py)
# and the admin site (Django's own permission model).
EXCLUDED_PREFIXES = ("admin/",)
AUTH_ROUTES = {
    "accounts/login/",
    "accounts/logout/",
    "accounts/password_change/",
    "accounts/password_change/done/",
    "accounts/password_reset/",
    "accounts/password_reset/done/",
    "accounts/reset/<uidb64>/<token>/",
    "accounts/reset/done/",
}

UNKNOWN = "00000000-0000-7000-8000-000000000000"


def roles_with(*capabilities: str) -> frozenset[str]:
    """Roles that hold any one of these capabilities (the role table in orchestration.access)."""
    return frozenset(role for role in ROLE_PERSONAS if any(role in access.CAPABILITIES[c] for c in capabilities))


def console(capabilities: tuple[str, ...] | str, ok: int = 200) -> dict[str, int]:
    capabilities = (capabilities,) if isinstance(capabilities, str) else capabilities
    allowed = roles_with(*capabilities)
    return {ANONYMOUS: 302, **{role: ok if role in allowed else 403 for role in ROLE_PERSONAS}}


def api(capabilities: tuple[str, ...] | str, ok: int = 200) -> dict[str, int]:
    capabilities = (capabilities,) if isinstance(capabilities, str) else capabilities
    allowed = roles_with(*capabilities)
    return {ANONYMOUS: 401, **{role: ok if role in allowed else 403 for role in ROLE_PERSONAS}}


def everyone(status: int, anonymous: int | None = None) -> dict[str, int]:
    return {ANONYMOUS: status if anonymous is None else anonymous, **{role: status for role in ROLE_PERSONAS}}


@dataclass(frozen=True)
class Row:
    method: str
    url: Callable[[SimpleNamespace], str]
    expected: dict[str, int]
    body: dict | None = None


def get(url, expected) -> Row:
    return Row("get", url if callable(url) else (lambda w, u=url: u), expected)


def post(url, expected, body: dict | None = None) -> Row:
    return Row("post", url if callable(url) else (lambda w, u=url: u), expected, body)


def put(url, expected) -> Row:
    return Row("put", url if callable(url) else (lambda w, u=url: u), expected, {})


def delete(url, expected) -> Row:
    return Row("delete", url if callable(url) else (lambda w, u=url: u), expected)


# Camunda 7 capability sets (orchestration/api/camunda7/*.py)
C7_READ = ("view", "work_jobs", "work_tasks")
C7_ANY = ("view", "work_jobs", "work_tasks", "deploy")
C7 = "/engine-rest/"

TABLE: dict[str, Row] = {
    # -- landing --------------------------------------------------------------------------
    "": get("/", everyone(302)),
    # -- Operate: pages (viewer_required) --------------------------------------------------------------
    "operate/": get("/operate/", console("view")),
    "operate/processes/": get("/operate/processes/", console("view")),
    "operate/processes/<uuid:key>/": get(lambda w: f"/operate/processes/{w.definition.key}/", console("view")),
    "operate/processes/<uuid:key>/diff/": get(
        lambda w: f"/operate/processes/{w.definition.key}/diff/?against={w.definition.key}", console("view")
    ),
    # the migration page: viewers see the plan (read only); running it is a POST that needs repair
    "operate/processes/<uuid:key>/migrate/": get(
        lambda w: f"/operate/processes/{w.definition.key}/migrate/", console("view")
    ),
    # deploy (deploy_required): an empty upload is a 400 with the form's error, nothing deployed
    "operate/processes/deploy/": post("/operate/processes/deploy/", console("deploy", ok=400), {}),
    "operate/instances/": get("/operate/instances/", console("view")),
    "operate/instances/<uuid:key>/": get(lambda w: f"/operate/instances/{w.instance.key}/", console("view")),
    "operate/instances/export.csv": get("/operate/instances/export.csv", console("view")),
    # saved views: both redirect back to the instance list with a message
    "operate/instances/views/": post("/operate/instances/views/", console("view", ok=302)),
    "operate/instances/views/<int:view_id>/delete/": post(
        "/operate/instances/views/999999/delete/", console("view", ok=302)
    ),
    "operate/incidents/": get("/operate/incidents/", console("view")),
    "operate/batches/": get("/operate/batches/", console("view")),
    "operate/batches/<uuid:key>/": get(f"/operate/batches/{UNKNOWN}/", console("view", ok=404)),
    # -- Operate: repairs (repair_required; POST with an unknown key) ------------------------------
    "operate/instances/<uuid:key>/cancel/": post(f"/operate/instances/{UNKNOWN}/cancel/", console("repair", ok=404)),
    "operate/instances/<uuid:key>/suspend/": post(f"/operate/instances/{UNKNOWN}/suspend/", console("repair", ok=404)),
    "operate/instances/<uuid:key>/resume/": post(f"/operate/instances/{UNKNOWN}/resume/", console("repair", ok=404)),
    "operate/instances/<uuid:key>/retry/": post(f"/operate/instances/{UNKNOWN}/retry/", console("repair", ok=404)),
    "operate/instances/<uuid:key>/variables/": post(
        f"/operate/instances/{UNKNOWN}/variables/", console("repair", ok=404)
    ),
    "operate/instances/<uuid:key>/modify/": post(f"/operate/instances/{UNKNOWN}/modify/", console("repair", ok=404)),
    "operate/instances/<uuid:key>/migrate/": get(
        lambda w: f"/operate/instances/{w.instance.key}/migrate/", console("repair")
    ),
    "operate/batches/new/": get("/operate/batches/new/", console("repair")),
    "operate/batches/<uuid:key>/pause/": post(f"/operate/batches/{UNKNOWN}/pause/", console("repair", ok=404)),
    "operate/batches/<uuid:key>/resume/": post(f"/operate/batches/{UNKNOWN}/resume/", console("repair", ok=404)),
    "operate/batches/<uuid:key>/cancel/": post(f"/operate/batches/{UNKNOWN}/cancel/", console("repair", ok=404)),
    "operate/batches/<uuid:key>/retry-failed/": post(
        f"/operate/batches/{UNKNOWN}/retry-failed/", console("repair", ok=404)
    ),
    "operate/batches/<uuid:key>/migrate-rest/": post(
        f"/operate/batches/{UNKNOWN}/migrate-rest/", console("repair", ok=404)
    ),
    # -- Tasklist (worker_required; the world's task is offered to the approver group) -------------
    "tasklist/": get("/tasklist/", console("work_tasks")),
    "tasklist/tasks/<uuid:key>/": get(lambda w: f"/tasklist/tasks/{w.task.key}/", console("work_tasks")),
    "tasklist/start/": get("/tasklist/start/", console("work_tasks")),
    "tasklist/start/<str:process_id>/": get(lambda w: "/tasklist/start/order-approval/", console("work_tasks")),
    # -- /api/v1 (ApiView: read_capability / write_capability) -------------------------------------
    # drf-spectacular serves the schema and its UIs to anyone (SERVE_PERMISSIONS defaults to AllowAny)
    "api/v1/schema/": get("/api/v1/schema/", everyone(200)),
    "api/v1/docs/": get("/api/v1/docs/", everyone(200)),
    "api/v1/redoc/": get("/api/v1/redoc/", everyone(200)),
    "api/v1/health": get("/api/v1/health", everyone(200)),
    "api/v1/deployments": get("/api/v1/deployments", api("view")),
    "api/v1/deployments/<str:key>": get(lambda w: f"/api/v1/deployments/{w.definition.deployment_id}", api("view")),
    "api/v1/deployments/<str:key>/xml": get(
        lambda w: f"/api/v1/deployments/{w.definition.deployment_id}/xml", api("view")
    ),
    "api/v1/deployments/<str:key>/diagram.svg": get(
        lambda w: f"/api/v1/deployments/{w.definition.deployment_id}/diagram.svg", api("view")
    ),
    "api/v1/process-definitions": get("/api/v1/process-definitions", api("view")),
    "api/v1/process-definitions/<str:key>": get(
        lambda w: f"/api/v1/process-definitions/{w.definition.key}", api("view")
    ),
    "api/v1/process-definitions/<str:key>/xml": get(
        lambda w: f"/api/v1/process-definitions/{w.definition.key}/xml", api("view")
    ),
    "api/v1/process-definitions/<str:key>/diagram.svg": get(
        lambda w: f"/api/v1/process-definitions/{w.definition.key}/diagram.svg", api("view")
    ),
    "api/v1/process-instances": get("/api/v1/process-instances", api("view")),
    "api/v1/process-instances/<str:key>": get(lambda w: f"/api/v1/process-instances/{w.instance.key}", api("view")),
    "api/v1/process-instances/<str:key>/cancel": post(
        f"/api/v1/process-instances/{UNKNOWN}/cancel", api("repair", ok=404), {}
    ),
    "api/v1/process-instances/<str:key>/suspend": post(
        f"/api/v1/process-instances/{UNKNOWN}/suspend", api("repair", ok=404), {}
    ),
    "api/v1/process-instances/<str:key>/resume": post(
        f"/api/v1/process-instances/{UNKNOWN}/resume", api("repair", ok=404), {}
    ),
    "api/v1/process-instances/<str:key>/variables": get(
        lambda w: f"/api/v1/process-instances/{w.instance.key}/variables", api("view")
    ),
    "api/v1/process-instances/<str:key>/migrate": post(
        f"/api/v1/process-instances/{UNKNOWN}/migrate", api("repair", ok=400), {}
    ),
    "api/v1/process-instances/<str:key>/modify": post(
        f"/api/v1/process-instances/{UNKNOWN}/modify", api("repair", ok=400), {}
    ),
    "api/v1/process-instances/<str:key>/history": get(
        lambda w: f"/api/v1/process-instances/{w.instance.key}/history", api("view")
    ),
    "api/v1/messages/correlate": post("/api/v1/messages/correlate", api("work_jobs", ok=400), {}),
    "api/v1/messages/publish": post("/api/v1/messages/publish", api("work_jobs", ok=400), {}),
    "api/v1/signals/broadcast": post("/api/v1/signals/broadcast", api("work_jobs", ok=400), {}),
    "api/v1/jobs/activate": post("/api/v1/jobs/activate", api("work_jobs", ok=400), {}),
    "api/v1/jobs/<str:key>/complete": post(f"/api/v1/jobs/{UNKNOWN}/complete", api("work_jobs", ok=404), {}),
    "api/v1/jobs/<str:key>/fail": post(f"/api/v1/jobs/{UNKNOWN}/fail", api("work_jobs", ok=404), {}),
    "api/v1/jobs/<str:key>/error": post(f"/api/v1/jobs/{UNKNOWN}/error", api("work_jobs", ok=400), {}),
    "api/v1/jobs/<str:key>/extend-lock": post(f"/api/v1/jobs/{UNKNOWN}/extend-lock", api("work_jobs", ok=400), {}),
    "api/v1/incidents": get("/api/v1/incidents", api("view")),
    "api/v1/incidents/<str:key>": get(f"/api/v1/incidents/{UNKNOWN}", api("view", ok=404)),
    "api/v1/incidents/<str:key>/resolve": post(f"/api/v1/incidents/{UNKNOWN}/resolve", api("repair", ok=404), {}),
    # batch operations: repair for reads and writes alike (BatchList/BatchDetail/BatchItems read_capability)
    "api/v1/batches": get("/api/v1/batches", api("repair")),
    "api/v1/batches/<str:key>": get(f"/api/v1/batches/{UNKNOWN}", api("repair", ok=404)),
    "api/v1/batches/<str:key>/items": get(f"/api/v1/batches/{UNKNOWN}/items", api("repair", ok=404)),
    "api/v1/batches/<str:key>/pause": post(f"/api/v1/batches/{UNKNOWN}/pause", api("repair", ok=404), {}),
    "api/v1/batches/<str:key>/resume": post(f"/api/v1/batches/{UNKNOWN}/resume", api("repair", ok=404), {}),
    "api/v1/batches/<str:key>/cancel": post(f"/api/v1/batches/{UNKNOWN}/cancel", api("repair", ok=404), {}),
    "api/v1/batches/<str:key>/retry-failed": post(f"/api/v1/batches/{UNKNOWN}/retry-failed", api("repair", ok=404), {}),
    "api/v1/user-tasks": get("/api/v1/user-tasks", api("work_tasks")),
    "api/v1/user-tasks/<str:key>": get(lambda w: f"/api/v1/user-tasks/{w.task.key}", api("work_tasks")),
    "api/v1/user-tasks/<str:key>/form": get(lambda w: f"/api/v1/user-tasks/{w.task.key}/form", api("work_tasks")),
    "api/v1/user-tasks/<str:key>/claim": post(f"/api/v1/user-tasks/{UNKNOWN}/claim", api("work_tasks", ok=404), {}),
    "api/v1/user-tasks/<str:key>/unclaim": post(f"/api/v1/user-tasks/{UNKNOWN}/unclaim", api("work_tasks", ok=404), {}),
    "api/v1/user-tasks/<str:key>/assign": post(f"/api/v1/user-tasks/{UNKNOWN}/assign", api("work_tasks", ok=400), {}),
    "api/v1/user-tasks/<str:key>/complete": post(
        f"/api/v1/user-tasks/{UNKNOWN}/complete", api("work_tasks", ok=404), {}
    ),
    # -- /engine-rest (Camunda 7 subset; CamundaView.capabilities per method) ------------------------
    "engine-rest/engine": get(C7 + "engine", api(C7_READ)),
    "engine-rest/version": get(C7 + "version", api(C7_READ)),
    "engine-rest/external-task/fetchAndLock": post(C7 + "external-task/fetchAndLock", api("work_jobs", ok=400), {}),
    "engine-rest/external-task": get(C7 + "external-task", api(C7_READ)),
    "engine-rest/external-task/count": get(C7 + "external-task/count", api(C7_READ)),
    "engine-rest/external-task/retries": put(C7 + "external-task/retries", api("repair", ok=400)),
    "engine-rest/external-task/<str:task_id>": get(C7 + f"external-task/{UNKNOWN}", api(C7_READ, ok=404)),
    "engine-rest/external-task/<str:task_id>/errorDetails": get(
        C7 + f"external-task/{UNKNOWN}/errorDetails", api(C7_READ, ok=404)
    ),
    "engine-rest/external-task/<str:task_id>/complete": post(
        C7 + f"external-task/{UNKNOWN}/complete", api("work_jobs", ok=404), {}
    ),
    "engine-rest/external-task/<str:task_id>/failure": post(
        C7 + f"external-task/{UNKNOWN}/failure", api("work_jobs", ok=404), {}
    ),
    "engine-rest/external-task/<str:task_id>/bpmnError": post(
        C7 + f"external-task/{UNKNOWN}/bpmnError", api("work_jobs", ok=404), {}
    ),
    "engine-rest/external-task/<str:task_id>/extendLock": post(
        C7 + f"external-task/{UNKNOWN}/extendLock", api("work_jobs", ok=404), {}
    ),
    "engine-rest/external-task/<str:task_id>/unlock": post(
        C7 + f"external-task/{UNKNOWN}/unlock", api("work_jobs", ok=404), {}
    ),
    "engine-rest/external-task/<str:task_id>/retries": put(
        C7 + f"external-task/{UNKNOWN}/retries", api("repair", ok=404)
    ),
    "engine-rest/job": get(C7 + "job", api(C7_READ)),
    "engine-rest/job/count": get(C7 + "job/count", api(C7_READ)),
    "engine-rest/job/<str:job_id>": get(C7 + f"job/{UNKNOWN}", api(C7_READ, ok=404)),
    "engine-rest/job/<str:job_id>/retries": put(C7 + f"job/{UNKNOWN}/retries", api("repair", ok=404)),
    "engine-rest/deployment/create": post(C7 + "deployment/create", api("deploy", ok=400), {}),
    "engine-rest/deployment": get(C7 + "deployment", api(C7_READ)),
    "engine-rest/deployment/count": get(C7 + "deployment/count", api(C7_READ)),
    "engine-rest/deployment/<str:deployment_id>": get(C7 + f"deployment/{UNKNOWN}", api(C7_READ, ok=404)),
    "engine-rest/deployment/<str:deployment_id>/resources": get(
        C7 + f"deployment/{UNKNOWN}/resources", api(C7_READ, ok=404)
    ),
    "engine-rest/deployment/<str:deployment_id>/resources/<str:resource_id>": get(
        C7 + f"deployment/{UNKNOWN}/resources/x", api(C7_READ, ok=404)
    ),
    "engine-rest/deployment/<str:deployment_id>/resources/<str:resource_id>/data": get(
        C7 + f"deployment/{UNKNOWN}/resources/x/data", api(C7_READ, ok=404)
    ),
    "engine-rest/process-definition": get(C7 + "process-definition", api(C7_READ)),
    "engine-rest/process-definition/count": get(C7 + "process-definition/count", api(C7_READ)),
    "engine-rest/process-definition/key/<str:key>": get(C7 + "process-definition/key/order-approval", api(C7_READ)),
    "engine-rest/process-definition/key/<str:key>/xml": get(
        C7 + "process-definition/key/order-approval/xml", api(C7_READ)
    ),
    "engine-rest/process-definition/key/<str:key>/start": post(
        C7 + "process-definition/key/no-such/start", api("work_jobs", ok=404), {}
    ),
    "engine-rest/process-definition/key/<str:key>/submit-form": post(
        C7 + "process-definition/key/no-such/submit-form", api("work_jobs", ok=404), {}
    ),
    "engine-rest/process-definition/<str:definition_id>": get(
        C7 + f"process-definition/{UNKNOWN}", api(C7_READ, ok=404)
    ),
    "engine-rest/process-definition/<str:definition_id>/xml": get(
        C7 + f"process-definition/{UNKNOWN}/xml", api(C7_READ, ok=404)
    ),
    "engine-rest/process-definition/<str:definition_id>/start": post(
        C7 + f"process-definition/{UNKNOWN}/start", api("work_jobs", ok=404), {}
    ),
    "engine-rest/process-definition/<str:definition_id>/submit-form": post(
        C7 + f"process-definition/{UNKNOWN}/submit-form", api("work_jobs", ok=404), {}
    ),
    "engine-rest/process-instance": get(C7 + "process-instance", api(C7_READ)),
    "engine-rest/process-instance/count": get(C7 + "process-instance/count", api(C7_READ)),
    "engine-rest/process-instance/<str:instance_id>": get(C7 + f"process-instance/{UNKNOWN}", api(C7_READ, ok=404)),
    "engine-rest/process-instance/<str:instance_id>/suspended": put(
        C7 + f"process-instance/{UNKNOWN}/suspended", api("repair", ok=404)
    ),
    "engine-rest/process-instance/<str:instance_id>/variables": get(
        C7 + f"process-instance/{UNKNOWN}/variables", api(C7_READ, ok=404)
    ),
    "engine-rest/process-instance/<str:instance_id>/variables/<str:name>": get(
        C7 + f"process-instance/{UNKNOWN}/variables/x", api(C7_READ, ok=404)
    ),
    "engine-rest/process-instance/<str:instance_id>/variables/<str:name>/data": get(
        C7 + f"process-instance/{UNKNOWN}/variables/x/data", api(C7_READ, ok=404)
    ),
    "engine-rest/process-instance/<str:instance_id>/activity-instances": get(
        C7 + f"process-instance/{UNKNOWN}/activity-instances", api(C7_READ, ok=404)
    ),
    "engine-rest/message": post(C7 + "message", api("work_jobs", ok=400), {}),
    "engine-rest/signal": post(C7 + "signal", api("work_jobs", ok=400), {}),
    "engine-rest/task": get(C7 + "task", api(C7_READ)),
    "engine-rest/task/count": get(C7 + "task/count", api(C7_READ)),
    "engine-rest/task/<str:task_id>": get(C7 + f"task/{UNKNOWN}", api(C7_READ, ok=404)),
    "engine-rest/task/<str:task_id>/claim": post(
        C7 + f"task/{UNKNOWN}/claim", api(("work_tasks", "work_jobs"), ok=404), {}
    ),
    "engine-rest/task/<str:task_id>/unclaim": post(
        C7 + f"task/{UNKNOWN}/unclaim", api(("work_tasks", "work_jobs"), ok=404), {}
    ),
    "engine-rest/task/<str:task_id>/assignee": post(
        C7 + f"task/{UNKNOWN}/assignee", api(("work_tasks", "work_jobs"), ok=404), {}
    ),
    "engine-rest/task/<str:task_id>/complete": post(
        C7 + f"task/{UNKNOWN}/complete", api(("work_tasks", "work_jobs"), ok=404), {}
    ),
    "engine-rest/task/<str:task_id>/submit-form": post(
        C7 + f"task/{UNKNOWN}/submit-form", api(("work_tasks", "work_jobs"), ok=404), {}
    ),
    "engine-rest/task/<str:task_id>/form": get(C7 + f"task/{UNKNOWN}/form", api(C7_READ, ok=404)),
    "engine-rest/task/<str:task_id>/form-variables": get(C7 + f"task/{UNKNOWN}/form-variables", api(C7_READ, ok=404)),
    "engine-rest/task/<str:task_id>/identity-links": get(C7 + f"task/{UNKNOWN}/identity-links", api(C7_READ, ok=404)),
    "engine-rest/task/<str:task_id>/variables": get(C7 + f"task/{UNKNOWN}/variables", api(C7_READ, ok=404)),
    "engine-rest/task/<str:task_id>/variables/<str:name>": get(
        C7 + f"task/{UNKNOWN}/variables/x", api(C7_READ, ok=404)
    ),
    "engine-rest/task/<str:task_id>/localVariables": get(C7 + f"task/{UNKNOWN}/localVariables", api(C7_READ, ok=404)),
    "engine-rest/task/<str:task_id>/localVariables/<str:name>": get(
        C7 + f"task/{UNKNOWN}/localVariables/x", api(C7_READ, ok=404)
    ),
    "engine-rest/incident": get(C7 + "incident", api(C7_READ)),
    "engine-rest/incident/count": get(C7 + "incident/count", api(C7_READ)),
    "engine-rest/incident/<str:incident_id>": get(C7 + f"incident/{UNKNOWN}", api(C7_READ, ok=404)),
    "engine-rest/history/process-instance": get(C7 + "history/process-instance", api(C7_READ)),
    "engine-rest/history/process-instance/count": get(C7 + "history/process-instance/count", api(C7_READ)),
    "engine-rest/history/process-instance/<str:instance_id>": get(
        C7 + f"history/process-instance/{UNKNOWN}", api(C7_READ, ok=404)
    ),
    "engine-rest/history/activity-instance": get(C7 + "history/activity-instance", api(C7_READ)),
    "engine-rest/history/activity-instance/count": get(C7 + "history/activity-instance/count", api(C7_READ)),
    "engine-rest/history/activity-instance/<str:activity_instance_id>": get(
        C7 + f"history/activity-instance/{UNKNOWN}", api(C7_READ, ok=404)
    ),
    "engine-rest/migration/generate": post(C7 + "migration/generate", api("repair", ok=404), {}),
    "engine-rest/migration/validate": post(C7 + "migration/validate", api("repair", ok=404), {}),
    "engine-rest/migration/execute": post(C7 + "migration/execute", api("repair", ok=400), {}),
    "engine-rest/^(?P<rest>.*)$": get(C7 + "no/such/thing", api(C7_ANY, ok=501)),
}


def _routes(patterns, prefix: str = "") -> list[str]:
    found = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            found.append(route)
    return found


def routes() -> list[str]:
    return [
        r for r in _routes(get_resolver().url_patterns) if not r.startswith(EXCLUDED_PREFIXES) and r not in AUTH_ROUTES
    ]


def test_every_route_has_a_row():
    present = set(routes())
    missing = sorted(present - set(TABLE))
    stale = sorted(set(TABLE) - present)
    assert not missing, f"routes without a row in the permission matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


@pytest.fixture
def world(personas):
    """A deployed process with one instance waiting at a task offered to the approver group."""
    from orchestration import services
    from orchestration.models import UserTask

    from ..tasklist.conftest import FIXTURES

    services.deploy((FIXTURES / "order_approval.bpmn").read_text(), actor="test", resource_name="order.bpmn")
    instance = services.start_instance(
        "order-approval", variables={"customer": "ACME"}, business_key="ORD-M", actor="test"
    )
    task = UserTask.objects.get(instance=instance, element_id="approve")
    from orchestration.models import ProcessDefinition

    ProcessDefinition.objects.update(startable_in_tasklist=True)
    return SimpleNamespace(definition=instance.definition, instance=instance, task=task, now=timezone.now())


def request(client: Client, row: Row, url: str, *, basic: str | None):
    kwargs = {}
    if basic:
        import base64

        kwargs["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"{basic}:pw".encode()).decode()
    if row.body is not None:
        return getattr(client, row.method)(url, data=row.body, content_type="application/json", **kwargs)
    return getattr(client, row.method)(url, **kwargs)


# Async views run their ORM work in another thread (another connection): their rows need
# committed data, so they run with a transactional database.
ASYNC_ROUTES = {"engine-rest/external-task/fetchAndLock"}


@pytest.mark.parametrize(
    "route",
    [pytest.param(r, marks=pytest.mark.django_db(transaction=True)) if r in ASYNC_ROUTES else r for r in sorted(TABLE)],
    ids=lambda r: r or "/",
)
def test_route_answers_each_role_as_the_table_says(route, world, personas):
    row = TABLE[route]
    url = row.url(world)
    is_api = url.startswith(("/api/", "/engine-rest/"))
    mismatches = {}
    for role in ROLES:
        client = Client()
        username = None if role == ANONYMOUS else personas[role].username
        if username and not is_api:
            client.force_login(personas[role])
        response = request(client, row, url, basic=username if is_api else None)
        if response.status_code != row.expected[role]:
            mismatches[role] = (row.expected[role], response.status_code)
        if role == ANONYMOUS and response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), response["Location"]
    assert not mismatches, f"{row.method.upper()} {url}: role -> (expected, got): {mismatches}"


def test_unknown_key_never_reveals_a_task_to_a_role_without_tasklist(world, personas):
    client = Client()
    client.force_login(personas["support"])
    assert client.get(f"/tasklist/tasks/{uuid.uuid4()}/").status_code == 403
