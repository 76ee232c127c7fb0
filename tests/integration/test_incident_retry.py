"""A failing job uses up its retries, becomes an incident, and runs again once an operator fixes the data."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from orchestration import services
from orchestration.models import AuditEvent, Incident, Job

from .helpers import instance_state, sequence_process, service_task, wait_for, wait_until_completed

pytestmark = pytest.mark.celery

XML = sequence_process(
    "itest-incident", ("repairable", service_task("repairable", "itest.fails-until-fixed", retries=2))
)
# Retries after backoff are re-sent by the sweeper, which beat runs.
FAST_RETRIES = {"ORCHESTRATION_RETRY_BACKOFF_SECONDS": "0.2", "SWEEP_SECONDS": "0.5"}


def test_job_failing_twice_raises_an_incident_and_resolving_it_with_a_fix_completes_the_instance(celery_worker):
    worker = celery_worker("incident", beat=True, env=FAST_RETRIES)
    oscar = User.objects.create_user("oscar")
    services.deploy(XML, actor=oscar)

    instance = services.start_instance("itest-incident", actor=oscar, variables={"fixed": False})
    incident = wait_for(
        lambda: Incident.objects.filter(instance=instance, state="open").first(),
        timeout=30,
        what="an incident after two failed attempts",
        describe=lambda: list(Job.objects.values_list("state", "retries", "attempts", "error_message")),
    )
    assert incident.type == "job_no_retries"
    assert "NotFixedYet" in incident.message
    job = Job.objects.get(instance=instance)
    assert (job.state, job.retries, job.attempts) == ("failed", 0, 2)
    failures = AuditEvent.objects.filter(instance_key=instance.key, type="job_failed").order_by("id")
    assert [(e.actor, e.data["retries"]) for e in failures] == [(worker.name, 1), (worker.name, 0)]
    assert instance_state(instance.key) == "active"

    services.resolve_incident(incident.key, actor=oscar, variables={"fixed": True})
    instance = wait_until_completed(instance.key)

    incident.refresh_from_db()
    assert (incident.state, incident.resolved_by) == ("resolved", "oscar")
    job.refresh_from_db()
    assert job.state == "completed"
    variables = dict(instance.variables.values_list("name", "value"))
    assert variables["fixed"] is True
    assert variables["repaired"] is True
    assert instance.incident_count == 0
