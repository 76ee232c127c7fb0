"""Real instances for the Operate action and batch tests: deployed, started and failed through services."""

from __future__ import annotations

from orchestration import services
from orchestration.models import Incident, Job, ProcessInstance

ORDER_XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="shop" name="{name}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="charge" />
    <bpmn:serviceTask id="charge" name="Charge card" camunda:type="external" camunda:topic="charge" />
    <bpmn:sequenceFlow id="f2" sourceRef="charge" targetRef="ship" />
    <bpmn:serviceTask id="ship" name="Ship" camunda:type="external" camunda:topic="ship" />
    <bpmn:sequenceFlow id="f3" sourceRef="ship" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def deploy_shop(version_name: str = "Shop"):
    """Deploy the shop process; a different name makes a new version."""
    (definition,) = services.deploy(ORDER_XML.format(name=version_name), actor="admin").definitions
    return definition


def start_waiting(business_key: str, definition=None, **variables) -> ProcessInstance:
    """An instance whose token waits at 'charge' (an external job)."""
    variables.setdefault("amount", 10)
    return services.start_instance(
        "shop" if definition is None else None,
        definition=definition,
        business_key=business_key,
        variables=variables,
        actor="test",
    )


def job_of(instance: ProcessInstance) -> Job:
    return Job.objects.get(instance_id=instance.key, state__in=Job.OPEN_STATES)


def start_failing(business_key: str, message: str = "HTTP 502 from payment gateway after 30 ms", **variables):
    """An instance with an open incident: its 'charge' job failed with no retries left."""
    instance = start_waiting(business_key, **variables)
    services.fail_job(job_of(instance).key, actor="worker", retries=0, error_message=message)
    return instance, Incident.objects.get(instance_id=instance.key, state=Incident.State.OPEN)


def reload(instance: ProcessInstance) -> ProcessInstance:
    return ProcessInstance.objects.get(key=instance.key)
