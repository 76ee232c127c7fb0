"""Event subprocesses at process and subprocess level: message, timer, error,
escalation, signal and conditional starts; interrupting and non-interrupting."""

from __future__ import annotations

from orchestration.models import Job, MessageSubscription, SignalSubscription, Timer, UserTask

from .harness import bpmn


def _start(driver, process_id, variables=None):
    driver.deploy(bpmn("event_subprocess"))
    driver.start(process_id, variables or {})


def test_process_start_subscribes_the_event_subprocess_message_starts(driver):
    _start(driver, "esp-message", {"orderId": "O-1"})

    assert {(s.element_id, s.detail) for s in driver.subscriptions()} == {
        ("on-cancel-start", "cancel-order/O-1"),
        ("on-status-start", "status-request/O-1"),
    }


def test_interrupting_message_event_subprocess_terminates_the_process_tokens_and_completes_it(driver):
    _start(driver, "esp-message", {"orderId": "O-1"})

    assert driver.correlate("cancel-order", "O-1", {"why": "late"}) is True

    assert [j.element_id for j in driver.jobs()] == ["cancel-order"]
    assert driver.subscriptions() == []
    assert driver.audit_elements("event_subprocess_started") == ["on-cancel"]
    assert driver.audit_elements("element_terminated") == ["work"]
    assert driver.variables() == {"orderId": "O-1", "why": "late"}
    (job,) = driver.jobs()
    driver.complete_job(job.key)
    assert driver.state == "completed"


def test_non_interrupting_message_event_subprocess_runs_beside_and_fires_again(driver):
    _start(driver, "esp-message", {"orderId": "O-1"})

    assert driver.correlate("status-request", "O-1") is True
    assert driver.correlate("status-request", "O-1") is True

    assert [j.element_id for j in driver.jobs()] == ["report-status", "report-status", "work"]
    work = [j for j in driver.jobs() if j.element_id == "work"][0]
    driver.complete_job(work.key)
    assert driver.state == "active"  # the event subprocess instances still run
    for job in driver.jobs():
        driver.complete_job(job.key)
    assert driver.state == "completed"


def test_a_process_that_ends_closes_its_event_subprocess_subscriptions(reloaded):
    _start(reloaded, "esp-message", {"orderId": "O-1"})
    (job,) = reloaded.jobs()

    reloaded.complete_job(job.key)

    assert reloaded.state == "completed"
    assert set(
        MessageSubscription.objects.filter(instance_id=reloaded.instance_key).values_list("state", flat=True)
    ) == {"closed"}


def test_non_interrupting_timer_cycle_event_subprocess_fires_per_repetition(driver):
    _start(driver, "esp-timer")
    assert sorted(t.element_id for t in driver.timers()) == ["on-deadline-start", "on-reminder-start"]

    assert driver.fire_timer("on-reminder-start")
    assert driver.fire_timer("on-reminder-start")

    assert [t.element_id for t in driver.timers()] == ["on-deadline-start"]
    assert [j.element_id for j in driver.jobs()] == ["remind", "remind", "t-work"]


def test_interrupting_timer_event_subprocess_withdraws_the_other_starts(reloaded):
    _start(reloaded, "esp-timer")

    assert reloaded.fire_timer("on-deadline-start")

    assert [j.element_id for j in reloaded.jobs()] == ["expire"]
    assert reloaded.timers() == []
    assert Timer.objects.get(instance_id=reloaded.instance_key, element_id="on-reminder-start").state == "cancelled"
    assert Job.objects.get(instance_id=reloaded.instance_key, element_id="t-work").state == "cancelled"


def test_error_event_subprocess_catches_a_job_error_at_process_level(driver):
    _start(driver, "esp-error")
    (job,) = driver.jobs()

    driver.throw_error(job.key, "FAIL", "broken")

    assert [j.element_id for j in driver.jobs()] == ["recover"]
    assert driver.incidents() == []
    assert driver.audit_elements("event_subprocess_started") == ["on-error"]


