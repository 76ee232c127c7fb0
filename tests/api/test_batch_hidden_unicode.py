"""A batch of a hidden process whose id has a non-ASCII letter is hidden too: the batch list
matches the process id on the JSON array as text, which PostgreSQL writes with the letter as
it is and SQLite with it escaped (it was missed on PostgreSQL)."""

from __future__ import annotations

from orchestration.services import batches as batch_service
from tests.api.conftest import ONE_TASK, deploy, make_user, start
from tests.api.test_process_rules import with_rule

PID = "bestellung-prüfen"


def test_hidden_batch_with_non_ascii_process_id(api, alice, db):
    deploy(ONE_TASK.replace('id="api-one"', f'id="{PID}"'), "u.bpmn")
    start(PID, "U-1")
    batch = batch_service.create_batch("suspend", {"process": PID}, actor="system", dispatch=False)
    assert batch.total == 1
    hidden = with_rule(make_user("hank", "operator"), PID, "view")
    client = api(hidden)
    listed = [b["key"] for b in client.get("/api/v1/batches").json()["items"]]
    detail = client.get(f"/api/v1/batches/{batch.key}")
    items = client.get(f"/api/v1/batches/{batch.key}/items")
    assert str(batch.key) not in listed
    assert detail.status_code == 404 and items.status_code == 404
