"""Per-process rules on every /api/v1 write, and lists that leave out what a rule hides.

oscar and olga are operators; a rule takes "repair" away from oscar's group on
api-one and from olga's group on api-three. wade and wilma are workers; a rule takes
"work_jobs" (or "start") away from wade's group on api-one and from wilma's on
api-three. Every write on an api-one instance is refused for oscar/wade (and nothing
changes) and goes through for olga/wilma.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from orchestration import services
from orchestration.models import (
    BatchOperation,
    ElementInstance,
    Incident,
    Job,
    MaskedVariable,
    ProcessDefinition,
    ProcessInstance,
    ProcessPermission,
    Variable,
)
from orchestration.services import batches as batch_service

from .conftest import MESSAGE, ONE_TASK, assert_error, deploy, make_user, start


def with_rule(user: User, process_id: str, capability: str, *, allow: bool = False) -> User:
    group, _ = Group.objects.get_or_create(name=f"rule-{user.username}")
    user.groups.add(group)
    ProcessPermission.objects.create(group=group, bpmn_process_id=process_id, capability=capability, allow=allow)
    return user


@pytest.fixture
def oscar(db) -> User:
    return with_rule(make_user("oscar", "operator"), "api-one", "repair")


@pytest.fixture
def olga(db) -> User:
    return with_rule(make_user("olga", "operator"), "api-three", "repair")


@pytest.fixture
def wade(db) -> User:
    return with_rule(make_user("wade", "worker"), "api-one", "work_jobs")


@pytest.fixture
def wilma(db) -> User:
    return with_rule(make_user("wilma", "worker"), "api-three", "work_jobs")


def failed_instance(business_key: str = "") -> ProcessInstance:
    instance = start("api-one", business_key)
    job = Job.objects.get(instance=instance)
    services.fail_job(job.key, retries=0, error_message="HTTP 502", actor="test")
    return instance


def active_work_tokens(instance: ProcessInstance) -> int:
    return ElementInstance.objects.filter(instance=instance, element_id="work", state="active").count()


@dataclass(frozen=True)
class Write:
    """One write endpoint: set up an api-one object, the request, and what it changes."""

    prepare: Callable[[], Any]
    method: str
    url: Callable[[Any], str]
    body: Callable[[Any], dict]
    changed: Callable[[Any], bool]


def _instance_state(obj) -> str:
    return ProcessInstance.objects.get(key=obj.key).state


def _suspended(obj) -> bool:
    return ProcessInstance.objects.get(key=obj.key).suspended


def _suspended_instance() -> ProcessInstance:
    instance = start("api-one")
    services.suspend_instance(instance.key, actor="test")
    return instance


def _migration_target() -> tuple[ProcessInstance, Any]:
    instance = start("api-one")
    target = deploy(ONE_TASK.replace('id="work"', 'id="work" name="Work v2"'))[0]
    return instance, target


def start_one() -> ProcessInstance:
    return start("api-one")


def _incident():
    return Incident.objects.get(instance=failed_instance())


REPAIR_WRITES = {
    "cancel": Write(
        start_one,
        "post",
        lambda i: f"/api/v1/process-instances/{i.key}/cancel",
        lambda i: {"reason": "duplicate"},
        lambda i: _instance_state(i) == "cancelled",
    ),
    "suspend": Write(
        start_one,
        "post",
        lambda i: f"/api/v1/process-instances/{i.key}/suspend",
        lambda i: {},
        _suspended,
    ),
    "resume": Write(
        _suspended_instance,
        "post",
        lambda i: f"/api/v1/process-instances/{i.key}/resume",
        lambda i: {},
        lambda i: not _suspended(i),
    ),
    "variables": Write(
        start_one,
        "patch",
        lambda i: f"/api/v1/process-instances/{i.key}/variables",
        lambda i: {"variables": {"fixed": True}, "reason": "data fix"},
        lambda i: Variable.objects.filter(instance_id=i.key, name="fixed").exists(),
    ),
    "modify": Write(
        start_one,
        "post",
        lambda i: f"/api/v1/process-instances/{i.key}/modify",
        lambda i: {"instructions": [{"kind": "start_before", "elementId": "work"}], "reason": "again"},
        lambda i: active_work_tokens(i) == 2,
    ),
    "migrate": Write(
        _migration_target,
        "post",
        lambda it: f"/api/v1/process-instances/{it[0].key}/migrate",
        lambda it: {"targetDefinitionKey": str(it[1].key)},
        lambda it: ProcessInstance.objects.get(key=it[0].key).definition_id == it[1].key,
    ),
    "resolve incident": Write(
        _incident,
        "post",
        lambda inc: f"/api/v1/incidents/{inc.key}/resolve",
        lambda inc: {},
        lambda inc: Incident.objects.get(key=inc.key).state == "resolved",
    ),
}


def send(client, write: Write, obj):
    return getattr(client, write.method)(write.url(obj), write.body(obj), format="json")


@pytest.mark.parametrize("name", REPAIR_WRITES)
def test_a_repair_rule_on_the_process_refuses_the_write_and_changes_nothing(api, oscar, processes, name):
    write = REPAIR_WRITES[name]
    obj = write.prepare()
    error = assert_error(send(api(oscar), write, obj), 403, "permission_denied")
    assert "api-one" in error["message"]
    assert not write.changed(obj)


@pytest.mark.parametrize("name", REPAIR_WRITES)
def test_a_repair_rule_on_another_process_leaves_the_write_allowed(api, olga, processes, name):
    write = REPAIR_WRITES[name]
    obj = write.prepare()
    response = send(api(olga), write, obj)
    assert response.status_code == 200, response.content
    assert write.changed(obj)


def _locked_job() -> Job:
    instance = start("api-one")
    job = Job.objects.get(instance=instance)
    services.activate_jobs(job.type, worker="w1")
    return Job.objects.get(key=job.key)


JOB_WRITES = {
    "complete": ({"worker": "w1", "variables": {"done": True}}, lambda j: Job.objects.get(key=j.key).state),
    "fail": ({"worker": "w1", "retries": 0, "errorMessage": "boom"}, lambda j: Job.objects.get(key=j.key).state),
    "error": ({"code": "NOPE"}, lambda j: Job.objects.get(key=j.key).state),
    "extend-lock": ({"worker": "w1", "lockSeconds": 9999}, lambda j: Job.objects.get(key=j.key).lock_expires_at),
}


@pytest.mark.parametrize("command", JOB_WRITES)
def test_a_work_jobs_rule_on_the_process_refuses_job_commands(api, wade, wilma, processes, command):
    body, state = JOB_WRITES[command]
    job = _locked_job()
    before = state(job)
    assert_error(api(wade).post(f"/api/v1/jobs/{job.key}/{command}", body, format="json"), 403, "permission_denied")
    assert state(job) == before
    response = api(wilma).post(f"/api/v1/jobs/{job.key}/{command}", body, format="json")
    assert response.status_code in (200, 204), response.content
    assert state(job) != before


@pytest.mark.parametrize("by", ["processId", "definitionKey"])
def test_a_start_rule_refuses_starting_that_process_only(api, processes, by):
    stan = with_rule(make_user("stan", "worker"), "api-one", "start")
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-one")
    body = {"processId": "api-one"} if by == "processId" else {"definitionKey": str(definition.key)}
    error = assert_error(api(stan).post("/api/v1/process-instances", body, format="json"), 403, "permission_denied")
    assert "api-one" in error["message"]
    assert not ProcessInstance.objects.filter(bpmn_process_id="api-one").exists()
    response = api(stan).post("/api/v1/process-instances", {"processId": "api-three"}, format="json")
    assert response.status_code == 201, response.content


def test_a_batch_selecting_a_process_the_actor_may_not_repair_is_refused(api, oscar, olga, processes):
    one, three = start("api-one", "B-1"), start("api-three", "B-2")
    body = {"kind": "cancel", "filter": {}, "reason": "clean up"}
    error = assert_error(api(oscar).post("/api/v1/batches", body, format="json"), 403, "permission_denied")
    assert "'api-one'" in error["message"] and "narrow the filter" in error["message"]
    assert not BatchOperation.objects.exists()
    assert ProcessInstance.objects.filter(key__in=[one.key, three.key], state="active").count() == 2

    narrowed = {**body, "filter": {"processId": "api-three"}}
    assert api(oscar).post("/api/v1/batches", narrowed, format="json").status_code == 201
    response = api(olga).post("/api/v1/batches", {**body, "filter": {"processId": "api-one"}}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["total"] == 1


# -- a rule that takes "view" away hides the process --------------------------------------


@pytest.fixture
def hidden_from_bob(bob):
    return with_rule(bob, "api-one", "view")


def test_lists_leave_out_the_instances_and_incidents_of_a_hidden_process(api, hidden_from_bob, processes):
    failed_instance("H-1")
    failed = start("api-three", "H-2")
    client = api(hidden_from_bob)
    keys = [i["key"] for i in client.get("/api/v1/process-instances").json()["items"]]
    assert keys == [str(failed.key)]
    assert client.get("/api/v1/incidents").json()["items"] == []
    assert client.get("/api/v1/process-instances", {"processId": "api-one"}).json()["items"] == []


def test_a_hidden_instance_or_incident_is_not_found_by_key(api, hidden_from_bob, alice, processes):
    instance = failed_instance("H-1")
    incident = Incident.objects.get(instance=instance)
    client = api(hidden_from_bob)
    for path in ("", "/variables", "/history"):
        assert_error(client.get(f"/api/v1/process-instances/{instance.key}{path}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/incidents/{incident.key}"), 404, "not_found")
    assert api(alice).get(f"/api/v1/process-instances/{instance.key}").status_code == 200


def test_a_write_on_a_hidden_process_is_404_like_an_unknown_key(api, alice, processes):
    hidden = with_rule(alice, "api-one", "view")
    instance = start("api-one")
    response = api(hidden).post(f"/api/v1/process-instances/{instance.key}/cancel", {"reason": "x"}, format="json")
    assert_error(response, 404, "not_found")
    assert _instance_state(instance) == "active"


# -- no probing of masked variables by search --------------------------------------------------


@pytest.fixture
def masked_card(db):
    MaskedVariable.objects.create(bpmn_process_id="api-one", name="card")


def test_searching_by_a_masked_variable_is_refused(api, bob, erin, processes, masked_card):
    start("api-one", "M-1", card="4111")
    client = api(bob)
    for params in ({"q": "card=4111"}, {"q": "card=0000"}):
        error = assert_error(client.get("/api/v1/process-instances", params), 400, "invalid_filter")
        assert "'card' is a protected variable" in error["message"]
    found = api(erin).get("/api/v1/process-instances", {"q": "card=4111"}).json()["items"]
    assert [i["businessKey"] for i in found] == ["M-1"]
    other = client.get("/api/v1/process-instances", {"q": "region=EU"})
    assert other.status_code == 200


def test_a_batch_filtered_by_a_masked_variable_is_refused(api, alice, processes, masked_card):
    start("api-one", "M-1", card="4111")
    body = {"kind": "suspend", "filter": {"q": "card=4111"}}
    assert_error(api(alice).post("/api/v1/batches", body, format="json"), 400, "invalid_filter")
    assert not BatchOperation.objects.exists()


# -- messages and signals ----------------------------------------------------------------------

KICKED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="http://example.com/api">
  <bpmn:message id="m-kick" name="api-kick" />
  <bpmn:process id="api-kicked" isExecutable="true">
    <bpmn:startEvent id="kick"><bpmn:messageEventDefinition messageRef="m-kick" /></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="kick" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def two_waiting(processes):
    """api-message and its copy api-message-copy each have an instance waiting for api-paid / ORD-7."""
    deploy(MESSAGE.replace('id="api-message"', 'id="api-message-copy"'), "copy.bpmn")
    return start("api-message", "M-1", orderId="ORD-7"), start("api-message-copy", "M-2", orderId="ORD-7")


def waits_for_payment(instance: ProcessInstance) -> bool:
    return ElementInstance.objects.filter(instance=instance, element_id="wait-paid", state="active").exists()


@pytest.mark.parametrize("capability", ["work_jobs", "view", "repair"])
def test_a_message_does_not_reach_instances_of_a_process_a_rule_takes_away(api, walt, two_waiting, capability):
    original, copy = two_waiting
    worker = with_rule(make_user("wes", "worker"), "api-message-copy", capability)
    body = {"name": "api-paid", "correlationKey": "ORD-7"}
    response = api(worker).post("/api/v1/messages/correlate", body, format="json")
    # only the original matches: no 409 for two waiting instances, and the copy is untouched
    assert response.status_code == 200, response.content
    assert [c["processInstanceKey"] for c in response.json()["correlations"]] == [str(original.key)]
    assert not waits_for_payment(original)
    assert waits_for_payment(copy)


def test_a_message_to_an_instance_of_a_denied_process_is_404_as_if_nothing_waited(api, walt, two_waiting):
    _, copy = two_waiting
    worker = with_rule(make_user("wes", "worker"), "api-message-copy", "work_jobs")
    body = {"name": "api-paid", "processInstanceKey": str(copy.key)}
    assert_error(api(worker).post("/api/v1/messages/correlate", body, format="json"), 404, "no_subscription")
    assert waits_for_payment(copy)
    assert api(walt).post("/api/v1/messages/correlate", body, format="json").status_code == 200
    assert not waits_for_payment(copy)


def test_a_worker_without_rules_still_sees_both_waiting_instances(api, walt, two_waiting):
    body = {"name": "api-paid", "correlationKey": "ORD-7"}
    assert_error(api(walt).post("/api/v1/messages/correlate", body, format="json"), 409, "ambiguous_correlation")
    publish = api(walt).post("/api/v1/messages/publish", body, format="json")
    assert len(publish.json()["correlations"]) == 2


def test_publish_reaches_only_allowed_processes_and_may_not_buffer(api, two_waiting):
    original, copy = two_waiting
    worker = with_rule(make_user("wes", "worker"), "api-message-copy", "work_jobs")
    body = {"name": "api-paid", "correlationKey": "ORD-7"}
    response = api(worker).post("/api/v1/messages/publish", body, format="json")
    assert [c["processInstanceKey"] for c in response.json()["correlations"]] == [str(original.key)]
    assert waits_for_payment(copy)
    buffered = {**body, "ttlSeconds": 60}
    error = assert_error(
        api(worker).post("/api/v1/messages/publish", buffered, format="json"), 403, "permission_denied"
    )
    assert "time-to-live" in error["message"]
    assert waits_for_payment(copy)


def test_a_message_start_event_needs_start_on_its_process(api, walt, processes):
    deploy(KICKED, "kicked.bpmn")
    stan = with_rule(make_user("stan", "worker"), "api-kicked", "start")
    body = {"name": "api-kick", "businessKey": "K-1"}
    assert_error(api(stan).post("/api/v1/messages/correlate", body, format="json"), 404, "no_subscription")
    assert not ProcessInstance.objects.filter(bpmn_process_id="api-kicked").exists()
    response = api(walt).post("/api/v1/messages/correlate", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["correlations"][0]["startedInstance"] is True
    assert ProcessInstance.objects.filter(bpmn_process_id="api-kicked").count() == 1


def waits_for_signal(instance: ProcessInstance) -> bool:
    return ElementInstance.objects.filter(instance=instance, element_id="wait-go", state="active").exists()


@pytest.mark.parametrize("capability", ["work_jobs", "view", "repair", "start"])
def test_a_signal_broadcast_is_refused_for_a_user_with_a_deny_rule(api, walt, processes, capability):
    instance = start("api-message", "S-1", orderId="ORD-9")
    services.correlate_message("api-paid", correlation_key="ORD-9", actor="test")
    assert waits_for_signal(instance)
    worker = with_rule(make_user("wes", "worker"), "api-elsewhere", capability)
    error = assert_error(
        api(worker).post("/api/v1/signals/broadcast", {"name": "api-go"}, format="json"), 403, "permission_denied"
    )
    assert "signal" in error["message"]
    assert waits_for_signal(instance)
    response = api(walt).post("/api/v1/signals/broadcast", {"name": "api-go"}, format="json")
    assert response.json() == {"delivered": 1}
    assert not waits_for_signal(instance)


def test_a_rule_that_only_grants_or_concerns_tasks_does_not_block_a_broadcast(api, processes):
    worker = with_rule(make_user("wes", "worker"), "api-message", "work_tasks")
    with_rule(worker, "api-three", "work_jobs", allow=True)
    response = api(worker).post("/api/v1/signals/broadcast", {"name": "api-go"}, format="json")
    assert response.status_code == 200, response.content


# -- batches: the same rules as Operate -----------------------------------------------------------


@pytest.fixture
def erins_batch(erin, processes):
    """A paused cancel batch over one api-one instance, created by an admin."""
    instance = start("api-one", "B-1")
    batch = batch_service.create_batch("cancel", {"process": "api-one"}, actor=erin, dispatch=False, reason="x")
    batch_service.pause_batch(batch.key, actor=erin)
    return batch, instance


def test_the_batch_api_leaves_out_a_batch_over_a_hidden_process(api, alice, erins_batch):
    batch, _ = erins_batch
    hidden = with_rule(make_user("hank", "operator"), "api-one", "view")
    client = api(hidden)
    assert client.get("/api/v1/batches").json()["items"] == []
    assert_error(client.get(f"/api/v1/batches/{batch.key}"), 404, "not_found")
    assert_error(client.get(f"/api/v1/batches/{batch.key}/items"), 404, "not_found")
    assert [b["key"] for b in api(alice).get("/api/v1/batches").json()["items"]] == [str(batch.key)]
    assert api(alice).get(f"/api/v1/batches/{batch.key}/items").status_code == 200


@pytest.mark.parametrize("action", ["resume", "cancel", "retry-failed"])
def test_steering_a_batch_needs_repair_on_its_processes(api, oscar, olga, erins_batch, action):
    batch, instance = erins_batch
    error = assert_error(api(oscar).post(f"/api/v1/batches/{batch.key}/{action}"), 403, "permission_denied")
    assert "'api-one'" in error["message"]
    assert BatchOperation.objects.get(key=batch.key).state == "paused"
    hidden = with_rule(make_user("hank", "operator"), "api-one", "view")
    assert_error(api(hidden).post(f"/api/v1/batches/{batch.key}/{action}"), 404, "not_found")
    assert BatchOperation.objects.get(key=batch.key).state == "paused"
    response = api(olga).post(f"/api/v1/batches/{batch.key}/{action}")
    assert response.status_code in (200, 409), response.content  # retry-failed: nothing failed (409)
    assert _instance_state(instance) == "active"


def test_pausing_a_batch_needs_repair_on_its_processes(api, oscar, olga, erins_batch):
    batch, _ = erins_batch
    batch_service.resume_batch(batch.key, actor="test")
    assert_error(api(oscar).post(f"/api/v1/batches/{batch.key}/pause"), 403, "permission_denied")
    assert BatchOperation.objects.get(key=batch.key).state == "running"
    assert api(olga).post(f"/api/v1/batches/{batch.key}/pause").status_code == 200
    assert BatchOperation.objects.get(key=batch.key).state == "paused"


def test_a_migrate_batch_into_a_process_the_user_may_not_repair_is_refused(api, olga, oscar, processes):
    instance = start("api-one", "M-1")
    target = ProcessDefinition.objects.get(bpmn_process_id="api-three")
    body = {"kind": "migrate", "filter": {"processId": "api-one"}, "params": {"targetDefinitionKey": str(target.key)}}
    error = assert_error(api(olga).post("/api/v1/batches", body, format="json"), 403, "permission_denied")
    assert "api-three" in error["message"]
    assert not BatchOperation.objects.exists()
    assert ProcessInstance.objects.get(key=instance.key).bpmn_process_id == "api-one"
    # a hidden target answers as an unknown one
    hidden = with_rule(make_user("hank", "operator"), "api-three", "view")
    refused = assert_error(api(hidden).post("/api/v1/batches", body, format="json"), 400, "invalid_input")
    unknown = {**body, "params": {"targetDefinitionKey": "00000000-0000-0000-0000-000000000000"}}
    assert assert_error(api(hidden).post("/api/v1/batches", unknown, format="json"), 400, "invalid_input") == refused
    # oscar may repair api-three (not api-one, but the filter's instances are checked on their own)
    other = {**body, "filter": {"processId": "api-three"}}
    assert api(oscar).post("/api/v1/batches", other, format="json").status_code == 201


def test_the_search_does_not_roll_up_to_a_visible_case_through_a_hidden_child(api, hidden_from_bob, alice, processes):
    root = start("api-three", "ROOT-1")
    child = start("api-one", "CHILD-1")
    ProcessInstance.objects.filter(key=child.key).update(parent=root, root_key=root.key)
    found = api(alice).get("/api/v1/process-instances", {"q": "CHILD-1"}).json()["items"]
    assert [i["businessKey"] for i in found] == ["ROOT-1"]
    assert api(hidden_from_bob).get("/api/v1/process-instances", {"q": "CHILD-1"}).json()["items"] == []
    found = api(hidden_from_bob).get("/api/v1/process-instances", {"q": "ROOT-1"}).json()["items"]
    assert [i["businessKey"] for i in found] == ["ROOT-1"]
