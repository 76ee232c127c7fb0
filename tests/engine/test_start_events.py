"""Start events: none, message (a correlation creates the instance), timer (deploy schedules it)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orchestration import services
from orchestration.exceptions import InvalidInput
from orchestration.models import MessageSubscription, ProcessInstance, Timer

from .harness import bpmn


def test_none_start_event_starts_the_instance_and_runs_to_the_first_wait(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start", {"orderId": "ORD-1"}, business_key="ORD-1")

    assert driver.state == "active"
    assert [j.element_id for j in driver.jobs()] == ["work"]
    assert driver.variables() == {"orderId": "ORD-1"}
    assert driver.audit_elements("element_completed")[:1] == ["start"]


def test_none_start_instance_completes_when_its_only_task_completes(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start")
    (job,) = driver.jobs()

    driver.complete_job(job.key)

    assert driver.state == "completed"
    assert driver.active_elements() == []


def test_message_start_event_subscribes_at_deploy_without_an_instance(reloaded):
    reloaded.deploy(bpmn("message_start"))

    (sub,) = MessageSubscription.objects.filter(message_name="order-placed")
    assert sub.instance_id is None
    assert sub.state == "open"
    assert sub.element_id == "placed"
    assert ProcessInstance.objects.count() == 0


def test_correlating_a_message_start_event_creates_an_instance_with_the_message_variables(reloaded):
    reloaded.deploy(bpmn("message_start"))

    (result,) = services.correlate_message(
        "order-placed", variables={"orderId": "ORD-7"}, business_key="ORD-7", actor="test"
    )

    assert result.started is True
    assert result.element_id == "placed"
    reloaded.instance_key = result.instance_key
    assert reloaded.state == "active"
    assert reloaded.variables() == {"orderId": "ORD-7"}
    assert [(j.element_id, j.detail) for j in reloaded.jobs()] == [("ship", "ship")]
    assert ProcessInstance.objects.get(key=result.instance_key).business_key == "ORD-7"
    # the start subscription stays open for the next message
    assert MessageSubscription.objects.get(message_name="order-placed").state == "open"


def test_a_process_with_only_a_message_start_cannot_be_started_plainly(reloaded):
    reloaded.deploy(bpmn("message_start"))

    with pytest.raises(InvalidInput, match="has no none start event"):
        services.start_instance("message-start", actor="test")


def test_timer_start_event_is_scheduled_at_deploy_with_no_instance(reloaded):
    before = timezone.now()
    reloaded.deploy(bpmn("timer_start"))

    (timer,) = Timer.objects.all()
    assert timer.instance_id is None
    assert timer.element_id == "every-second"
    assert timer.state == "scheduled"
    assert timer.cycle == "R2/PT1S"
    assert timer.repetitions == 1
    assert before + timedelta(seconds=1) <= timer.due_at <= timezone.now() + timedelta(seconds=1)
    assert ProcessInstance.objects.count() == 0


def _fire_all_due() -> list:
    Timer.objects.filter(state="scheduled").update(due_at=timezone.now() - timedelta(seconds=1))
    return [key for key in services.claim_due_timers() if services.fire_timer(key)]


def test_firing_a_timer_start_event_starts_an_instance(reloaded):
    reloaded.deploy(bpmn("timer_start"))

    assert len(_fire_all_due()) == 1

    (instance,) = ProcessInstance.objects.all()
    reloaded.instance_key = instance.key
    assert reloaded.state == "active"
    assert [j.element_id for j in reloaded.jobs()] == ["tick"]
    assert reloaded.audit_types()[0] == "instance_started"


def test_a_timer_start_cycle_r2_schedules_exactly_one_more_start(reloaded):
    reloaded.deploy(bpmn("timer_start"))
    first = Timer.objects.get()

    _fire_all_due()
    first.refresh_from_db()
    assert first.state == "fired"
    second = Timer.objects.get(state="scheduled")
    assert second.repetitions == 0
    assert second.due_at == first.due_at + timedelta(seconds=1)

    _fire_all_due()
    assert ProcessInstance.objects.count() == 2
    assert not Timer.objects.filter(state="scheduled").exists()


def test_redeploying_a_new_version_cancels_the_old_start_timer(reloaded):
    reloaded.deploy(bpmn("timer_start"))
    old = Timer.objects.get()

    reloaded.deploy(bpmn("timer_start").replace('id="timer-start"', 'id="timer-start" name="v2"'))

    old.refresh_from_db()
    assert old.state == "cancelled"
    new = Timer.objects.get(state="scheduled")
    assert new.definition.version == 2
    _fire_all_due()
    (instance,) = ProcessInstance.objects.all()
    assert instance.definition.version == 2


def test_redeploying_a_new_version_moves_the_message_start_subscription_to_it(reloaded):
    reloaded.deploy(bpmn("message_start"))
    old = MessageSubscription.objects.get()

    reloaded.deploy(bpmn("message_start").replace('camunda:topic="ship"', 'camunda:topic="ship-v2"'))

    old.refresh_from_db()
    assert old.state == "closed"
    (result,) = services.correlate_message("order-placed", actor="test")
    assert ProcessInstance.objects.get(key=result.instance_key).definition.version == 2
