"""Undefined task, manual task and none throw events pass straight through."""

from __future__ import annotations

from .harness import bpmn


def test_undefined_and_manual_tasks_pass_straight_through(driver):
    driver.deploy(bpmn("pass_through_tasks"))
    driver.start("pass-through")

    assert driver.state == "completed"
    assert driver.audit_elements("element_completed") == ["start", "undefined-task", "manual", "throw", "end"]
    assert driver.jobs() == [] and driver.user_tasks() == []


def test_a_pass_through_task_applies_its_output_mappings(driver):
    driver.deploy(bpmn("pass_through_then_wait"))
    driver.start("pass-through-then-wait")

    assert driver.variables() == {"status": "tagged"}
    assert [j.element_id for j in driver.jobs()] == ["next"]
