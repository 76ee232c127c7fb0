"""/deployment and /process-definition."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from orchestration.models import ProcessDefinition, ProcessInstance, Variable

from .conftest import BPMN


def _deploy(client, xml: bytes = BPMN, name: str = "order_c7.bpmn", **form):
    data = {"deployment-name": "orders", "data": SimpleUploadedFile(name, xml), **form}
    return client.post("/engine-rest/deployment/create", data, format="multipart")


def test_deployment_create_answers_deployment_with_definitions(ada):
    response = _deploy(ada, **{"deployment-source": "ci"})
    assert response.status_code == 200
    body = response.json()
    (definition_id,) = body["deployedProcessDefinitions"]
    definition = ProcessDefinition.objects.get()
    assert definition_id == f"order-c7:1:{definition.key}"
    assert body["deployedProcessDefinitions"][definition_id]["key"] == "order-c7"
    assert body["deployedProcessDefinitions"][definition_id]["deploymentId"] == body["id"]
    assert body["source"] == "ci" and body["name"] == "orders" and body["tenantId"] is None
    assert body["deployedCaseDefinitions"] is None and body["deployedDecisionDefinitions"] is None
    assert body["deploymentTime"].endswith("+0000")


def test_identical_xml_is_not_deployed_again_and_duplicate_filtering_answers_no_definitions(ada):
    first = _deploy(ada).json()
    again = _deploy(ada).json()
    assert again["id"] == first["id"] and list(again["deployedProcessDefinitions"]) == list(
        first["deployedProcessDefinitions"]
    )
    filtered = _deploy(ada, **{"enable-duplicate-filtering": "True"}).json()
    assert filtered["deployedProcessDefinitions"] is None
    changed = _deploy(
        ada, BPMN.replace(b"Reserve stock", b"Reserve stock v2"), **{"deploy-changed-only": "true"}
    ).json()
    assert list(changed["deployedProcessDefinitions"])[0].startswith("order-c7:2:")


def test_deployment_create_refuses_bad_input(ada, wendy):
    invalid = _deploy(ada, b"<not-bpmn/>")
    assert invalid.status_code == 400 and invalid.json()["type"] == "ParseException"
    empty = ada.post("/engine-rest/deployment/create", {"deployment-name": "x"}, format="multipart")
    assert empty.status_code == 400
    dmn = _deploy(ada, b"<definitions/>", name="rules.dmn")
    assert dmn.status_code == 501
    assert _deploy(ada, **{"tenant-id": "t1"}).status_code == 501
    assert _deploy(wendy).status_code == 403


def test_deployment_list_get_count_and_resources(ada, bob):
    deployment_id = _deploy(ada).json()["id"]
    (listed,) = bob.get("/engine-rest/deployment", {"name": "orders"}).json()
    assert listed["id"] == deployment_id
    assert bob.get("/engine-rest/deployment/count").json() == {"count": 1}
    assert bob.get(f"/engine-rest/deployment/{deployment_id}").json()["id"] == deployment_id
    (resource,) = bob.get(f"/engine-rest/deployment/{deployment_id}/resources").json()
    data = bob.get(f"/engine-rest/deployment/{deployment_id}/resources/{resource['id']}/data")
    assert data.content == BPMN
    assert bob.get("/engine-rest/deployment/nope").status_code == 404


def test_process_definition_list_get_and_xml_by_id_and_key(bob, definition):
    (listed,) = bob.get("/engine-rest/process-definition", {"key": "order-c7", "latestVersion": "true"}).json()
    assert listed["id"] == definition.camunda_id and listed["version"] == 1 and listed["suspended"] is False
    assert set(listed) >= {
        "category",
        "description",
        "diagram",
        "historyTimeToLive",
        "startableInTasklist",
        "tenantId",
        "versionTag",
    }
    assert bob.get(f"/engine-rest/process-definition/{definition.camunda_id}").json() == listed
    assert bob.get("/engine-rest/process-definition/key/order-c7").json() == listed
    xml = bob.get("/engine-rest/process-definition/key/order-c7/xml").json()
    assert xml["id"] == definition.camunda_id and "order-c7" in xml["bpmn20Xml"]
    assert bob.get(f"/engine-rest/process-definition/{definition.camunda_id}/xml").json() == xml
    assert bob.get("/engine-rest/process-definition/count", {"keysIn": "order-c7,other"}).json() == {"count": 1}
    missing = bob.get("/engine-rest/process-definition/key/nope")
    assert missing.status_code == 404 and missing.json()["type"] == "RestException"
    assert bob.get("/engine-rest/process-definition/nope:1:nope").status_code == 404


def test_start_by_key_with_business_key_and_typed_variables(wendy, definition):
    body = {
        "businessKey": "ORD-1",
        "variables": {
            "orderId": {"value": "O-1", "type": "String"},
            "amount": {"value": 5, "type": "Integer"},
            "due": {"value": "2026-11-21T10:00:00.000+0200", "type": "Date"},
            "items": {"value": '[{"sku": "A"}]', "type": "Json"},
        },
        "withVariablesInReturn": True,
    }
    response = wendy.post("/engine-rest/process-definition/key/order-c7/start", body, format="json")
    assert response.status_code == 200
    started = response.json()
    instance = ProcessInstance.objects.get(key=started["id"])
    assert instance.business_key == "ORD-1" and started["businessKey"] == "ORD-1"
    assert started["definitionId"] == definition.camunda_id and started["ended"] is False
    assert started["links"][0]["rel"] == "self"
    assert started["variables"]["due"] == {"type": "Date", "value": "2026-11-21T08:00:00.000+0000", "valueInfo": {}}
    values = dict(Variable.objects.filter(instance=instance).values_list("name", "value"))
    assert values["amount"] == 5 and values["items"] == [{"sku": "A"}]


def test_start_by_id_without_variables_has_no_variables_key(wendy, definition):
    response = wendy.post(f"/engine-rest/process-definition/{definition.camunda_id}/start", {}, format="json")
    assert response.status_code == 200 and "variables" not in response.json()


def test_start_refuses_bad_variables_unknown_keys_and_readers(wendy, bob, definition):
    bad = wendy.post(
        "/engine-rest/process-definition/key/order-c7/start",
        {"variables": {"n": {"value": "x", "type": "Integer"}}},
        format="json",
    )
    assert bad.status_code == 400 and "Cannot convert value 'x' of type 'Integer'" in bad.json()["message"]
    assert wendy.post("/engine-rest/process-definition/key/nope/start", {}, format="json").status_code == 404
    assert bob.post("/engine-rest/process-definition/key/order-c7/start", {}, format="json").status_code == 403
    instructions = {"startInstructions": [{"type": "startBeforeActivity", "activityId": "charge"}]}
    assert (
        wendy.post("/engine-rest/process-definition/key/order-c7/start", instructions, format="json").status_code == 501
    )
