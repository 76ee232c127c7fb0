"""/process-instance, /message, /signal."""

from __future__ import annotations

from orchestration.models import ProcessInstance, Variable

from .conftest import complete_reserve, fetch, open_job


def _to_message(client, instance):
    complete_reserve(client, instance)
    fetch(client, topic="charge-card")
    job = open_job(instance, "charge")
    client.post(f"/engine-rest/external-task/{job.key}/complete", {"workerId": "w1"}, format="json")


def test_process_instance_query_get_and_count(bob, start):
    ok, other = start("ok"), start("fail")
    listed = bob.get(
        "/engine-rest/process-instance", {"processDefinitionKey": "order-c7", "businessKey": "bk-ok"}
    ).json()
    assert [i["id"] for i in listed] == [str(ok.key)]
    assert set(listed[0]) == {
        "links",
        "id",
        "definitionId",
        "definitionKey",
        "businessKey",
        "caseInstanceId",
        "ended",
        "suspended",
        "tenantId",
    }
    ids = f"{ok.key},{other.key}"
    assert bob.get("/engine-rest/process-instance/count", {"processInstanceIds": ids}).json() == {"count": 2}
    repeated = bob.get(f"/engine-rest/process-instance?processInstanceIds={ok.key}&processInstanceIds={other.key}")
    assert len(repeated.json()) == 2
    by_variable = bob.get("/engine-rest/process-instance", {"variables": "mode_eq_fail"}).json()
    assert [i["id"] for i in by_variable] == [str(other.key)]
    posted = bob.post(
        "/engine-rest/process-instance",
        {"variables": [{"name": "orderId", "operator": "like", "value": "O-o%"}]},
        format="json",
    )
    assert [i["id"] for i in posted.json()] == [str(ok.key)]
    assert bob.get("/engine-rest/process-instance", {"maxResults": 1}).json()[0]["id"]
    assert bob.get(f"/engine-rest/process-instance/{ok.key}").json()["businessKey"] == "bk-ok"
    assert bob.get("/engine-rest/process-instance/not-a-key").status_code == 404
    assert bob.get("/engine-rest/process-instance", {"variables": "bad"}).status_code == 400
    assert bob.get("/engine-rest/process-instance", {"active": "maybe"}).status_code == 400


def test_get_ignores_a_body(bob, start):
    ok = start("ok")
    response = bob.generic(
        "GET", f"/engine-rest/process-instance/{ok.key}", '{"junk": ', content_type="application/json"
    )
    assert response.status_code == 200


def test_variables_get_put_modify_and_typed_round_trip(ada, bob, start):
    instance = start("ok")
    path = f"/engine-rest/process-instance/{instance.key}/variables"
    for name, dto in {
        "s": {"value": "text", "type": "String"},
        "b": {"value": True, "type": "Boolean"},
        "i": {"value": 3, "type": "Integer"},
        "l": {"value": 2**40, "type": "Long"},
        "d": {"value": 1.5, "type": "Double"},
        "t": {"value": "2026-11-21T10:00:00.000+0000", "type": "Date"},
        "j": {"value": '{"a": [1, 2]}', "type": "Json"},
        "o": {"value": '{"x": 1}', "type": "Object", "valueInfo": {"serializationDataFormat": "application/json"}},
        "n": {"value": None, "type": "Null"},
        "y": {"value": "aGVsbG8=", "type": "Bytes"},
    }.items():
        assert ada.put(f"{path}/{name}", dto, format="json").status_code == 204, name
    values = bob.get(path).json()
    assert values["b"] == {"type": "Boolean", "value": True, "valueInfo": {}}
    assert values["l"]["type"] == "Long" and values["d"]["type"] == "Double"
    assert values["t"] == {"type": "Date", "value": "2026-11-21T10:00:00.000+0000", "valueInfo": {}}
    assert values["j"] == {"type": "Json", "value": '{"a":[1,2]}', "valueInfo": {}}
    assert values["o"]["value"] == '{"x":1}' and values["n"]["type"] == "Null"
    assert bob.get(f"{path}/i").json() == {"type": "Integer", "value": 3, "valueInfo": {}}
    assert bob.get(f"{path}/y/data").content == b"hello"
    assert bob.get(f"{path}/missing").status_code == 404
    assert ada.post(path, {"modifications": {"s": {"value": "changed"}}}, format="json").status_code == 204
    assert Variable.objects.get(instance=instance, name="s").value == "changed"
    assert ada.post(path, {"deletions": ["s"]}, format="json").status_code == 501
    assert ada.put(f"{path}/x", {"value": "nope", "type": "Boolean"}, format="json").status_code == 400
    assert ada.put(f"{path}/x", {"value": 1, "type": "Strange"}, format="json").status_code == 400
    assert bob.put(f"{path}/x", {"value": 1}, format="json").status_code == 403


