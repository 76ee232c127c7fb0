"""Operate never answers a search on a masked variable's value: the search box (name=value),
the variable conditions of the instance list, the CSV export and the bulk preview and submit
all refuse the condition with a message (the count of matches would reveal the value).
Admins and the groups a declaration lists may still search by it. Also: a bulk operation
whose filter selects instances of a process the operator may not repair is refused.

bob is support, alice an operator, root an admin; ``card`` of "pay" is masked except for
the payments-audit group (audrey, support).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from orchestration import services
from orchestration.models import BatchOperation, MaskedVariable, ProcessDefinition, ProcessInstance, ProcessPermission

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="http://example.com/mask">
  <bpmn:process id="pay" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="approve" name="Approve payment" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

CARD = "4111"


@pytest.fixture
def root(db) -> User:
    user = User.objects.create_user(username="root", password="pw")
    user.groups.add(Group.objects.get_or_create(name="admin")[0])
    return user


@pytest.fixture
def audrey(db) -> User:
    user = User.objects.create_user(username="audrey", password="pw")
    user.groups.add(
        Group.objects.get_or_create(name="support")[0], Group.objects.get_or_create(name="payments-audit")[0]
    )
    return user


@pytest.fixture
def pay(db) -> ProcessInstance:
    masked = MaskedVariable.objects.create(bpmn_process_id="pay", name="card")
    masked.visible_to.add(Group.objects.get_or_create(name="payments-audit")[0])
    services.deploy(BPMN, actor="test", resource_name="pay.bpmn")
    return services.start_instance("pay", actor="test", business_key="PAY-1", variables={"card": CARD, "region": "EU"})


def instances(client, **params):
    return client.get(reverse("operate:instances"), params)


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": f"card={CARD}"}, "q"),
        ({"q": "card=0000"}, "q"),  # a miss would be as telling as a hit
        ({"v": f"card = {CARD}"}, "v"),
        ({"v": ["region = EU", "card contains 41"], "vmode": "or"}, "v"),
    ],
)
def test_support_may_not_search_by_a_masked_variable(client, bob, pay, params, field):
    client.force_login(bob)
    response = instances(client, **params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert list(response.context["page"].instances) == []
    body = response.content.decode()
    assert "protected variable" in body
    assert "PAY-1" not in body


@pytest.mark.parametrize("persona", ["root", "audrey"])
def test_admins_and_the_listed_group_may_search_by_it(client, request, pay, persona):
    client.force_login(request.getfixturevalue(persona))
    response = instances(client, v=f"card = {CARD}")
    assert not response.context["form"].errors
    assert [i.business_key for i in response.context["page"].instances] == ["PAY-1"]


def test_a_search_on_an_unmasked_variable_still_works(client, bob, pay):
    client.force_login(bob)
    response = instances(client, q="region=EU")
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # one match opens the instance directly
        assert [i.business_key for i in response.context["page"].instances] == ["PAY-1"]
    else:
        assert response["Location"] == reverse("operate:instance", args=[pay.key])


def test_the_csv_export_refuses_a_masked_condition(client, bob, pay):
    client.force_login(bob)
    response = client.get(reverse("operate:instances_export"), {"v": f"card = {CARD}", "col": ["key"]})
    assert response.status_code == 302
    assert response["Content-Type"].startswith("text/html")
    followed = client.get(response["Location"])
    assert "protected variable" in followed.content.decode()


def test_the_csv_export_still_exports_for_the_listed_group(client, audrey, pay):
    client.force_login(audrey)
    response = client.get(reverse("operate:instances_export"), {"v": f"card = {CARD}", "col": ["key"]})
    assert response.status_code == 200
    assert str(pay.key) in b"".join(response.streaming_content).decode()


def test_the_bulk_preview_and_submit_refuse_a_masked_condition(client, alice, pay):
    client.force_login(alice)
    response = client.get(reverse("operate:batch_new"), {"kind": "suspend", "q": f"card={CARD}"})
    assert response.status_code == 200
    assert response.context["preview"] is None
    assert "protected variable" in response.context["error"]
    response = client.post(reverse("operate:batch_new"), {"kind": "suspend", "q": f"card={CARD}", "reason": "x"})
    assert response.status_code == 400
    assert "protected variable" in response.context["error"]
    assert not BatchOperation.objects.exists()


def test_a_bulk_operation_over_a_process_the_operator_may_not_repair_is_refused(client, alice, pay):
    group = Group.objects.create(name="no-pay")
    alice.groups.add(group)
    ProcessPermission.objects.create(group=group, bpmn_process_id="pay", capability="repair", allow=False)
    client.force_login(alice)
    response = client.post(reverse("operate:batch_new"), {"kind": "suspend", "process": "pay", "reason": "audit"})
    assert response.status_code == 400
    assert "'pay'" in response.context["error"] and "may not change" in response.context["error"]
    assert not BatchOperation.objects.exists()
    assert not ProcessInstance.objects.get(key=pay.key).suspended


@pytest.mark.parametrize("params", [{"v": f"card = {CARD}"}, {"v": "card = 0000"}, {"q": f"card={CARD}"}])
def test_the_migration_page_refuses_a_masked_condition(client, bob, root, pay, params):
    v1 = ProcessDefinition.objects.get(bpmn_process_id="pay")
    (v2,) = services.deploy(
        BPMN.replace("Approve payment", "Approve"), actor="test", resource_name="pay.bpmn"
    ).definitions
    url = reverse("operate:process_migrate", args=[v1.key])
    client.force_login(bob)
    response = client.get(url, {"target": str(v2.key), **params})
    assert response.status_code == 200
    assert response.context["report"] is None
    assert "protected variable" in response.context["error"]
    assert "protected variable" in response.content.decode()
    client.force_login(root)  # an admin reads card: the page counts by it
    report = client.get(url, {"target": str(v2.key), **params}).context["report"]
    assert report is not None and report.total == (0 if "0000" in str(params) else 1)
