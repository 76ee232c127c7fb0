"""A MaskedVariable is masked wherever variables leave the system for a user: the Operate
instance page (variables per scope, the audit log's diffs), the CSV export, the native API
(variables, task form, history) and the Camunda 7 layer (typed variables keep their shape:
String "****"). Admins and the groups the declaration lists see the real value."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from rest_framework.test import APIClient

from orchestration import access, services
from orchestration.models import MaskedVariable, UserTask

from .conftest import make_user

CARD = "4111 1111 1111 1111"
NEW_CARD = "5500 0000 0000 0004"

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://example.com/mask">
  <bpmn:process id="pay-mask" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="approve" name="Approve payment" camunda:candidateGroups="approver" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def users(db) -> dict:
    return {
        "support": make_user("bob", "support"),
        "approver": make_user("carol", "approver"),
        "admin": make_user("root", "admin"),
        "auditor": make_user("audrey", "support", "payments-audit"),
    }


@pytest.fixture
def instance(db):
    """pay-mask waiting at its user task; ``card`` masked except for payments-audit; the card was
    changed once (a variables_updated diff with old and new values in the audit log)."""
    masked = MaskedVariable.objects.create(bpmn_process_id="pay-mask", name="card")
    masked.visible_to.add(Group.objects.get_or_create(name="payments-audit")[0])
    services.deploy(BPMN, actor="test", resource_name="pay-mask.bpmn")
    started = services.start_instance(
        "pay-mask", actor="test", business_key="PAY-1", variables={"card": CARD, "amount": 42}
    )
    services.set_variables(started.key, {"card": NEW_CARD}, actor="test", reason="card replaced")
    return started


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _task(instance) -> UserTask:
    return UserTask.objects.get(instance_id=instance.key)


# -- Operate -------------------------------------------------------------------------------


def test_support_sees_masked_values_on_the_instance_page(client, users, instance):
    client.force_login(users["support"])
    response = client.get(reverse("operate:instance", args=[instance.key]))
    body = response.content.decode()
    assert response.status_code == 200
    assert CARD not in body and NEW_CARD not in body  # neither the variables panel nor the audit diff
    assert access.MASK in body
    assert "42" in body  # amount is not masked
    shown = {v.name: v.value for scope in response.context["detail"].scopes for v in scope.variables}
    assert shown == {"card": access.MASK, "amount": 42}
    (update,) = [e for e in response.context["detail"].audit_events if e.type == "variables_updated"]
    assert update.data["diff"]["card"] == {"old": access.MASK, "new": access.MASK, "created": False, "masked": True}


@pytest.mark.parametrize("who", ["admin", "auditor"])
def test_admin_and_allowed_group_see_the_real_value_on_the_instance_page(client, users, instance, who):
    client.force_login(users[who])
    body = client.get(reverse("operate:instance", args=[instance.key])).content.decode()
    assert NEW_CARD in body and CARD in body  # the current value, and the old one in the diff
    assert access.MASK not in body


def _export(client, user) -> list[list[str]]:
    client.force_login(user)
    response = client.get(reverse("operate:instances_export"), {"process": "pay-mask", "variables": "card, amount"})
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_masks_for_support_not_for_admin_or_allowed_group(client, users, instance):
    header, row = _export(client, users["support"])
    assert header[-2:] == ["card", "amount"]
    assert row[-2:] == [access.MASK, "42"]
    for who in ("admin", "auditor"):
        assert _export(client, users[who])[1][-2:] == [NEW_CARD, "42"]


# -- /api/v1 --------------------------------------------------------------------------------


def test_api_variables_are_null_and_listed_as_masked(users, instance):
    url = f"/api/v1/process-instances/{instance.key}/variables"
    masked = _api(users["support"]).get(url).json()
    assert masked["variables"] == {"card": None, "amount": 42}
    assert masked["masked"] == ["card"]
    for who in ("admin", "auditor"):
        real = _api(users[who]).get(url).json()
        assert real["variables"] == {"card": NEW_CARD, "amount": 42} and real["masked"] == []


def test_api_variables_after_a_write_are_masked_too(users, instance):
    operator = make_user("alice", "operator")
    response = _api(operator).patch(
        f"/api/v1/process-instances/{instance.key}/variables", {"variables": {"amount": 43}}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["variables"] == {"card": None, "amount": 43}
    assert response.json()["masked"] == ["card"]


def test_api_history_masks_the_values_of_a_diff(users, instance):
    url = f"/api/v1/process-instances/{instance.key}/history"

    def diff(user) -> dict:
        events = _api(user).get(url).json()["items"]
        (update,) = [e for e in events if e["type"] == "variables_updated"]
        return update["data"]["diff"]["card"]

    assert diff(users["support"]) == {"old": None, "new": None, "created": False, "masked": True}
    assert diff(users["admin"]) == {"old": CARD, "new": NEW_CARD, "created": False}


def test_api_task_form_masks_for_the_candidate(users, instance):
    url = f"/api/v1/user-tasks/{_task(instance).key}/form"
    form = _api(users["approver"]).get(url).json()
    assert form["variables"] == {"card": None, "amount": 42} and form["masked"] == ["card"]
    assert _api(users["admin"]).get(url).json()["variables"]["card"] == NEW_CARD


# -- /engine-rest (Camunda 7) ---------------------------------------------------------------

MASKED_DTO = {"type": "String", "value": "****", "valueInfo": {}}


def test_camunda7_instance_variables_keep_their_shape_masked(users, instance):
    support, admin = _api(users["support"]), _api(users["admin"])
    base = f"/engine-rest/process-instance/{instance.key}/variables"
    variables = support.get(base).json()
    assert variables["card"] == MASKED_DTO
    assert variables["amount"] == {"type": "Integer", "value": 42, "valueInfo": {}}
    assert support.get(f"{base}/card").json() == MASKED_DTO
    assert support.get(f"{base}/card/data").status_code == 400  # no bytes of a masked value
    assert admin.get(base).json()["card"]["value"] == NEW_CARD
    assert admin.get(f"{base}/card").json()["value"] == NEW_CARD
    assert _api(users["auditor"]).get(f"{base}/card").json()["value"] == NEW_CARD


def test_camunda7_task_variables_are_masked(users, instance):
    carol, admin = _api(users["approver"]), _api(users["admin"])
    task = _task(instance)
    for path in ("variables", "form-variables"):
        assert carol.get(f"/engine-rest/task/{task.key}/{path}").json()["card"] == MASKED_DTO
        assert admin.get(f"/engine-rest/task/{task.key}/{path}").json()["card"]["value"] == NEW_CARD
    assert carol.get(f"/engine-rest/task/{task.key}/variables/card").json() == MASKED_DTO
    assert admin.get(f"/engine-rest/task/{task.key}/variables/card").json()["value"] == NEW_CARD


def test_camunda7_completion_with_variables_in_return_is_masked(users, instance):
    carol = _api(users["approver"])
    task = _task(instance)
    assert carol.post(f"/engine-rest/task/{task.key}/claim", {"userId": "carol"}, format="json").status_code == 204
    response = carol.post(f"/engine-rest/task/{task.key}/complete", {"withVariablesInReturn": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["card"] == MASKED_DTO