def test_activity_instance_tree_shows_where_the_instance_waits(bob, start):
    instance = start("ok")
    tree = bob.get(f"/engine-rest/process-instance/{instance.key}/activity-instances").json()
    assert tree["activityType"] == "processDefinition" and tree["id"] == str(instance.key)
    (child,) = tree["childActivityInstances"]
    assert child["activityId"] == "reserve" and child["activityName"] == "Reserve stock"
    assert child["parentActivityInstanceId"] == str(instance.key) and child["incidentIds"] == []


def test_delete_cancels_and_suspend_resume(ada, bob, start):
    instance = start("ok")
    assert (
        ada.put(
            f"/engine-rest/process-instance/{instance.key}/suspended", {"suspended": True}, format="json"
        ).status_code
        == 204
    )
    assert bob.get(f"/engine-rest/process-instance/{instance.key}").json()["suspended"] is True
    assert (
        ada.put(
            f"/engine-rest/process-instance/{instance.key}/suspended", {"suspended": False}, format="json"
        ).status_code
        == 204
    )
    assert bob.delete(f"/engine-rest/process-instance/{instance.key}").status_code == 403
    assert ada.delete(f"/engine-rest/process-instance/{instance.key}").status_code == 204
    instance.refresh_from_db()
    assert instance.state == ProcessInstance.State.CANCELLED
    assert ada.delete(f"/engine-rest/process-instance/{instance.key}").status_code == 404
    assert ada.delete(f"/engine-rest/process-instance/{instance.key}?failIfNotExists=false").status_code == 204


def test_message_correlates_by_correlation_keys_on_process_variables(wendy, start):
    a, b = start("ok", business_key="A"), start("ok", business_key="B", orderId="O-2")
    _to_message(wendy, a)
    _to_message(wendy, b)
    body = {
        "messageName": "PaymentConfirmed",
        "correlationKeys": {"orderId": {"value": "O-2", "type": "String"}},
        "processVariables": {"paid": {"value": True}},
    }
    assert wendy.post("/engine-rest/message", body, format="json").status_code == 204
    assert Variable.objects.get(instance=b, name="paid").value is True
    assert not Variable.objects.filter(instance=a, name="paid").exists()
    # nothing matches any more (b moved on): Camunda's 400
    again = wendy.post("/engine-rest/message", body, format="json")
    assert again.status_code == 400
    assert again.json() == {
        "type": "RestException",
        "message": "Cannot correlate message 'PaymentConfirmed': No process definition or execution matches the parameters",
        "code": None,
    }


def test_message_to_two_waiting_instances_needs_all(wendy, start):
    a, b = start("ok", business_key="A"), start("ok", business_key="B")
    _to_message(wendy, a)
    _to_message(wendy, b)
    ambiguous = wendy.post("/engine-rest/message", {"messageName": "PaymentConfirmed"}, format="json")
    assert ambiguous.status_code == 400 and "to a single execution. 2 executions match" in ambiguous.json()["message"]
    result = wendy.post(
        "/engine-rest/message", {"messageName": "PaymentConfirmed", "all": True, "resultEnabled": True}, format="json"
    ).json()
    assert {r["execution"]["processInstanceId"] for r in result} == {str(a.key), str(b.key)}
    assert all(r["resultType"] == "Execution" and r["processInstance"] is None for r in result)


def test_message_by_business_key_with_result_and_bad_input(wendy, bob, start):
    a = start("ok", business_key="A")
    _to_message(wendy, a)
    body = {
        "messageName": "PaymentConfirmed",
        "businessKey": "A",
        "resultEnabled": True,
        "variablesInResultEnabled": True,
    }
    (result,) = wendy.post("/engine-rest/message", body, format="json").json()
    assert result["execution"]["id"] == str(a.key) and result["variables"]["orderId"]["value"] == "O-ok"
    assert wendy.post("/engine-rest/message", {}, format="json").json()["message"] == "No message name supplied"
    assert bob.post("/engine-rest/message", {"messageName": "x"}, format="json").status_code == 403


def test_signal_is_broadcast_and_needs_a_name(wendy, definition):
    assert wendy.post("/engine-rest/signal", {"name": "nobody-listens"}, format="json").status_code == 204
    assert wendy.post("/engine-rest/signal", {}, format="json").status_code == 400
    assert wendy.post("/engine-rest/signal", {"name": "s", "executionId": "e"}, format="json").status_code == 501
