"""Bulk modification: one list of token instructions over every selected instance of one version.

A real engine run: instances are deployed, started and moved through the services;
the batch's chunks run inline (dispatch=False) instead of on Celery.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import services
from orchestration.exceptions import InvalidInput
from orchestration.models import AuditEvent, BatchItem, BatchOperation, ElementInstance, Job, ProcessInstance, Variable
from orchestration.services import batches

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PINNED = {"process": "bulk-modify", "version": "1"}
MOVE_A_TO_B = [{"op": "move", "from": "Task_A", "to": "Task_B"}]

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(db):
    (definition,) = services.deploy((FIXTURES / "batch_modify.bpmn").read_text(), actor="admin").definitions
    return definition


def start(business_key: str) -> ProcessInstance:
    return services.start_instance("bulk-modify", business_key=business_key, actor="test")


def open_job(instance: ProcessInstance, element_id: str) -> Job:
    return Job.objects.get(instance_id=instance.key, element_id=element_id, state__in=Job.OPEN_STATES)


def tokens(instance: ProcessInstance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


def state(instance: ProcessInstance) -> str:
    return ProcessInstance.objects.values_list("state", flat=True).get(key=instance.key)


def run_to_end(batch_key, size: int = 10) -> None:
    for _ in range(100):
        result = batches.run_batch_chunk(batch_key, size=size, dispatch=False)
        if result.state != BatchOperation.State.RUNNING or result.remaining == 0:
            return


def test_thirty_instances_move_from_a_to_b_and_complete_when_b_completes(model):
    waiting = [start(f"ORD-{n:02}") for n in range(30)]
    past_a = [start(f"PAST-{n}") for n in range(3)]
    for instance in past_a:
        services.complete_job(open_job(instance, "Task_A").key, actor="worker")
    a_jobs = [open_job(i, "Task_A").key for i in waiting]

    batch = batches.create_batch(
        "modify", PINNED, actor="alice", params={"instructions": MOVE_A_TO_B}, reason="gateway down", dispatch=False
    )
    assert (batch.total, batch.state) == (33, "running")
    assert batch.params == {"definition": str(model.key), "instructions": MOVE_A_TO_B}
    run_to_end(batch.key)

    batch.refresh_from_db()
    assert (batch.state, batch.succeeded, batch.skipped, batch.failed) == ("completed", 30, 3, 0)
    skipped = BatchItem.objects.filter(batch=batch, state="skipped")
    assert {i.instance_key for i in skipped} == {i.key for i in past_a}
    assert set(skipped.values_list("message", flat=True)) == {"no token in Task_A"}
    assert set(BatchItem.objects.filter(batch=batch, state="succeeded").values_list("message", flat=True)) == {
        "moved Task_A → Task_B"
    }
    assert all(tokens(i) == ["Task_B"] for i in waiting + past_a)
    assert set(Job.objects.filter(key__in=a_jobs).values_list("state", flat=True)) == {"cancelled"}
    modified = AuditEvent.objects.filter(type="instance_modified")
    assert modified.count() == 30
    assert {(e.actor, e.data["reason"]) for e in modified} == {("alice", "gateway down")}

    for instance in waiting + past_a:
        services.complete_job(open_job(instance, "Task_B").key, actor="worker")
    assert {state(i) for i in waiting + past_a} == {"completed"}


def test_an_unknown_element_is_refused_before_anything_runs(model):
    instance = start("ORD-1")
    with pytest.raises(InvalidInput, match="'Task_Z' is not an element of bulk-modify v1"):
        batches.create_batch(
            "modify",
            PINNED,
            actor="alice",
            params={"instructions": [{"op": "move", "from": "Task_A", "to": "Task_Z"}]},
            reason="typo",
            dispatch=False,
        )
    assert not BatchOperation.objects.exists()
    assert tokens(instance) == ["Task_A"]


@pytest.mark.parametrize(
    ("instruction", "named"),
    [
        ({"op": "cancel", "element": "StartEvent_1"}, "'StartEvent_1' is a startEvent, where a token never waits"),
        ({"op": "move", "from": "End_1", "to": "Task_B"}, "'End_1' is a endEvent, where a token never waits"),
        ({"op": "move", "from": "Task_A", "to": "Late_B"}, "'Late_B' is a boundaryEvent"),
        ({"op": "start_before", "element": "StartEvent_1"}, "'StartEvent_1' is a startEvent"),
        ({"op": "start_after", "element": "End_1"}, "'End_1' has 0 outgoing sequence flows"),
        ({"op": "move", "from": "Task_A"}, "'to' needs an element id"),
        ({"op": "jump", "element": "Task_B"}, "unknown op 'jump'"),
        ({"op": "cancel", "element": "Task_A", "to": "Task_B"}, "unknown fields to"),
        (
            {"op": "start_before", "element": "Task_B", "variables": [1]},
            "instruction 1 variables must be a JSON object",
        ),
        ("move Task_A Task_B", "instruction 1 must be an object"),
    ],
)
def test_instructions_that_cannot_apply_to_the_version_are_refused_naming_the_problem(model, instruction, named):
    start("ORD-1")
    with pytest.raises(InvalidInput) as refused:
        batches.create_batch(
            "modify", PINNED, actor="alice", params={"instructions": [instruction]}, reason="fix", dispatch=False
        )
    assert named in refused.value.message
    assert not BatchOperation.objects.exists()


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"process": "bulk-modify"}, "pins one process version"),
        ({"version": "1"}, "pins one process version"),
        ({}, "pins one process version"),
        ({"process": "bulk-modify", "version": "7"}, "process 'bulk-modify' has no version 7"),
    ],
)
def test_the_filter_must_pin_one_version(model, filters, message):
    start("ORD-1")
    with pytest.raises(InvalidInput, match=message):
        batches.create_batch(
            "modify", filters, actor="alice", params={"instructions": MOVE_A_TO_B}, reason="fix", dispatch=False
        )
    assert not BatchOperation.objects.exists()


def test_no_instructions_and_no_reason_are_refused(model):
    start("ORD-1")
    with pytest.raises(InvalidInput, match="at least one instruction"):
        batches.create_batch("modify", PINNED, actor="alice", params={"instructions": []}, reason="x", dispatch=False)
    with pytest.raises(InvalidInput, match="a reason is required"):
        batches.create_batch(
            "modify", PINNED, actor="alice", params={"instructions": MOVE_A_TO_B}, reason="  ", dispatch=False
        )
    assert not BatchOperation.objects.exists()


def test_a_paused_batch_stops_between_items_and_resume_finishes_it(model, monkeypatch):
    instances = [start(f"ORD-{n}") for n in range(5)]
    batch = batches.create_batch(
        "modify", PINNED, actor="alice", params={"instructions": MOVE_A_TO_B}, reason="reroute", dispatch=False
    )
    real = batches._APPLY["modify"]

    def pause_after_first(current, key):
        message = real(current, key)
        monkeypatch.setitem(batches._APPLY, "modify", real)
        batches.pause_batch(current.key, actor="bob")  # someone presses pause while the chunk runs
        return message

    monkeypatch.setitem(batches._APPLY, "modify", pause_after_first)
    paused = batches.run_batch_chunk(batch.key, size=10, dispatch=False)

    assert (paused.processed, paused.remaining, paused.state) == (1, 4, "paused")
    assert sorted(t for i in instances for t in tokens(i)) == ["Task_A"] * 4 + ["Task_B"]
    batches.resume_batch(batch.key, actor="alice")
    run_to_end(batch.key)
    batch.refresh_from_db()
    assert (batch.state, batch.succeeded) == ("completed", 5)
    assert all(tokens(i) == ["Task_B"] for i in instances)


def test_started_tokens_get_the_instruction_variables_and_several_instructions_apply_in_order(model):
    instance = start("ORD-1")
    instructions = [
        {"op": "cancel", "element": "Task_A"},
        {"op": "start_before", "element": "Task_B", "variables": {"priority": "high"}},
    ]
    batch = batches.create_batch(
        "modify", PINNED, actor="alice", params={"instructions": instructions}, reason="skip charge", dispatch=False
    )
    run_to_end(batch.key)

    item = BatchItem.objects.get(batch=batch)
    assert (item.state, item.message) == ("succeeded", "cancelled Task_A; started before Task_B")
    assert tokens(instance) == ["Task_B"]
    assert Variable.objects.get(instance_id=instance.key, name="priority").value == "high"


def test_instances_that_ended_after_the_selection_was_frozen_are_skipped(model):
    keep, gone = start("ORD-1"), start("ORD-2")
    batch = batches.create_batch(
        "modify", PINNED, actor="alice", params={"instructions": MOVE_A_TO_B}, reason="reroute", dispatch=False
    )
    services.cancel_instance(gone.key, actor="alice", reason="duplicate")
    run_to_end(batch.key)

    items = dict(BatchItem.objects.filter(batch=batch).values_list("instance_key", "message"))
    assert items == {keep.key: "moved Task_A → Task_B", gone.key: "instance is cancelled"}
    assert BatchItem.objects.get(batch=batch, instance_key=gone.key).state == "skipped"


def test_only_active_instances_of_the_pinned_version_are_selected(model):
    active = start("ORD-1")
    done = start("ORD-2")
    services.cancel_instance(done.key, actor="alice", reason="duplicate")
    preview = batches.preview_batch("modify", PINNED)
    assert preview.count == 1 and [i.key for i in preview.sample] == [active.key]
