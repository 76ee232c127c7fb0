"""Intermediate timer catch event: duration, date, FEEL expressions, cycles, bad input, firing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .harness import bpmn


def _due(driver) -> datetime:
    (timer,) = driver.timers()
    return datetime.fromisoformat(timer.detail)


def test_duration_timer_is_due_an_hour_after_activation(driver):
    driver.deploy(bpmn("timer_duration"))
    before = datetime.now(UTC)
    driver.start("timer-duration")
    after = datetime.now(UTC)

    due = _due(driver)
    assert before + timedelta(hours=1) <= due <= after + timedelta(hours=1)
    assert driver.active_elements() == ["wait"]


def test_date_timer_is_due_at_its_date(driver):
    driver.deploy(bpmn("timer_date"))
    driver.start("timer-date")

    assert _due(driver) == datetime(2031, 5, 4, 10, 30, tzinfo=UTC)


def test_feel_duration_timer_reads_its_duration_from_a_variable(driver):
    driver.deploy(bpmn("timer_feel_duration"))
    before = datetime.now(UTC)
    driver.start("timer-feel-duration", {"reminderDelay": "P2D"})

    due = _due(driver)
    assert before + timedelta(days=2) <= due <= datetime.now(UTC) + timedelta(days=2)


def test_cycle_timer_on_a_catch_event_is_due_after_one_interval(driver):
    driver.deploy(bpmn("timer_cycle"))
    before = datetime.now(UTC)
    driver.start("timer-cycle")

    due = _due(driver)
    assert before + timedelta(minutes=10) <= due <= datetime.now(UTC) + timedelta(minutes=10)


def test_a_bad_duration_text_raises_an_expression_incident(driver):
    driver.deploy(bpmn("timer_bad_duration"))
    driver.start("timer-bad-duration", {"delay": "soon"})

    ((element_id, type, message),) = driver.incident_info()
    assert (element_id, type) == ("wait", "expression")
    assert message == "'soon' is not an ISO 8601 duration (e.g. PT5M, P1D)"
    assert driver.timers() == []


def test_a_bad_duration_incident_resolved_with_a_valid_duration_schedules_the_timer(driver):
    driver.deploy(bpmn("timer_bad_duration"))
    driver.start("timer-bad-duration", {"delay": "soon"})
    (incident,) = driver.incidents()

    driver.resolve_incident(incident.key, {"delay": "PT5M"})

    assert driver.incidents() == []
    assert [t.element_id for t in driver.timers()] == ["wait"]


def test_firing_the_timer_continues_the_instance(driver):
    driver.deploy(bpmn("timer_duration"))
    driver.start("timer-duration")

    assert driver.fire_timers() == 1

    assert driver.timers() == []
    assert [j.element_id for j in driver.jobs()] == ["remind"]
    assert driver.active_elements() == ["remind"]


def test_a_cycle_timer_on_a_catch_event_fires_once(driver):
    driver.deploy(bpmn("timer_cycle"))
    driver.start("timer-cycle")

    assert driver.fire_timers() == 1

    assert driver.timers() == []
    assert [j.element_id for j in driver.jobs()] == ["remind"]
