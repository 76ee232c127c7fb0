"""Per-process rules on every /engine-rest write, hidden processes, and no masked-variable probing.

oscar and olga are operators; a rule takes "repair" away from oscar's group on order-c7
and from olga's on order-other (another process). wade and wilma are workers with the same
pair of rules on "work_jobs". Every write on an order-c7 object is refused for oscar/wade
(403 AuthorizationException, nothing changes) and goes through for olga/wilma.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from orchestration import services
from orchestration.models import Job, MaskedVariable, ProcessInstance, ProcessPermission, Variable

from .conftest import BPMN, _user, basic_client, open_job


def with_rule(user: User, process_id: str, capability: str) -> User:
    group, _ = Group.objects.get_or_create(name=f"rule-{user.username}")
    user.groups.add(group)
    ProcessPermission.objects.create(group=group, bpmn_process_id=process_id, capability=capability, allow=False)
    return user


def persona(name: str, role: str, process_id: str, capability: str):
    return basic_client(with_rule(_user(name, role), process_id, capability))


@pytest.fixture
def oscar(db):
    return persona("oscar", "operator", "order-c7", "repair")


@pytest.fixture
def olga(db):
    return persona("olga", "operator", "order-other", "repair")


@pytest.fixture
def wade(db):
    return persona("wade", "worker", "order-c7", "work_jobs")


@pytest.fixture
def wilma(db):
    return persona("wilma", "worker", "order-other", "work_jobs")


@pytest.fixture
def other(definition):
    """The same model under another process id: the rules of olga and wilma name it."""
    xml = BPMN.replace(b'id="order-c7"', b'id="order-other"')
    return services.deploy(xml, actor="test", resource_name="other.bpmn").definitions[0]


def _state(instance) -> tuple:
    row = ProcessInstance.objects.get(key=instance.key)
    return row.state, row.suspended, row.definition_id


def _variable(name: str) -> Callable[[Any], bool]:
    return lambda instance: Variable.objects.filter(instance_id=instance.key, name=name).exists()


def _failed(start):
    instance = start("fail")
    services.activate_jobs("reserve-stock", worker="w1")
    services.fail_job(open_job(instance).key, retries=0, error_message="down", worker="w1", actor="test")
    return instance


def _migration(start):
    instance = start("ok")
    target = services.deploy(BPMN.replace(b"Reserve stock", b"Reserve stock v2"), actor="t").definitions[0]
    return instance, target


@dataclass(frozen=True)
class Write:
    prepare: Callable[[Any], Any]  # start -> object
    method: str
    url: Callable[[Any], str]
    body: Callable[[Any], dict]
    changed: Callable[[Any], bool]


def _plan(pair) -> dict:
    instance, target = pair
    source = ProcessInstance.objects.get(key=instance.key).definition
    return {
        "migrationPlan": {
            "sourceProcessDefinitionId": source.camunda_id,
            "targetProcessDefinitionId": target.camunda_id,
            "instructions": [{"sourceActivityIds": ["reserve"], "targetActivityIds": ["reserve"]}],
        },
        "processInstanceIds": [str(instance.key)],
    }


def _job_open_again(instance) -> bool:
    return Job.objects.filter(instance=instance, state="activatable").exists()


REPAIR_WRITES = {
    "delete instance": Write(
        lambda start: start("ok"),
        "delete",
        lambda i: f"/engine-rest/process-instance/{i.key}",
        lambda i: {},
        lambda i: _state(i)[0] == "cancelled",
    ),
    "suspend": Write(
        lambda start: start("ok"),
        "put",
        lambda i: f"/engine-rest/process-instance/{i.key}/suspended",
        lambda i: {"suspended": True},
        lambda i: _state(i)[1],
    ),
    "modify variables": Write(
        lambda start: start("ok"),
        "post",
        lambda i: f"/engine-rest/process-instance/{i.key}/variables",
        lambda i: {"modifications": {"fixed": {"value": 1, "type": "Integer"}}},
        _variable("fixed"),
    ),
    "put variable": Write(
        lambda start: start("ok"),
        "put",
        lambda i: f"/engine-rest/process-instance/{i.key}/variables/fixed",
        lambda i: {"value": "yes", "type": "String"},
        _variable("fixed"),
    ),
    "external task retries": Write(
        _failed,
        "put",
        lambda i: f"/engine-rest/external-task/{open_job(i).key}/retries",
        lambda i: {"retries": 2},
        _job_open_again,
    ),
    "external task retries (bulk)": Write(
        _failed,
        "put",
        lambda i: "/engine-rest/external-task/retries",
        lambda i: {"processInstanceIds": [str(i.key)], "retries": 2},
        _job_open_again,
    ),
    "migration": Write(
        _migration,
        "post",
        lambda pair: "/engine-rest/migration/execute",
        _plan,
        lambda pair: _state(pair[0])[2] == pair[1].key,
    ),
}


def send(client, write: Write, obj):
    return getattr(client, write.method)(write.url(obj), write.body(obj), format="json")


@pytest.mark.parametrize("name", REPAIR_WRITES)
def test_a_repair_rule_on_the_process_refuses_the_write_and_changes_nothing(oscar, start, name):
    write = REPAIR_WRITES[name]
    obj = write.prepare(start)
    response = send(oscar, write, obj)
    assert response.status_code == 403, response.content
    assert response.json()["type"] == "AuthorizationException"
    assert "order-c7" in response.json()["message"]
    assert not write.changed(obj)


@pytest.mark.parametrize("name", REPAIR_WRITES)
def test_a_repair_rule_on_another_process_leaves_the_write_allowed(olga, other, start, name):
    write = REPAIR_WRITES[name]
    obj = write.prepare(start)
    response = send(olga, write, obj)
    assert response.status_code in (200, 204), response.content
    assert write.changed(obj)


def _locked(start):
    instance = start("ok")
    services.activate_jobs("reserve-stock", worker="w1")
    return open_job(instance)


def _job(job) -> tuple:
    row = Job.objects.get(key=job.key)
    return row.state, row.lock_owner, row.lock_expires_at


JOB_COMMANDS = {
    "complete": {"workerId": "w1", "variables": {"reserved": {"value": True, "type": "Boolean"}}},
    "failure": {"workerId": "w1", "errorMessage": "down", "retries": 1, "retryTimeout": 60000},
    "bpmnError": {"workerId": "w1", "errorCode": "declined"},
    "extendLock": {"workerId": "w1", "newDuration": 600000},
    "unlock": {},
}


@pytest.mark.parametrize("command", JOB_COMMANDS)
def test_a_work_jobs_rule_refuses_external_task_commands_on_that_process_only(wade, wilma, other, start, command):
    job = _locked(start)
    before = _job(job)
    url = f"/engine-rest/external-task/{job.key}/{command}"
    response = wade.post(url, JOB_COMMANDS[command], format="json")
    assert response.status_code == 403, response.content
    assert response.json()["type"] == "AuthorizationException"
    assert _job(job) == before
    assert wilma.post(url, JOB_COMMANDS[command], format="json").status_code == 204
    assert _job(job) != before


def test_an_operator_denied_repair_may_not_set_variables_through_work_jobs_either(oscar, start):
    """An operator also holds work_jobs: the deny on repair still wins for the variables endpoints."""
    instance = start("ok")
    body = {"modifications": {"fixed": {"value": 1, "type": "Integer"}}}
    assert oscar.post(f"/engine-rest/process-instance/{instance.key}/variables", body, format="json").status_code == 403
    assert not _variable("fixed")(instance)


@pytest.mark.parametrize("path", ["key/order-c7/start", "key/order-c7/submit-form"])
def test_a_start_rule_refuses_starting_that_process_only(definition, other, path):
    stan = persona("stan", "worker", "order-c7", "start")
    response = stan.post(f"/engine-rest/process-definition/{path}", {"businessKey": "S-1"}, format="json")
    assert response.status_code == 403, response.content
    assert response.json()["type"] == "AuthorizationException"
    assert not ProcessInstance.objects.filter(bpmn_process_id="order-c7").exists()
    by_id = f"/engine-rest/process-definition/{definition.camunda_id}/start"
    assert stan.post(by_id, {}, format="json").status_code == 403
    response = stan.post("/engine-rest/process-definition/key/order-other/start", {}, format="json")
    assert response.status_code == 200, response.content


# -- a rule that takes "view" away hides the process --------------------------------------------


@pytest.fixture
def hidden_bob(db):
    return persona("hbob", "support", "order-c7", "view")


def test_queries_leave_out_what_a_rule_hides(hidden_bob, bob, other, start):
    hidden = _failed(start)
    shown = services.start_instance("order-other", actor="test", variables={"mode": "ok", "orderId": "O-1"})
    assert [i["id"] for i in hidden_bob.get("/engine-rest/process-instance").json()] == [str(shown.key)]
    assert hidden_bob.get("/engine-rest/process-instance/count").json() == {"count": 1}
    assert hidden_bob.get("/engine-rest/incident").json() == []
    assert [t["processInstanceId"] for t in hidden_bob.get("/engine-rest/external-task").json()] == [str(shown.key)]
    history = hidden_bob.get("/engine-rest/history/process-instance").json()
    assert [h["id"] for h in history] == [str(shown.key)]
    assert len(bob.get("/engine-rest/process-instance").json()) == 2  # no rule: both
    assert hidden.key != shown.key


def test_a_hidden_instance_is_not_found_by_id(hidden_bob, start):
    instance = _failed(start)
    for path in (
        f"process-instance/{instance.key}",
        f"process-instance/{instance.key}/variables",
        f"history/process-instance/{instance.key}",
        f"external-task/{open_job(instance).key}",
    ):
        assert hidden_bob.get(f"/engine-rest/{path}").status_code == 404, path


# -- no probing of masked variables by their value ---------------------------------------------


@pytest.fixture
def card(start):
    MaskedVariable.objects.create(bpmn_process_id="order-c7", name="card")
    return start("ok", card="4111")


@pytest.mark.parametrize(
    "method, path, params",
    [
        ("get", "process-instance", {"variables": "card_eq_4111"}),
        ("get", "process-instance/count", {"variables": "card_like_41%"}),
        ("post", "process-instance", {"variables": [{"name": "card", "operator": "eq", "value": "4111"}]}),
        ("get", "history/process-instance", {"variables": "card_eq_4111"}),
        ("post", "history/process-instance/count", {"variables": [{"name": "card", "operator": "gt", "value": 4000}]}),
        ("get", "task", {"processVariables": "card_eq_4111"}),
    ],
)
def test_a_variable_filter_on_a_masked_variable_is_refused(bob, carol, ada, card, method, path, params):
    client = carol if path == "task" else bob
    send_ = getattr(client, method)
    response = send_(f"/engine-rest/{path}", params, **({"format": "json"} if method == "post" else {}))
    assert response.status_code == 400, response.content
    assert "'card' is protected" in response.json()["message"]
    allowed = getattr(ada, method)(f"/engine-rest/{path}", params, **({"format": "json"} if method == "post" else {}))
    assert allowed.status_code == 200


def test_a_filter_on_an_unmasked_variable_still_works(bob, card):
    found = bob.get("/engine-rest/process-instance", {"variables": "mode_eq_ok"}).json()
    assert [i["id"] for i in found] == [str(card.key)]


# -- messages and signals (POST /message, POST /signal) ----------------------------------------


@pytest.fixture
def two_waiting(db):
    """api-message and its copy each have an instance waiting for api-paid (business key M-7)."""
    from tests.api.conftest import MESSAGE

    services.deploy(MESSAGE, actor="test", resource_name="message.bpmn")
    services.deploy(MESSAGE.replace('id="api-message"', 'id="api-message-copy"'), actor="test", resource_name="c.bpmn")
    return tuple(
        services.start_instance(p, business_key="M-7", variables={"orderId": "ORD-7"}, actor="test")
        for p in ("api-message", "api-message-copy")
    )


def waits_at(instance: ProcessInstance, element_id: str) -> bool:
    return instance.element_instances.filter(element_id=element_id, state="active").exists()


@pytest.mark.parametrize("capability", ["work_jobs", "view", "repair"])
@pytest.mark.parametrize("by", ["businessKey", "correlationKeys"])
def test_a_message_does_not_reach_instances_of_a_process_a_rule_takes_away(wendy, two_waiting, capability, by):
    original, copy = two_waiting
    worker = persona("wes", "worker", "api-message-copy", capability)
    match = {"businessKey": "M-7"} if by == "businessKey" else {"correlationKeys": {"orderId": {"value": "ORD-7"}}}
    body = {"messageName": "api-paid", "resultEnabled": True, **match}
    response = worker.post("/engine-rest/message", body, format="json")
    assert response.status_code == 200, response.content
    assert [r["execution"]["processInstanceId"] for r in response.json()] == [str(original.key)]
    assert not waits_at(original, "wait-paid")
    assert waits_at(copy, "wait-paid")
    # a worker without rules sees the copy waiting
    assert wendy.post("/engine-rest/message", body, format="json").status_code == 200
    assert not waits_at(copy, "wait-paid")


def test_a_message_for_a_denied_instance_only_is_no_match(wendy, two_waiting):
    _, copy = two_waiting
    worker = persona("wes", "worker", "api-message-copy", "work_jobs")
    body = {"messageName": "api-paid", "processInstanceId": str(copy.key)}
    response = worker.post("/engine-rest/message", body, format="json")
    assert response.status_code == 400
    assert "Cannot correlate" in response.json()["message"]
    assert waits_at(copy, "wait-paid")


def test_a_message_start_event_needs_start_on_its_process(wendy):
    from tests.api.test_process_rules import KICKED

    services.deploy(KICKED, actor="test", resource_name="kicked.bpmn")
    stan = persona("stan", "worker", "api-kicked", "start")
    body = {"messageName": "api-kick", "businessKey": "K-1"}
    assert stan.post("/engine-rest/message", body, format="json").status_code == 400
    assert not ProcessInstance.objects.filter(bpmn_process_id="api-kicked").exists()
    assert wendy.post("/engine-rest/message", body, format="json").status_code == 204
    assert ProcessInstance.objects.filter(bpmn_process_id="api-kicked").count() == 1


@pytest.mark.parametrize("capability", ["work_jobs", "view", "repair", "start"])
def test_a_signal_is_refused_for_a_user_with_a_deny_rule(wendy, two_waiting, capability):
    original, _ = two_waiting
    services.correlate_message("api-paid", process_instance_key=str(original.key), actor="test")
    assert waits_at(original, "wait-go")
    worker = persona("wes", "worker", "order-elsewhere", capability)
    response = worker.post("/engine-rest/signal", {"name": "api-go"}, format="json")
    assert response.status_code == 403
    assert response.json()["type"] == "AuthorizationException"
    assert waits_at(original, "wait-go")
    assert wendy.post("/engine-rest/signal", {"name": "api-go"}, format="json").status_code == 204
    assert not waits_at(original, "wait-go")
