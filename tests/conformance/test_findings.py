"""Engine bugs the conformance run and the state-machine test found, each pinned by a small model."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.models import Incident, MessageSubscription

# A process-level event subprocess whose message start's correlation key reads a
# variable the instance does not have when it starts (bpmn-miwg C.9.2 has this shape).
ESP_WITH_CORRELATION_KEY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="msg" name="document-requested">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=documentId" /></bpmn:extensionElements>
  </bpmn:message>
  <bpmn:process id="esp-key" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
    <bpmn:serviceTask id="work">
      <bpmn:extensionElements><zeebe:taskDefinition type="work" /></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:subProcess id="esp" triggeredByEvent="true">
      <bpmn:startEvent id="requested" isInterrupting="false">
        <bpmn:outgoing>f3</bpmn:outgoing>
        <bpmn:messageEventDefinition messageRef="msg" />
      </bpmn:startEvent>
      <bpmn:sequenceFlow id="f3" sourceRef="requested" targetRef="esp-end" />
      <bpmn:endEvent id="esp-end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    </bpmn:subProcess>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.django_db
def test_null_correlation_key_of_a_process_level_event_subprocess_start_is_an_incident_not_a_crash() -> None:
    services.deploy(ESP_WITH_CORRELATION_KEY, actor="test")
    instance = services.start_instance("esp-key", actor="test")

    (incident,) = Incident.objects.filter(instance=instance, state=Incident.State.OPEN)
    assert incident.element_id == "start"
    assert "documentId" in incident.message

    services.resolve_incident(incident.key, variables={"documentId": "D-1"}, actor="test")

    (subscription,) = MessageSubscription.objects.filter(instance=instance, state=MessageSubscription.State.OPEN)
    assert (subscription.element_id, subscription.correlation_key) == ("requested", "D-1")
    assert not Incident.objects.filter(instance=instance, state=Incident.State.OPEN).exists()
    assert instance.jobs.filter(element_id="work", state="activatable").exists()


def _caught_error_models() -> tuple[str, str]:
    from orchestration.builder import ProcessBuilder

    v1 = (
        ProcessBuilder("caught-then-migrated")
        .start(id="start")
        .service_task("Charge", id="charge", type="charge")
        .on_error("Declined", id="declined", error="DECLINED")
        .user_task("Fix payment", id="fix")
        .end(id="fixed")
        .end_branch()
        .end(id="end")
    )
    v2 = ProcessBuilder("caught-then-migrated").start(id="start").user_task("Fix payment", id="fix").end(id="end")
    return v1.to_xml(), v2.to_xml()


@pytest.mark.django_db
def test_a_job_whose_error_was_caught_does_not_block_migration_of_its_instance() -> None:
    """The job of a caught error stays `error_thrown` (final): its element ended, so it is
    no open wait that needs a mapping, and it stays on its old version."""
    from orchestration.models import Job

    v1_xml, v2_xml = _caught_error_models()
    (v1,) = services.deploy(v1_xml, actor="test").definitions
    (v2,) = services.deploy(v2_xml, actor="test").definitions
    instance = services.start_instance(definition=v1, actor="test")
    job = Job.objects.get(instance=instance, element_id="charge")
    services.throw_job_error(job.key, "DECLINED", actor="test")

    plan = services.generate_plan(v1, v2)
    assert services.validate_plan(plan, [instance.key]) == {instance.key: []}
    services.migrate_instance(plan, instance.key, actor="test")

    job.refresh_from_db()
    assert (job.state, job.definition_id) == (Job.State.ERROR_THROWN, v1.key)
    assert instance.user_tasks.get(state="created").element_id == "fix"