def test_an_error_the_event_subprocess_does_not_catch_stays_an_incident(driver):
    _start(driver, "esp-error")
    (job,) = driver.jobs()

    driver.throw_error(job.key, "OTHER")

    assert [i.element_id for i in driver.incidents()] == ["e-work"]


def test_non_interrupting_escalation_event_subprocess_runs_beside_the_thrower(driver):
    _start(driver, "esp-escalation")

    assert [j.element_id for j in driver.jobs()] == ["notify", "x-work"]
    assert driver.audit_elements("event_subprocess_started") == ["on-need"]


def test_signal_event_subprocesses_interrupting_and_not(driver):
    _start(driver, "esp-signal")
    assert sorted(s.element_id for s in driver.signal_subscriptions()) == ["on-abort-start", "on-audit-start"]

    assert driver.broadcast("audit") == 1
    assert [j.element_id for j in driver.jobs()] == ["audit", "g-work"]

    assert driver.broadcast("abort") == 1
    assert [j.element_id for j in driver.jobs()] == ["aborted"]
    assert driver.signal_subscriptions() == []


def test_interrupting_signal_event_subprocess_closes_the_other_subscriptions_in_the_database(reloaded):
    _start(reloaded, "esp-signal")

    reloaded.broadcast("abort")

    states = dict(
        SignalSubscription.objects.filter(instance_id=reloaded.instance_key).values_list("element_id", "state")
    )
    assert states == {"on-abort-start": "closed", "on-audit-start": "closed"}


def test_conditional_event_subprocesses_start_when_their_condition_becomes_true(driver):
    _start(driver, "esp-conditional", {"alarm": False, "stop": False})

    driver.set_variables({"alarm": True})
    assert [j.element_id for j in driver.jobs()] == ["c-work", "handle-alarm"]

    driver.set_variables({"stop": True})
    assert [j.element_id for j in driver.jobs()] == ["stop-all"]
    assert driver.audit_elements("event_subprocess_started") == ["on-alarm", "on-stop"]


def test_message_event_subprocess_inside_a_subprocess_interrupts_only_that_subprocess(driver):
    _start(driver, "esp-in-subprocess", {"orderId": "O-9"})
    assert [s.element_id for s in driver.subscriptions()] == ["on-order-cancel-start"]

    assert driver.correlate("cancel-order", "O-9") is True
    assert [j.element_id for j in driver.jobs()] == ["unpick"]
    assert sorted(driver.active_elements()) == ["on-order-cancel", "order", "unpick"]

    (job,) = driver.jobs()
    driver.complete_job(job.key)
    # the subprocess completes when its event subprocess ends, and the process goes on
    assert [j.element_id for j in driver.jobs()] == ["after"]


def test_error_end_event_in_a_subprocess_is_caught_by_its_error_event_subprocess(driver):
    driver.deploy(bpmn("event_subprocess_camunda"))
    driver.start("esp-error-in-subprocess")
    jobs = {j.element_id: j for j in driver.jobs()}

    driver.complete_job(jobs["check-stock"].key)

    assert [j.element_id for j in driver.jobs()] == ["backorder"]
    assert driver.user_tasks() == []
    assert driver.variables() == {"reason": "NO_STOCK"}
    (job,) = driver.jobs()
    driver.complete_job(job.key)
    assert [j.element_id for j in driver.jobs()] == ["ship"]


def test_the_error_event_subprocess_cancels_the_user_task_of_its_scope_in_the_database(reloaded):
    reloaded.deploy(bpmn("event_subprocess_camunda"))
    reloaded.start("esp-error-in-subprocess")
    jobs = {j.element_id: j for j in reloaded.jobs()}

    reloaded.complete_job(jobs["check-stock"].key)

    assert UserTask.objects.get(instance_id=reloaded.instance_key, element_id="hold").state == "cancelled"
