"""A handler that throws a BPMN error nobody catches leaves an incident, never a silent failure."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.models import AuditEvent, Incident, Job

from .helpers import instance_state, sequence_process, service_task, wait_for

pytestmark = pytest.mark.celery

XML = sequence_process("itest-bpmn-error", ("reserve", service_task("reserve", "itest.out-of-stock")))


def test_uncaught_bpmn_error_from_a_handler_opens_an_incident_naming_the_error_code(celery_worker):
    worker = celery_worker("bpmn-error")
    services.deploy(XML, actor="itest")

    instance = services.start_instance("itest-bpmn-error", actor="itest")
    incident = wait_for(
        lambda: Incident.objects.filter(instance=instance, state="open").first(),
        timeout=30,
        what="an unhandled-error incident",
        describe=lambda: list(Job.objects.values_list("state", "error_message")),
    )

    assert incident.type == "unhandled_error"
    assert incident.element_id == "reserve"
    assert "ITEST_OUT_OF_STOCK" in incident.message
    job = Job.objects.get(instance=instance)
    assert job.state == "error_thrown"
    assert incident.job_id == job.key
    thrown = AuditEvent.objects.get(instance_key=instance.key, type="job_error_thrown")
    assert (thrown.actor, thrown.data["code"]) == (worker.name, "ITEST_OUT_OF_STOCK")
    assert instance_state(instance.key) == "active"
