"""Timer boundary events: duration, date, cycle; interrupting and non-interrupting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from orchestration.models import Job, MessageSubscription, Timer, UserTask

from .harness import bpmn


def _start(driver):
    driver.deploy(bpmn("boundary_timer"))
    driver.start("boundary-timer")


def test_activity_start_schedules_its_boundary_timers(driver):
    before = datetime.now(UTC)
    _start(driver)

    timers = {t.element_id: datetime.fromisoformat(t.detail) for t in driver.timers()}
    assert sorted(timers) == ["reminder", "timeout"]
    assert before + timedelta(hours=1) <= timers["timeout"] <= datetime.now(UTC) + timedelta(hours=1)
    assert before + timedelta(minutes=10) <= timers["reminder"] <= datetime.now(UTC) + timedelta(minutes=10)
    assert [t.element_id for t in driver.user_tasks()] == ["review"]


def test_interrupting_timer_cancels_the_activity_and_leaves_through_the_boundary_event(driver):
    _start(driver)

    assert driver.fire_timer("timeout")

    assert driver.user_tasks() == []
    assert driver.timers() == []
    assert [j.element_id for j in driver.jobs()] == ["escalate"]
    assert driver.active_elements() == ["escalate"]
    assert driver.audit_elements("boundary_triggered") == ["timeout"]
    assert driver.audit_elements("element_terminated") == ["review"]


def test_non_interrupting_cycle_timer_fires_repeatedly_beside_the_activity(driver):
    _start(driver)

    assert driver.fire_timer("reminder")
    assert sorted(t.element_id for t in driver.timers()) == ["reminder", "timeout"]
    assert driver.fire_timer("reminder")

    # R2: two repetitions, then the cycle is exhausted
    assert [t.element_id for t in driver.timers()] == ["timeout"]
    assert [j.element_id for j in driver.jobs()] == ["remind", "remind"]
    assert [t.element_id for t in driver.user_tasks()] == ["review"]
    assert driver.audit_elements("boundary_triggered") == ["reminder", "reminder"]


def test_completing_the_activity_withdraws_its_boundary_timers(driver):
    _start(driver)
    driver.fire_timer("reminder")
    (task,) = driver.user_tasks()

    driver.complete_user_task(task.key)

    assert driver.timers() == []
    assert [j.element_id for j in driver.jobs()] == ["remind"]
    (job,) = driver.jobs()
    driver.complete_job(job.key)
    assert driver.state == "completed"


def test_interrupting_timer_closes_the_user_task_and_timers_in_the_database(reloaded):
    _start(reloaded)
    (task,) = reloaded.user_tasks()

    reloaded.fire_timer("timeout")

    assert UserTask.objects.get(key=task.key).state == "cancelled"
    assert set(Timer.objects.filter(element_id="reminder").values_list("state", flat=True)) == {"cancelled"}


def test_date_timer_on_a_subprocess_terminates_everything_inside_it(driver):
    driver.deploy(bpmn("boundary_timer_subprocess_camunda"))
    driver.start("boundary-timer-subprocess")
    assert sorted(t.element_id for t in driver.timers()) == ["cool-down", "deadline"]
    assert datetime.fromisoformat({t.element_id: t for t in driver.timers()}["deadline"].detail) == datetime(
        2031, 1, 1, tzinfo=UTC
    )

    assert driver.fire_timer("deadline")

    assert driver.active_elements() == ["cancel-order"]
    assert driver.timers() == [] and driver.user_tasks() == [] and driver.subscriptions() == []
    assert [j.element_id for j in driver.jobs()] == ["cancel-order"]
    assert sorted(driver.audit_elements("element_terminated")) == sorted(
        ["pack", "approve", "cool-down", "wait-paid", "fulfil"]
    )


def test_interrupting_a_subprocess_closes_jobs_timers_subscriptions_and_user_tasks_in_the_database(reloaded):
    reloaded.deploy(bpmn("boundary_timer_subprocess_camunda"))
    reloaded.start("boundary-timer-subprocess")
    key = reloaded.instance_key

    reloaded.fire_timer("deadline")

    assert Job.objects.get(instance_id=key, element_id="pack").state == "cancelled"
    assert UserTask.objects.get(instance_id=key, element_id="approve").state == "cancelled"
    assert Timer.objects.get(instance_id=key, element_id="cool-down").state == "cancelled"
    assert Timer.objects.get(instance_id=key, element_id="deadline").state == "fired"
    assert MessageSubscription.objects.get(instance_id=key, element_id="wait-paid").state == "closed"
