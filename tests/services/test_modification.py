"""Instance modification: cancel, start before/after, move tokens; all or nothing, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import services
from orchestration.exceptions import InvalidInput, InvalidState
from orchestration.models import AuditEvent, ElementInstance, Job, ProcessInstance, UserTask, Variable
from orchestration.services.modification import (
    cancel_element,
    cancel_element_instance,
    move_tokens,
    start_after,
    start_before,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def instance(db):
    """Waiting at service task 'a' (then user task 'b', service task 'c', subprocess with 'inner')."""
    services.deploy((FIXTURES / "modification.bpmn").read_text(), actor="admin")
    return services.start_instance("modification", variables={"orderId": "ORD-1"}, actor="test")


def active(instance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


def open_jobs(instance) -> list[str]:
    return sorted(Job.objects.filter(instance=instance, state="activatable").values_list("element_id", flat=True))


def state(instance) -> str:
    return ProcessInstance.objects.get(key=instance.key).state


def snapshot(instance) -> tuple:
    return (
        state(instance),
        active(instance),
        sorted(Job.objects.filter(instance=instance).values_list("element_id", "state")),
        UserTask.objects.filter(instance=instance).count(),
        AuditEvent.objects.filter(instance_key=instance.key).count(),
        sorted(Variable.objects.filter(instance=instance).values_list("name", flat=True)),
    )


def test_cancel_and_start_before_moves_the_token(instance):
    (job_a,) = Job.objects.filter(instance=instance)
    (token,) = ElementInstance.objects.filter(instance=instance, state="active")

    services.modify_instance(
        instance.key,
        actor="operator",
        instructions=[cancel_element_instance(token.key), start_before("b")],
        reason="skip the charge",
    )

    assert active(instance) == ["b"]
    assert Job.objects.get(key=job_a.key).state == "cancelled"
    assert UserTask.objects.get(instance=instance).element_id == "b"
    assert state(instance) == "active"


def test_move_tokens_cancels_every_instance_of_one_element_and_starts_another(instance):
    services.modify_instance(instance.key, actor="operator", instructions=[move_tokens("a", "c")])

    assert active(instance) == ["c"]
    assert open_jobs(instance) == ["c"]


def test_start_after_takes_the_outgoing_flow_beside_the_existing_token(instance):
    services.modify_instance(instance.key, actor="operator", instructions=[start_after("a")])

    assert active(instance) == ["a", "b"]
    taken = AuditEvent.objects.filter(instance_key=instance.key, type="sequence_flow_taken").values_list(
        "element_id", flat=True
    )
    assert "f2" in list(taken)


def test_start_before_with_local_variables_sets_them_on_the_new_element_instance(instance):
    services.modify_instance(
        instance.key,
        actor="operator",
        instructions=[start_before("c", {"attempt": 2}, local=True), start_before("b", {"note": "by hand"})],
    )

    token = ElementInstance.objects.get(instance=instance, element_id="c", state="active")
    assert dict(Variable.objects.filter(instance=instance, scope_key=token.key).values_list("name", "value")) == {
        "attempt": 2
    }
    process_vars = dict(Variable.objects.filter(instance=instance, scope_key=instance.key).values_list("name", "value"))
    assert process_vars == {"orderId": "ORD-1", "note": "by hand"}
    assert active(instance) == ["a", "b", "c"]


def test_starting_inside_a_subprocess_without_an_active_instance_creates_the_scope(instance):
    services.modify_instance(instance.key, actor="operator", instructions=[move_tokens("a", "inner")])

    assert active(instance) == ["inner", "sub"]
    inner = ElementInstance.objects.get(instance=instance, element_id="inner", state="active")
    sub = ElementInstance.objects.get(instance=instance, element_id="sub", state="active")
    assert inner.scope_key == sub.key
    assert "sub-start" not in AuditEvent.objects.filter(instance_key=instance.key).values_list("element_id", flat=True)

    (job,) = Job.objects.filter(instance=instance, state="activatable")
    services.complete_job(job.key, actor="worker")
    assert state(instance) == "completed"


def test_cancelling_the_last_token_completes_the_instance(instance):
    services.modify_instance(instance.key, actor="operator", instructions=[cancel_element("a")])

    assert state(instance) == "completed"
    assert active(instance) == []
    assert Job.objects.get(instance=instance).state == "cancelled"
    types = list(AuditEvent.objects.filter(instance_key=instance.key).values_list("type", flat=True))
    assert types[-3:] == ["instance_modified", "element_terminated", "instance_completed"]


def test_cancelling_the_last_token_of_a_subprocess_terminates_the_subprocess(instance):
    services.modify_instance(
        instance.key, actor="operator", instructions=[move_tokens("a", "inner"), start_before("b")]
    )

    services.modify_instance(instance.key, actor="operator", instructions=[cancel_element("inner")])

    assert active(instance) == ["b"]
    assert ElementInstance.objects.get(instance=instance, element_id="sub").state == "terminated"
    assert state(instance) == "active"


def test_modification_is_audited_with_actor_reason_and_instructions(instance):
    services.modify_instance(
        instance.key, actor="olivia", instructions=[move_tokens("a", "b", {"x": 1})], reason="ticket 42"
    )

    event = AuditEvent.objects.get(instance_key=instance.key, type="instance_modified")
    assert event.actor == "olivia"
    assert event.data == {
        "instructions": [
            {"kind": "move", "element_id": "a", "target_element_id": "b", "variables": ["x"], "local": False}
        ],
        "reason": "ticket 42",
    }


def test_instructions_may_be_given_as_dicts(instance):
    (token,) = ElementInstance.objects.filter(instance=instance, state="active")

    services.modify_instance(
        instance.key,
        actor="operator",
        instructions=[
            {"kind": "cancel", "element_instance_key": str(token.key)},
            {"kind": "start_before", "element_id": "c"},
        ],
    )

    assert active(instance) == ["c"]


@pytest.mark.parametrize(
    ("instructions", "message"),
    [
        ([], "at least one instruction"),
        ([start_before("nope")], "'nope' is not an element of process 'modification'"),
        ([cancel_element("b")], "'b' has no active element instance"),
        ([cancel_element_instance("00000000-0000-0000-0000-000000000001")], "is not active in this instance"),
        ([start_after("end")], "exactly one outgoing sequence flow"),
        ([{"kind": "teleport", "element_id": "a"}], "unknown instruction kind 'teleport'"),
        # the first instruction alone would be fine: nothing of it may stay
        ([start_before("b"), move_tokens("a", "missing")], "instruction 2 (move): 'missing' is not an element"),
    ],
)
def test_refused_instructions_leave_everything_unchanged(instance, instructions, message):
    before = snapshot(instance)

    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        services.modify_instance(instance.key, actor="operator", instructions=instructions)

    assert snapshot(instance) == before


def test_a_cancelled_element_instance_cannot_be_cancelled_again(instance):
    (token,) = ElementInstance.objects.filter(instance=instance, state="active")
    services.modify_instance(
        instance.key, actor="operator", instructions=[start_before("b"), cancel_element_instance(token.key)]
    )

    with pytest.raises(InvalidInput, match="is not active"):
        services.modify_instance(instance.key, actor="operator", instructions=[cancel_element_instance(token.key)])


def test_an_ended_instance_cannot_be_modified(instance):
    services.cancel_instance(instance.key, actor="operator")

    with pytest.raises(InvalidState):
        services.modify_instance(instance.key, actor="operator", instructions=[start_before("b")])
