"""Sequence flows out of activities: conditions (FEEL and JUEL), default flow, failing conditions."""

from __future__ import annotations

from .harness import bpmn


def test_every_true_condition_out_of_a_task_is_taken(driver):
    driver.deploy(bpmn("conditional_flows_out_of_task"))
    driver.start("conditional-flows")

    driver.complete_job(driver.jobs()[0].key, {"amount": 500, "vip": True})

    assert [j.element_id for j in driver.jobs()] == ["big", "vip"]


def test_only_the_true_condition_out_of_a_task_is_taken(driver):
    driver.deploy(bpmn("conditional_flows_out_of_task"))
    driver.start("conditional-flows")

    driver.complete_job(driver.jobs()[0].key, {"amount": 500, "vip": False})

    assert [j.element_id for j in driver.jobs()] == ["big"]


def test_the_default_flow_out_of_a_task_is_taken_when_no_condition_is_true(driver):
    driver.deploy(bpmn("conditional_flows_out_of_task"))
    driver.start("conditional-flows")

    driver.complete_job(driver.jobs()[0].key, {"amount": 5, "vip": False})

    assert [j.element_id for j in driver.jobs()] == ["normal"]


def test_a_feel_condition_on_a_missing_variable_is_false_not_an_error(driver):
    driver.deploy(bpmn("conditional_flows_out_of_task"))
    driver.start("conditional-flows")

    driver.complete_job(driver.jobs()[0].key)

    assert [j.element_id for j in driver.jobs()] == ["normal"]
    assert driver.incidents() == []


def test_juel_conditions_choose_the_flow(driver):
    driver.deploy(bpmn("conditional_flows_juel"))
    driver.start("conditional-flows-juel", {"amount": 80, "limit": 100})

    assert [j.element_id for j in driver.jobs()] == ["approved"]


def test_juel_conditions_choose_the_other_flow(driver):
    driver.deploy(bpmn("conditional_flows_juel"))
    driver.start("conditional-flows-juel", {"amount": 180, "limit": 100})

    assert [j.element_id for j in driver.jobs()] == ["rejected"]


def test_a_condition_that_fails_to_evaluate_raises_an_expression_incident(driver):
    driver.deploy(bpmn("conditional_flows_juel"))
    driver.start("conditional-flows-juel", {"amount": 80})

    ((element_id, type, message),) = driver.incident_info()
    assert (element_id, type) == ("review", "expression")
    assert "condition of flow 'f-approve'" in message
    assert "limit" in message
    assert driver.jobs() == []
    assert driver.active_elements() == ["review"]


def test_after_fixing_variables_and_resolving_the_incident_the_instance_continues(driver):
    driver.deploy(bpmn("conditional_flows_juel"))
    driver.start("conditional-flows-juel", {"amount": 80})
    (incident,) = driver.incidents()

    driver.resolve_incident(incident.key, {"limit": 50})

    assert driver.incidents() == []
    assert [j.element_id for j in driver.jobs()] == ["rejected"]
    assert driver.variables() == {"amount": 80, "limit": 50}


def test_a_condition_that_is_not_a_boolean_raises_a_condition_incident(driver):
    driver.deploy(bpmn("condition_not_boolean"))
    driver.start("condition-not-boolean", {"amount": 3})

    ((element_id, type, message),) = driver.incident_info()
    assert (element_id, type) == ("pass", "condition")
    assert "expected a boolean" in message


def test_resolving_a_condition_incident_without_a_fix_raises_it_again(driver):
    driver.deploy(bpmn("condition_not_boolean"))
    driver.start("condition-not-boolean", {"amount": 3})
    (incident,) = driver.incidents()

    driver.resolve_incident(incident.key)

    (again,) = driver.incidents()
    assert again.key != incident.key
    assert driver.jobs() == []

    driver.resolve_incident(again.key, {"amount": True})
    assert [j.element_id for j in driver.jobs()] == ["next"]
