"""Process instances: start, search with keyset pages, get, cancel, suspend/resume,
variables, migrate, modify, history."""

from __future__ import annotations

import uuid

from orchestration.models import Job, ProcessDefinition, ProcessInstance

from .conftest import THREE_TASKS, assert_error, deploy, start

MISSING = "00000000-0000-0000-0000-000000000000"


def test_an_operator_starts_an_instance_with_business_key_and_variables(api, alice, processes):
    response = api(alice).post(
        "/api/v1/process-instances",
        {"processId": "api-three", "businessKey": "ORD-1", "variables": {"orderId": "ORD-1", "total": 12.5}},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["businessKey"] == "ORD-1" and body["state"] == "active" and body["version"] == 1
    assert [e["elementId"] for e in body["activeElements"]] == ["a"]
    instance = ProcessInstance.objects.get(key=body["key"])
    assert instance.started_by == "alice"


def test_a_worker_account_starts_an_exact_definition_version(api, walt, processes):
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-one")
    response = api(walt).post("/api/v1/process-instances", {"definitionKey": str(definition.key)}, format="json")
    assert response.status_code == 201
    assert response.json()["definitionKey"] == str(definition.key)


def test_starting_needs_exactly_one_of_process_id_and_definition_key(api, alice, processes):
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-one")
    for payload in ({}, {"processId": "api-one", "definitionKey": str(definition.key)}):
        error = assert_error(api(alice).post("/api/v1/process-instances", payload, format="json"), 400, "invalid_input")
        assert "processId" in error["fields"]


def test_starting_with_variables_that_are_not_an_object_is_400(api, alice, processes):
    response = api(alice).post("/api/v1/process-instances", {"processId": "api-one", "variables": [1]}, format="json")
    assert "variables" in assert_error(response, 400, "invalid_input")["fields"]


def test_starting_an_unknown_process_is_404(api, alice, processes):
    assert_error(api(alice).post("/api/v1/process-instances", {"processId": "nope"}, format="json"), 404, "not_found")


def test_support_may_not_start_instances(api, bob, dave, processes):
    for user in (bob, dave):
        assert_error(
            api(user).post("/api/v1/process-instances", {"processId": "api-one"}, format="json"),
            403,
            "permission_denied",
        )


def test_search_uses_operates_filters(api, bob, processes):
    start("api-three", "ORD-100", orderId="ORD-100")
    start("api-three", "ORD-200", orderId="ORD-200")
    done = start("api-one", "REF-1")
    ProcessInstance.objects.filter(key=done.key).update(state="completed")
    client = api(bob)
    by_key = client.get("/api/v1/process-instances", {"businessKey": "ORD-1"}).json()["items"]
    assert [i["businessKey"] for i in by_key] == ["ORD-100"]
    by_variable = client.get("/api/v1/process-instances", {"q": "orderId=ORD-200"}).json()["items"]
    assert [i["businessKey"] for i in by_variable] == ["ORD-200"]
    completed = client.get("/api/v1/process-instances", {"state": "completed"}).json()["items"]
    assert [i["businessKey"] for i in completed] == ["REF-1"]
    by_process = client.get("/api/v1/process-instances", {"processId": "api-three"}).json()["items"]
    assert {i["businessKey"] for i in by_process} == {"ORD-100", "ORD-200"}
    assert_error(client.get("/api/v1/process-instances", {"state": "sleeping"}), 400, "invalid_input")


def test_keyset_pagination_returns_every_instance_once(api, bob, processes):
    keys = {str(start("api-one", f"K-{n}").key) for n in range(7)}
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api(bob).get("/api/v1/process-instances", params).json()
        seen += [i["key"] for i in body["items"]]
        pages += 1
        cursor = body["nextCursor"]
        if cursor is None:
            break
        start("api-one", "NEWER")  # newer rows do not shift the following pages
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7 and set(seen) == keys


def test_a_cursor_that_is_not_ours_is_400(api, bob, processes):
    assert (
        "cursor"
        in assert_error(api(bob).get("/api/v1/process-instances", {"cursor": "x_y"}), 400, "invalid_input")["fields"]
    )


def test_get_an_instance_and_an_unknown_one(api, bob, processes):
    instance = start("api-three", "ORD-9")
    body = api(bob).get(f"/api/v1/process-instances/{instance.key}").json()
    assert body["key"] == str(instance.key) and body["hasOpenIncident"] is False
    assert_error(api(bob).get(f"/api/v1/process-instances/{MISSING}"), 404, "not_found")
    assert_error(api(bob).get("/api/v1/process-instances/not-a-uuid"), 404, "not_found")


def test_cancel_suspend_and_resume(api, alice, bob, processes):
    instance = start("api-three")
    client = api(alice)
    assert_error(
        api(bob).post(f"/api/v1/process-instances/{instance.key}/suspend", {}, format="json"), 403, "permission_denied"
    )
    suspended = client.post(
        f"/api/v1/process-instances/{instance.key}/suspend", {"reason": "investigating"}, format="json"
    )
    assert suspended.status_code == 200 and suspended.json()["suspended"] is True
    assert_error(
        client.post(f"/api/v1/process-instances/{instance.key}/suspend", {}, format="json"), 409, "invalid_state"
    )
    assert (
        client.post(f"/api/v1/process-instances/{instance.key}/resume", {}, format="json").json()["suspended"] is False
    )
    cancelled = client.post(f"/api/v1/process-instances/{instance.key}/cancel", {"reason": "duplicate"}, format="json")
    assert cancelled.json()["state"] == "cancelled"
    assert_error(
        client.post(f"/api/v1/process-instances/{instance.key}/cancel", {}, format="json"), 409, "invalid_state"
    )
    assert_error(client.post(f"/api/v1/process-instances/{MISSING}/cancel", {}, format="json"), 404, "not_found")


def test_variables_get_and_set(api, alice, bob, processes):
    instance = start("api-three", orderId="ORD-1", total=10)
    assert api(bob).get(f"/api/v1/process-instances/{instance.key}/variables").json()["variables"] == {
        "orderId": "ORD-1",
        "total": 10,
    }
    response = api(alice).patch(
        f"/api/v1/process-instances/{instance.key}/variables",
        {"variables": {"total": 12, "note": {"a": [1]}}, "reason": "fix"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["variables"] == {"note": {"a": [1]}, "orderId": "ORD-1", "total": 12}
    assert_error(
        api(bob).patch(f"/api/v1/process-instances/{instance.key}/variables", {"variables": {"x": 1}}, format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        api(alice).patch(f"/api/v1/process-instances/{instance.key}/variables", {"variables": "x"}, format="json"),
        400,
        "invalid_input",
    )
    assert_error(
        api(alice).patch(f"/api/v1/process-instances/{instance.key}/variables", {}, format="json"), 400, "invalid_input"
    )
    assert_error(api(bob).get(f"/api/v1/process-instances/{MISSING}/variables"), 404, "not_found")


def test_variables_over_the_size_limit_are_refused(api, alice, processes, settings):
    settings.ORCHESTRATION = {**settings.ORCHESTRATION, "MAX_VARIABLE_BYTES": 100}
    instance = start("api-one")
    response = api(alice).patch(
        f"/api/v1/process-instances/{instance.key}/variables", {"variables": {"x": "y" * 200}}, format="json"
    )
    assert_error(response, 400, "variables_too_large")


def test_migrate_to_a_new_version(api, alice, processes):
    instance = start("api-three")
    target = deploy(THREE_TASKS.replace('id="c"', 'id="c" name="C v2"'))[0]
    response = api(alice).post(
        f"/api/v1/process-instances/{instance.key}/migrate", {"targetDefinitionKey": str(target.key)}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    assert Job.objects.get(instance=instance, state="activatable").definition_id == target.key


def test_a_migration_that_cannot_map_an_element_is_refused_with_a_report(api, alice, processes):
    instance = start("api-three")
    target = deploy(THREE_TASKS.replace('"a"', '"a2"').replace("-a-", "-a2-").replace("api.a", "api.a2"))[0]
    response = api(alice).post(
        f"/api/v1/process-instances/{instance.key}/migrate",
        {"targetDefinitionKey": str(target.key), "auto": True},
        format="json",
    )
    error = assert_error(response, 400, "migration_refused")
    assert str(instance.key) in error["report"]


def test_migrate_with_an_unknown_element_mapping_is_400(api, alice, processes):
    instance = start("api-three")
    target = deploy(THREE_TASKS.replace('id="c"', 'id="c" name="C v2"'))[0]
    body = {"targetDefinitionKey": str(target.key), "mappings": [{"source": "zzz", "target": "a"}]}
    assert_error(
        api(alice).post(f"/api/v1/process-instances/{instance.key}/migrate", body, format="json"), 400, "invalid_input"
    )


def test_modify_moves_a_token(api, alice, processes):
    instance = start("api-three")
    body = {"instructions": [{"kind": "move", "elementId": "a", "targetElementId": "c"}], "reason": "skip b"}
    response = api(alice).post(f"/api/v1/process-instances/{instance.key}/modify", body, format="json")
    assert response.status_code == 200, response.content
    assert [e["elementId"] for e in response.json()["activeElements"]] == ["c"]
    bad = {"instructions": [{"kind": "teleport"}]}
    assert_error(
        api(alice).post(f"/api/v1/process-instances/{instance.key}/modify", bad, format="json"), 400, "invalid_input"
    )
    unknown = {"instructions": [{"kind": "start_before", "elementId": "nowhere"}]}
    assert_error(
        api(alice).post(f"/api/v1/process-instances/{instance.key}/modify", unknown, format="json"),
        400,
        "invalid_input",
    )


def test_history_is_the_audit_log_in_keyset_pages(api, alice, bob, processes):
    instance = start("api-three")
    api(alice).patch(f"/api/v1/process-instances/{instance.key}/variables", {"variables": {"x": 1}}, format="json")
    first = api(bob).get(f"/api/v1/process-instances/{instance.key}/history", {"limit": 2}).json()
    assert len(first["items"]) == 2 and first["nextCursor"]
    rest = (
        api(bob)
        .get(f"/api/v1/process-instances/{instance.key}/history", {"cursor": first["nextCursor"], "limit": 200})
        .json()
    )
    events = first["items"] + rest["items"]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[-1]["type"] == "variables_updated" and events[-1]["actor"] == "alice"
    assert_error(
        api(bob).get(f"/api/v1/process-instances/{instance.key}/history", {"cursor": "bad"}), 400, "invalid_input"
    )
    assert_error(api(bob).get(f"/api/v1/process-instances/{uuid.uuid4()}/history"), 404, "not_found")
