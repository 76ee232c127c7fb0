"""POST /api/v1/batches with kind "modify": token instructions over the instances of one pinned version."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration import services
from orchestration.models import AuditEvent, BatchOperation, ElementInstance, ProcessInstance
from orchestration.services.batches import run_batch_chunk

from .conftest import assert_error

MODEL = Path(__file__).resolve().parents[1] / "services" / "fixtures" / "batch_modify.bpmn"
PINNED = {"processId": "bulk-modify", "version": 1}
MOVE = [{"op": "move", "from": "Task_A", "to": "Task_B"}]


@pytest.fixture
def waiting(db) -> list[ProcessInstance]:
    services.deploy(MODEL.read_text(), actor="admin")
    return [services.start_instance("bulk-modify", business_key=f"ORD-{n}", actor="test") for n in range(3)]


def submit(client, **data):
    return client.post("/api/v1/batches", data, format="json")


def active(instance: ProcessInstance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


def test_an_operator_moves_tokens_of_one_version_in_bulk(api, alice, waiting):
    past = waiting[2]
    services.complete_job(_job(past, "Task_A"), actor="worker")  # already past Task_A: skipped
    client = api(alice)
    response = submit(
        client,
        kind="modify",
        filter=PINNED,
        params={"instructions": MOVE + [{"op": "start_after", "element": "Task_B", "variables": {"late": True}}]},
        reason="gateway down",
    )
    assert response.status_code == 201, response.content
    batch = response.json()
    assert (batch["kind"], batch["total"], batch["createdBy"], batch["reason"]) == (
        "modify",
        3,
        "alice",
        "gateway down",
    )
    assert batch["params"]["instructions"] == [
        {"op": "move", "from": "Task_A", "to": "Task_B"},
        {"op": "start_after", "element": "Task_B", "variables": {"late": True}},
    ]
    assert "version=1" in batch["filter"]

    run_batch_chunk(batch["key"], dispatch=False)
    detail = client.get(f"/api/v1/batches/{batch['key']}").json()
    assert detail["counts"] == {"pending": 0, "succeeded": 2, "failed": 0, "skipped": 1}
    skipped = client.get(f"/api/v1/batches/{batch['key']}/items", {"state": "skipped"}).json()["items"]
    assert [(i["processInstanceKey"], i["message"]) for i in skipped] == [(str(past.key), "no token in Task_A")]
    assert [active(i) for i in waiting] == [["Task_B"]] * 3
    assert AuditEvent.objects.filter(type="instance_modified", actor="alice").count() == 2


def _job(instance: ProcessInstance, element_id: str):
    from orchestration.models import Job

    return Job.objects.get(instance_id=instance.key, element_id=element_id, state__in=Job.OPEN_STATES).key


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"filter": {"processId": "bulk-modify"}, "params": {"instructions": MOVE}}, "pins one process version"),
        ({"filter": {"version": 1}, "params": {"instructions": MOVE}}, "pins one process version"),
        ({"filter": {**PINNED, "version": 4}, "params": {"instructions": MOVE}}, "has no version 4"),
        ({"filter": PINNED}, "at least one instruction"),
        ({"filter": PINNED, "params": {"instructions": []}}, "at least one instruction"),
        (
            {"filter": PINNED, "params": {"instructions": [{"op": "move", "from": "Task_A", "to": "Nope"}]}},
            "'Nope' is not an element of bulk-modify v1",
        ),
        (
            {"filter": PINNED, "params": {"instructions": [{"op": "cancel", "element": "StartEvent_1"}]}},
            "'StartEvent_1' is a startEvent",
        ),
        (
            {"filter": PINNED, "params": {"instructions": [{"op": "teleport", "element": "Task_A"}]}},
            '"teleport" is not a valid choice',
        ),
        ({"filter": PINNED, "params": {"instructions": MOVE}, "reason": ""}, "a reason is required"),
        ({"filter": {**PINNED, "version": 0}, "params": {"instructions": MOVE}}, "version"),
    ],
)
def test_a_modify_that_cannot_apply_is_400_and_starts_nothing(api, alice, waiting, data, message):
    data = {"kind": "modify", "reason": "fix", **data}
    error = assert_error(submit(api(alice), **data), 400, "invalid_input")
    assert message in error["message"], error
    assert not BatchOperation.objects.exists()
    assert [active(i) for i in waiting] == [["Task_A"]] * 3


@pytest.mark.parametrize("persona", ["bob", "carol", "dave"])
def test_only_repair_roles_may_submit_a_modify(api, request, waiting, persona):
    response = submit(
        api(request.getfixturevalue(persona)),
        kind="modify",
        filter=PINNED,
        params={"instructions": MOVE},
        reason="x",
    )
    assert_error(response, 403, "permission_denied")
    assert not BatchOperation.objects.exists()


def test_the_schema_documents_modify_instructions_and_the_version_filter(api, alice):
    schema = api(alice).get("/api/v1/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    instruction = components["ModifyInstructionRequest"]
    assert set(instruction["properties"]) == {"op", "from", "to", "element", "variables"}
    assert instruction["required"] == ["op"]
    assert components["BatchParamsRequest"]["properties"]["instructions"]["items"] == {
        "$ref": "#/components/schemas/ModifyInstructionRequest"
    }
    assert "version" in components["BatchFilterRequest"]["properties"]
    assert "modify" in components["BatchCreateRequest"]["properties"]["reason"]["description"]
