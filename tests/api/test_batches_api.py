"""Batch operations over the API: submit by filter, follow progress and items, pause/resume/cancel/retry."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.models import BatchItem, BatchOperation, Job, ProcessInstance
from orchestration.services.batches import run_batch_chunk

from .conftest import assert_error, start

UNKNOWN = "00000000-0000-7000-8000-000000000000"


def failed_instance(business_key: str = "") -> ProcessInstance:
    instance = start("api-one", business_key)
    job = Job.objects.get(instance=instance)
    services.fail_job(job.key, retries=0, error_message="HTTP 502 from the gateway", actor="test")
    return instance


def submit(client, **data):
    return client.post("/api/v1/batches", data, format="json")


def test_an_operator_retries_incidents_in_bulk_and_follows_the_batch(api, alice, processes):
    failed = [failed_instance("B-1"), failed_instance("B-2")]
    start("api-one", "B-3")  # no incident: not selected
    client = api(alice)
    response = submit(client, kind="retry_incidents", filter={"processId": "api-one", "state": "incident"})
    assert response.status_code == 201, response.content
    batch = response.json()
    assert batch["kind"] == "retry_incidents" and batch["state"] == "running"
    assert batch["total"] == 2 and batch["createdBy"] == "alice"
    assert batch["counts"] == {"pending": 2, "succeeded": 0, "failed": 0, "skipped": 0}
    assert "process=api-one" in batch["filter"]

    run_batch_chunk(batch["key"], dispatch=False)
    detail = client.get(f"/api/v1/batches/{batch['key']}").json()
    assert detail["state"] == "completed" and detail["percent"] == 100
    assert detail["counts"] == {"pending": 0, "succeeded": 2, "failed": 0, "skipped": 0}

    first = client.get(f"/api/v1/batches/{batch['key']}/items", {"limit": 1}).json()
    assert len(first["items"]) == 1 and first["nextCursor"]
    rest = client.get(f"/api/v1/batches/{batch['key']}/items", {"cursor": first["nextCursor"]}).json()
    assert rest["nextCursor"] is None
    items = first["items"] + rest["items"]
    assert {i["processInstanceKey"] for i in items} == {str(i.key) for i in failed}
    assert {i["state"] for i in items} == {"succeeded"} and items[0]["message"] == "retried 1 incident"
    only_failed = client.get(f"/api/v1/batches/{batch['key']}/items", {"state": "failed"}).json()
    assert only_failed["items"] == []

    listed = client.get("/api/v1/batches").json()
    assert [b["key"] for b in listed["items"]] == [batch["key"]] and listed["nextCursor"] is None


def test_a_cancel_batch_needs_a_reason_and_cancels_the_selection(api, erin, processes):
    keep = start("api-three", "KEEP")
    gone = [start("api-three", "GONE-1"), start("api-three", "GONE-2")]
    client = api(erin)
    assert_error(submit(client, kind="cancel", filter={"businessKey": "GONE"}), 400, "invalid_input")
    response = submit(client, kind="cancel", filter={"businessKey": "GONE"}, reason="duplicates")
    assert response.status_code == 201, response.content
    run_batch_chunk(response.json()["key"], dispatch=False)
    states = dict(ProcessInstance.objects.values_list("business_key", "state"))
    assert states["KEEP"] == "active" and {states[i.business_key] for i in gone} == {"cancelled"}
    assert keep.business_key == "KEEP"


def test_pause_resume_cancel_and_retry_failed(api, alice, processes):
    for n in range(3):
        start("api-three", f"P-{n}")
    client = api(alice)
    key = submit(client, kind="suspend", filter={"processId": "api-three"}).json()["key"]
    assert_error(client.post(f"/api/v1/batches/{key}/resume"), 409, "invalid_state")
    assert client.post(f"/api/v1/batches/{key}/pause").json()["state"] == "paused"
    assert run_batch_chunk(key, dispatch=False).processed == 0  # paused: left alone
    assert client.post(f"/api/v1/batches/{key}/resume").json()["state"] == "running"
    assert_error(client.post(f"/api/v1/batches/{key}/retry-failed"), 409, "invalid_state")  # none failed
    cancelled = client.post(f"/api/v1/batches/{key}/cancel").json()
    assert cancelled["state"] == "cancelled" and cancelled["finishedAt"]
    assert cancelled["counts"]["skipped"] == 3 and cancelled["counts"]["pending"] == 0
    assert_error(client.post(f"/api/v1/batches/{key}/cancel"), 409, "invalid_state")


def test_retry_failed_puts_failed_items_back(api, alice, processes):
    instance = start("api-three", "R-1")
    client = api(alice)
    key = submit(client, kind="suspend", filter={"processId": "api-three"}).json()["key"]
    BatchItem.objects.filter(batch_id=key).update(state="failed", message="boom")
    BatchOperation.objects.filter(key=key).update(state="completed")
    again = client.post(f"/api/v1/batches/{key}/retry-failed")
    assert again.status_code == 200, again.content
    assert again.json()["state"] == "running" and again.json()["counts"]["pending"] == 1
    run_batch_chunk(key, dispatch=False)
    instance.refresh_from_db()
    assert instance.suspended


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "explode"},
        {"kind": "suspend", "filter": {"state": "weird"}},
        {"kind": "suspend", "filter": "process=x"},
        {"kind": "set_variables", "reason": "fix"},
        {"kind": "migrate"},
        {"kind": "migrate", "params": {"targetDefinitionKey": UNKNOWN}},
        {"kind": "suspend", "filter": {"q": "a" * 501}},
    ],
)
def test_bad_input_is_400(api, alice, processes, data):
    assert_error(submit(api(alice), **data), 400, "invalid_input")
    assert not BatchOperation.objects.exists()


def test_a_bad_cursor_and_item_state_are_400(api, alice, processes):
    client = api(alice)
    key = submit(client, kind="suspend").json()["key"]
    assert_error(client.get("/api/v1/batches", {"cursor": "nope"}), 400, "invalid_input")
    assert_error(client.get(f"/api/v1/batches/{key}/items", {"cursor": "nope"}), 400, "invalid_input")
    assert_error(client.get(f"/api/v1/batches/{key}/items", {"state": "weird"}), 400, "invalid_input")


def test_unknown_batches_are_404(api, alice, db):
    client = api(alice)
    for path in ("", "/items"):
        assert_error(client.get(f"/api/v1/batches/{UNKNOWN}{path}"), 404, "not_found")
        assert_error(client.get(f"/api/v1/batches/not-a-key{path}"), 404, "not_found")
    for action in ("pause", "resume", "cancel", "retry-failed"):
        assert_error(client.post(f"/api/v1/batches/{UNKNOWN}/{action}"), 404, "not_found")


def test_batches_need_the_repair_role(api, bob, walt, dave, processes):
    start("api-three")
    for user in (bob, walt, dave):
        assert_error(api(user).get("/api/v1/batches"), 403, "permission_denied")
        assert_error(submit(api(user), kind="suspend"), 403, "permission_denied")
    assert not BatchOperation.objects.exists()
    assert_error(api().get("/api/v1/batches"), 401, "not_authenticated")
    assert_error(submit(api(), kind="suspend"), 401, "not_authenticated")
    assert_error(api().post(f"/api/v1/batches/{UNKNOWN}/pause"), 401, "not_authenticated")
