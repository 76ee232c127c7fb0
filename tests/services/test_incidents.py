"""Incidents: raised by an expression failure, resolved with variables, counted on the instance."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.exceptions import InvalidState, NotFound
from orchestration.models import AuditEvent, Incident, Job, ProcessInstance

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="incidents" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <bpmn:scriptTask id="compute" scriptFormat="juel" camunda:resultVariable="total">
      <bpmn:script>${price * quantity}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="bill" />
    <bpmn:serviceTask id="bill" camunda:type="external" camunda:topic="bill" />
    <bpmn:sequenceFlow id="f3" sourceRef="bill" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def failed(db):
    """An instance stuck at 'compute' because 'quantity' is missing."""
    services.deploy(XML, actor="admin")
    instance = services.start_instance("incidents", variables={"price": 3}, actor="test")
    return instance, Incident.objects.get(instance=instance)


def count(instance) -> int:
    return ProcessInstance.objects.get(key=instance.key).incident_count


def test_an_expression_failure_opens_an_incident_and_counts_it_on_the_instance(failed):
    instance, incident = failed

    assert (incident.type, incident.element_id, incident.state) == ("expression", "compute", "open")
    assert "quantity" in incident.message
    assert count(instance) == 1
    assert not Job.objects.exists()


def test_resolving_with_the_missing_variable_continues_the_instance(failed):
    instance, incident = failed

    resolved = services.resolve_incident(incident.key, variables={"quantity": 4}, actor="operator")

    assert (resolved.state, resolved.resolved_by) == ("resolved", "operator")
    assert count(instance) == 0
    job = Job.objects.get(instance=instance)
    assert job.element_id == "bill"
    types = list(AuditEvent.objects.filter(instance_key=instance.key).values_list("type", flat=True))
    assert types.index("variables_updated") < types.index("incident_resolved") < types.index("job_created")


def test_resolving_without_a_fix_opens_a_new_incident(failed):
    instance, incident = failed

    services.resolve_incident(incident.key, actor="operator")

    assert count(instance) == 1
    (open_incident,) = Incident.objects.filter(instance=instance, state="open")
    assert open_incident.key != incident.key


def test_resolving_an_incident_twice_is_refused(failed):
    instance, incident = failed
    services.resolve_incident(incident.key, actor="operator")  # fails again: the instance stays active

    with pytest.raises(InvalidState, match="already resolved"):
        services.resolve_incident(incident.key, actor="operator")

    assert count(instance) == 1


def test_resolving_an_incident_twice_after_the_instance_moved_on_is_refused(failed):
    instance, incident = failed
    services.resolve_incident(incident.key, variables={"quantity": 2}, actor="operator")

    with pytest.raises(InvalidState, match="already resolved"):
        services.resolve_incident(incident.key, variables={"quantity": 5}, actor="operator")

    assert count(instance) == 0
    assert Job.objects.filter(instance=instance).count() == 1


def test_the_incident_count_goes_up_and_back_down_with_job_incidents(failed):
    instance, incident = failed
    services.resolve_incident(incident.key, variables={"quantity": 2}, actor="operator")
    job = Job.objects.get(instance=instance)

    services.fail_job(job.key, retries=0, error_message="billing down", actor="worker")
    assert count(instance) == 1
    job_incident = Incident.objects.get(instance=instance, state="open")
    assert (job_incident.type, job_incident.job_id) == ("job_no_retries", job.key)

    services.resolve_incident(job_incident.key, actor="operator")
    assert count(instance) == 0
    job.refresh_from_db()
    assert (job.state, job.retries) == ("activatable", 1)

    services.complete_job(job.key, {}, actor="worker")
    assert ProcessInstance.objects.get(key=instance.key).state == "completed"
    assert count(instance) == 0


def test_resolving_an_unknown_incident_is_not_found(db):
    with pytest.raises(NotFound):
        services.resolve_incident("not-a-key", actor="operator")
