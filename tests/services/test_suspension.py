"""Suspend/resume: nothing runs while suspended; due timers and jobs catch up on resume."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.utils import timezone

from orchestration import handlers, services, tasks
from orchestration.exceptions import InvalidState
from orchestration.models import AuditEvent, ElementInstance, Job, MessageSubscription, ProcessInstance, Timer, UserTask

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def instance(db):
    """Waiting on a job, a timer (PT1H), a receive task and a user task at once."""
    services.deploy((FIXTURES / "suspension.bpmn").read_text(), actor="admin")
    return services.start_instance("suspension", actor="test")


@pytest.fixture
def suspended(instance):
    services.suspend_instance(instance.key, actor="operator", reason="customer on hold")
    return instance


def make_timer_due(instance) -> Timer:
    timer = Timer.objects.get(instance=instance)
    Timer.objects.filter(key=timer.key).update(due_at=timezone.now() - timedelta(minutes=5))
    return timer


def test_a_suspended_instance_jobs_are_neither_claimed_nor_activated(suspended):
    job = Job.objects.get(instance=suspended)

    assert services.claim_job(job.key, worker="celery@a") is None
    assert services.activate_jobs(job.type, worker="external") == []
    assert Job.objects.get(key=job.key).state == "activatable"


def test_a_suspended_instance_due_timer_is_left_scheduled(suspended):
    timer = make_timer_due(suspended)

    assert services.claim_due_timers() == []
    assert Timer.objects.get(key=timer.key).state == "scheduled"


def test_commands_that_move_tokens_are_refused_with_a_clear_message(suspended):
    job = Job.objects.get(instance=suspended)
    task = UserTask.objects.get(instance=suspended)
    receive = ElementInstance.objects.get(instance=suspended, element_id="go")

    with pytest.raises(InvalidState, match="is suspended; resume it first"):
        services.complete_job(job.key, actor="worker")
    with pytest.raises(InvalidState, match="is suspended"):
        services.complete_user_task(task.key, actor="approver")
    with pytest.raises(InvalidState, match="is suspended"):
        services.correlate_message("go", actor="shop")
    with pytest.raises(InvalidState, match="is suspended"):
        services.trigger_element_instance(suspended.key, receive.key, actor="operator")

    assert Job.objects.get(key=job.key).state == "activatable"
    assert MessageSubscription.objects.get(instance=suspended).state == "open"


def test_broadcasting_a_message_skips_a_suspended_instance(suspended):
    results, buffered = services.publish_message("go", actor="shop")

    assert results == [] and buffered is None
    assert MessageSubscription.objects.get(instance=suspended).state == "open"


def test_a_timer_claimed_before_the_suspension_is_not_fired(instance):
    timer = make_timer_due(instance)
    (claimed,) = services.claim_due_timers()
    services.suspend_instance(instance.key, actor="operator")

    with pytest.raises(InvalidState, match="is suspended"):
        services.fire_timer(claimed)

    services.resume_instance(instance.key, actor="operator")
    assert Timer.objects.get(key=timer.key).state == "scheduled"


def test_operators_may_still_set_variables_and_cancel(suspended):
    services.set_variables(suspended.key, {"hold": True}, actor="operator")
    services.cancel_instance(suspended.key, actor="operator")

    assert ProcessInstance.objects.get(key=suspended.key).state == "cancelled"


def test_resume_fires_the_due_timer_and_makes_the_job_claimable(suspended):
    timer = make_timer_due(suspended)
    job = Job.objects.get(instance=suspended)

    services.resume_instance(suspended.key, actor="operator")

    assert services.claim_due_timers() == [timer.key]
    assert services.fire_timer(timer.key) is True
    assert "wait" not in ElementInstance.objects.filter(instance=suspended, state="active").values_list(
        "element_id", flat=True
    )
    claimed = services.claim_job(job.key, worker="celery@a")
    assert claimed is not None and claimed.state == "locked"


def test_resume_dispatches_internal_jobs_after_commit(db, django_capture_on_commit_callbacks):
    handlers.handler("suspension.work")(lambda job: None)
    try:
        services.deploy((FIXTURES / "suspension.bpmn").read_text(), actor="admin")
        instance = services.start_instance("suspension", actor="test", dispatch=False)
        job = Job.objects.get(instance=instance)
        assert job.internal
        services.suspend_instance(instance.key, actor="operator")
        Job.objects.filter(key=job.key).update(dispatched_at=None)
        assert tasks.sweep_jobs()["dispatched"] == 0  # the sweeper leaves a suspended instance alone

        with mock.patch.object(tasks.run_job, "delay") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                services.resume_instance(instance.key, actor="operator")

        delay.assert_called_once_with(str(job.key))
        assert Job.objects.get(key=job.key).dispatched_at is not None
    finally:
        handlers.unregister("suspension.work")


def test_suspend_and_resume_are_audited_and_not_repeated(instance):
    services.suspend_instance(instance.key, actor="olivia", reason="fraud check")
    with pytest.raises(InvalidState, match="already suspended"):
        services.suspend_instance(instance.key, actor="olivia")
    services.resume_instance(instance.key, actor="oscar")
    with pytest.raises(InvalidState, match="is not suspended"):
        services.resume_instance(instance.key, actor="oscar")

    events = list(
        AuditEvent.objects.filter(
            instance_key=instance.key, type__in=["instance_suspended", "instance_resumed"]
        ).values_list("type", "actor", "data")
    )
    assert events == [
        ("instance_suspended", "olivia", {"reason": "fraud check"}),
        ("instance_resumed", "oscar", {"redispatched_jobs": 0}),
    ]
    assert not ProcessInstance.objects.get(key=instance.key).suspended


def test_an_ended_instance_cannot_be_suspended(instance):
    services.cancel_instance(instance.key, actor="operator")

    with pytest.raises(InvalidState, match="is cancelled"):
        services.suspend_instance(instance.key, actor="operator")
