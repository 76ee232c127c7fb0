"""An interrupting escalation event subprocess, and a conditional event after an event-based gateway."""

from __future__ import annotations

from .harness import bpmn


def test_interrupting_escalation_event_subprocess_terminates_the_other_tokens(driver):
    driver.deploy(bpmn("events_interrupting_escalation_and_conditional_gateway"))
    driver.start("esp-escalation-interrupting")

    assert [j.element_id for j in driver.jobs()] == ["apologise"]
    assert driver.active_elements() == ["apologise", "on-late"]
    driver.complete_job(driver.jobs()[0].key)
    assert driver.state == "completed"


def test_conditional_event_after_an_event_based_gateway_wins_when_its_condition_turns_true(driver):
    driver.deploy(bpmn("events_interrupting_escalation_and_conditional_gateway"))
    driver.start("gateway-conditional", {"ready": False})

    assert [t.element_id for t in driver.timers()] == ["after-an-hour"]
    assert driver.jobs() == []
    driver.set_variables({"ready": True})

    assert [j.element_id for j in driver.jobs()] == ["ship"]
    assert driver.timers() == []
    assert "which-first" not in driver.active_elements()
