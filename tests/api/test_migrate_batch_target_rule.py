"""A migrate batch moves instances into its target process. Creating one checks "repair" on
the target for the creator (batches._check_params); steering one (resume, retry failed) checks
it too (access.check_batch), not only the processes its items are on now."""

from __future__ import annotations

from orchestration.services import batches as batch_service
from tests.api.conftest import ONE_TASK, deploy, make_user, start
from tests.api.test_process_rules import with_rule


def test_resume_of_migrate_batch_by_user_denied_on_target(api, alice, processes):
    target = deploy(ONE_TASK.replace('id="api-one"', 'id="api-one-b"'), "b.bpmn")[0]
    start("api-one", "MIG-1")
    batch = batch_service.create_batch(
        "migrate", {"process": "api-one"}, actor=alice, params={"target_definition": str(target.key)}, dispatch=False
    )
    batch_service.pause_batch(batch.key, actor=alice)
    oscar = with_rule(make_user("oscar", "operator"), "api-one-b", "repair")  # may not change api-one-b
    # oscar may not create this batch himself ...
    refused = api(oscar).post(
        "/api/v1/batches",
        {"kind": "migrate", "filter": {"processId": "api-one"}, "params": {"targetDefinitionKey": str(target.key)}},
        format="json",
    )
    assert refused.status_code == 403, refused.content
    # ... but may resume alice's, which then moves instances into api-one-b
    response = api(oscar).post(f"/api/v1/batches/{batch.key}/resume")
    assert response.status_code == 403, (response.status_code, response.content[:300])


def test_a_migrate_batch_into_a_hidden_process_is_hidden(api, alice, processes):
    target = deploy(ONE_TASK.replace('id="api-one"', 'id="api-one-c"'), "c.bpmn")[0]
    start("api-one", "MIG-2")
    batch = batch_service.create_batch(
        "migrate", {"process": "api-one"}, actor=alice, params={"target_definition": str(target.key)}, dispatch=False
    )
    assert batch.process_ids == ["api-one", "api-one-c"]
    blind = api(with_rule(make_user("ida", "operator"), "api-one-c", "view"))
    assert str(batch.key) not in [b["key"] for b in blind.get("/api/v1/batches").json()["items"]]
    assert blind.get(f"/api/v1/batches/{batch.key}").status_code == 404
