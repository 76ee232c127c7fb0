"""A three-step process run end to end by a real Celery worker."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from orchestration import services
from orchestration.models import AuditEvent, Job

from .helpers import sequence_process, service_task, wait_until_completed

pytestmark = pytest.mark.celery

XML = sequence_process(
    "itest-e2e",
    ("step1", service_task("step1", "itest.first")),
    ("step2", service_task("step2", "itest.second")),
    ("step3", service_task("step3", "itest.third")),
)
MILESTONES = {"instance_started", "job_created", "job_completed", "instance_completed"}


def test_worker_runs_three_service_tasks_in_order_and_audits_each_step(celery_worker):
    worker = celery_worker("e2e")
    starter = User.objects.create_user("stella")
    services.deploy(XML, actor=starter)

    instance = services.start_instance("itest-e2e", actor=starter, business_key="E2E-1", variables={"trail": []})
    instance = wait_until_completed(instance.key)

    variables = {v.name: v.value for v in instance.variables.all()}
    assert variables["trail"] == ["first", "second", "third"]
    assert variables["firstResult"] == f"one-{instance.key}"
    assert variables["secondResult"] == 2
    assert variables["thirdResult"] == {"ok": True}

    events = list(AuditEvent.objects.filter(instance_key=instance.key).order_by("id"))
    milestones = [(e.type, e.element_id) for e in events if e.type in MILESTONES]
    assert milestones == [
        ("instance_started", ""),
        ("job_created", "step1"),
        ("job_completed", "step1"),
        ("job_created", "step2"),
        ("job_completed", "step2"),
        ("job_created", "step3"),
        ("job_completed", "step3"),
        ("instance_completed", ""),
    ]
    assert events[0].actor == "stella"
    completions = [e for e in events if e.type == "job_completed"]
    assert {e.actor for e in completions} == {worker.name}
    assert {e.data["worker"] for e in completions} == {worker.name}
    assert [e.element_id for e in events if e.type == "element_completed" and e.element_id.startswith("step")] == [
        "step1",
        "step2",
        "step3",
    ]
    jobs = Job.objects.filter(instance=instance)
    assert sorted(jobs.values_list("element_id", "state", "attempts", "internal")) == [
        ("step1", "completed", 1, True),
        ("step2", "completed", 1, True),
        ("step3", "completed", 1, True),
    ]
