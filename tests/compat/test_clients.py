"""Each Camunda 7 client's own flow against a real server: deploy, start by key with variables and
a business key, an external worker completing, failing (to an incident) and throwing a BPMN error,
a message correlation, a user task claimed and completed. Then the rows say it happened."""

from __future__ import annotations

import pytest

from orchestration.models import AuditEvent, ElementInstance, Incident, ProcessInstance, UserTask, Variable

from .conftest import USER, run_flow

pytestmark = pytest.mark.compat


def _variables(key) -> dict:
    return dict(Variable.objects.filter(instance_id=key, scope_key=key).values_list("name", "value"))


def _check_outcome(summary: dict) -> None:
    ids = summary["ids"]
    ok = ProcessInstance.objects.get(key=ids["ok"])
    assert ok.state == ProcessInstance.State.COMPLETED
    values = _variables(ok.key)
    assert values["reserved"] is True and values["charged"] is True and values["approved"] is True
    task = UserTask.objects.get(instance_id=ok.key)
    assert task.state == UserTask.State.COMPLETED
    assert AuditEvent.objects.filter(instance_key=ok.key, type="user_task_claimed").exists()

    declined = ProcessInstance.objects.get(key=ids["decline"])
    trail = list(AuditEvent.objects.filter(instance_key=declined.key).values_list("type", "element_id", "data"))
    assert declined.state == ProcessInstance.State.COMPLETED, (summary["handled"], trail)
    assert ElementInstance.objects.filter(instance_id=declined.key, element_id="declined-end").exists()

    failed = ProcessInstance.objects.get(key=ids["fail"])
    assert failed.state == ProcessInstance.State.ACTIVE
    incident = Incident.objects.get(instance_id=failed.key, state=Incident.State.OPEN)
    assert incident.element_id == "reserve" and incident.message == "stock service down"
    assert failed.key.hex.replace("-", "") and str(failed.key) in summary["running"]
    assert str(ok.key) not in summary["running"]
    assert AuditEvent.objects.filter(instance_key=ok.key, actor=USER).exists()


@pytest.mark.parametrize("client", ["external_task_client", "camunda_client", "pycamunda"])
def test_camunda7_client_runs_its_flow_unchanged(client, client_python, engine_server, client_user):
    python = client_python(client)
    result, summary = run_flow(python, client, engine_server)
    assert result.returncode == 0, f"{client} flow failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    assert summary, result.stdout
    _check_outcome(summary)
