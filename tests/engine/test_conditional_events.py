"""Conditional intermediate catch events (boundary and event subprocess starts are in
their own modules): evaluated on arrival and whenever variables change."""

from __future__ import annotations

from .harness import bpmn


def test_a_condition_already_true_on_arrival_passes_at_once(driver):
    driver.deploy(bpmn("conditional_events"))
    driver.start("conditional-catch", {"approved": True})

    assert [j.element_id for j in driver.jobs()] == ["book"]


def test_a_false_condition_waits_until_set_variables_makes_it_true(driver):
    driver.deploy(bpmn("conditional_events"))
    driver.start("conditional-catch", {"approved": False})
    assert driver.active_elements() == ["wait-approval"]

    driver.set_variables({"note": "unrelated"})
    assert driver.active_elements() == ["wait-approval"]

    driver.set_variables({"approved": True})

    assert [j.element_id for j in driver.jobs()] == ["book"]
    assert "condition_met" in driver.audit_types()


def test_a_missing_variable_counts_as_false(driver):
    driver.deploy(bpmn("conditional_events"))
    driver.start("conditional-catch")

    assert driver.active_elements() == ["wait-approval"]
    assert driver.incidents() == []


def test_a_job_result_that_makes_the_condition_true_releases_the_waiting_branch(driver):
    driver.deploy(bpmn("conditional_events"))
    driver.start("conditional-after-job", {"score": 0})
    (job,) = driver.jobs()

    driver.complete_job(job.key, {"score": 80})

    assert [j.element_id for j in driver.jobs()] == ["accept"]


def test_a_juel_condition_of_a_camunda_7_model(driver):
    driver.deploy(bpmn("conditional_events_camunda"))
    driver.start("conditional-catch-camunda", {"stock": 0})
    assert driver.jobs() == []

    driver.set_variables({"stock": 3})

    assert [j.element_id for j in driver.jobs()] == ["ship"]


def test_a_condition_that_fails_to_evaluate_counts_as_false_and_the_catch_event_keeps_waiting(driver):
    # Camunda 7 and Zeebe wait when a condition cannot be evaluated yet (a variable is
    # missing or has the wrong type); the failure is audited, not an incident.
    driver.deploy(bpmn("conditional_events_camunda"))
    driver.start("conditional-catch-camunda", {"stock": 0})

    driver.set_variables({"stock": "many"})

    assert driver.incidents() == []
    assert driver.active_elements() == ["wait-stock"]
    assert "condition_failed" in driver.audit_types()
    driver.set_variables({"stock": 5})
    assert [j.element_id for j in driver.jobs()] == ["ship"]
