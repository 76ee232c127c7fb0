"""Start forms: admins mark processes startable; users with permission start them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orchestration.models import AuditEvent, ProcessDefinition, ProcessInstance, ProcessPermission, UserTask

from .conftest import deploy_fixture

pytestmark = pytest.mark.django_db

LIST = reverse("tasklist:start")


def form_url(process_id: str) -> str:
    return reverse("tasklist:start_form", args=[process_id])


@pytest.fixture
def deployed(db):
    deploy_fixture("order_approval")
    deploy_fixture("zeebe_form")


def test_admin_marks_a_process_startable_and_it_is_audited(client, root, deployed):
    client.force_login(root)
    client.post(LIST, {"process": "order-approval", "startable": "true"})
    assert ProcessDefinition.objects.get(bpmn_process_id="order-approval").startable_in_tasklist
    assert AuditEvent.objects.filter(type="process_startable_changed", actor="root").exists()
    client.post(LIST, {"process": "order-approval", "startable": "false"})
    assert not ProcessDefinition.objects.get(bpmn_process_id="order-approval").startable_in_tasklist


def test_an_approver_may_not_mark_processes(client, carol, deployed):
    client.force_login(carol)
    assert client.post(LIST, {"process": "order-approval", "startable": "true"}).status_code == 403
    assert "Startable from Tasklist" not in client.get(LIST).content.decode()


def test_only_marked_processes_are_offered(client, carol, deployed):
    ProcessDefinition.objects.filter(bpmn_process_id="order-approval").update(startable_in_tasklist=True)
    client.force_login(carol)
    assert [d.bpmn_process_id for d in client.get(LIST).context["startable"]] == ["order-approval"]
    assert client.get(form_url("zeebe-review")).status_code == 404
    assert client.get(form_url("no-such-process")).status_code == 404


def test_start_form_validates_then_starts_and_opens_the_first_task(client, carol, deployed):
    ProcessDefinition.objects.filter(bpmn_process_id="order-approval").update(startable_in_tasklist=True)
    client.force_login(carol)
    page = client.get(form_url("order-approval"))
    assert [f.name for f in page.context["task_form"].fields] == ["customer", "amount"]
    response = client.post(form_url("order-approval"), {"business_key": "ORD-9", "f-amount": "12"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not ProcessInstance.objects.exists()
    response = client.post(
        form_url("order-approval"), {"business_key": "ORD-9", "f-customer": "ACME", "f-amount": "12"}
    )
    instance = ProcessInstance.objects.get()
    assert (instance.business_key, instance.variables.get(name="amount").value) == ("ORD-9", 12)
    task = UserTask.objects.get(instance=instance, element_id="approve")
    assert response["Location"] == reverse("tasklist:task", args=[task.key])


def test_a_process_without_start_form_takes_variables_as_json(client, carol, deployed):
    ProcessDefinition.objects.filter(bpmn_process_id="zeebe-review").update(startable_in_tasklist=True)
    client.force_login(carol)
    assert client.get(form_url("zeebe-review")).context["task_form"] is None
    response = client.post(form_url("zeebe-review"), {"variables": "[1]"})
    assert "JSON object" in response.content.decode()
    client.post(form_url("zeebe-review"), {"variables": '{"claim": 7}'})
    assert ProcessInstance.objects.get().variables.get(name="claim").value == 7


def test_a_deny_rule_takes_start_away_on_one_process(client, carol, deployed):
    ProcessDefinition.objects.update(startable_in_tasklist=True)
    from django.contrib.auth.models import Group

    ProcessPermission.objects.create(
        group=Group.objects.get(name="finance"), bpmn_process_id="order-approval", capability="start"
    )
    client.force_login(carol)
    assert [d.bpmn_process_id for d in client.get(LIST).context["startable"]] == ["zeebe-review"]
    assert client.post(form_url("order-approval"), {"f-customer": "x"}).status_code == 404
    assert not ProcessInstance.objects.exists()
