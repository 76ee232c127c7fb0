"""Script task: FEEL and ${...} scripts run by the engine, zeebe:script, failing scripts."""

from __future__ import annotations

from .harness import bpmn

ITEMS = [{"price": 2.5, "quantity": 2}, {"price": 1, "quantity": 3}]


def test_feel_script_stores_its_result_in_the_result_variable(driver):
    driver.deploy(bpmn("script_task_feel"))
    driver.start("script-task-feel", {"items": ITEMS, "price": 2.5, "quantity": 4})

    assert driver.variables()["total"] == 8


def test_juel_script_stores_its_result_in_the_result_variable(driver):
    driver.deploy(bpmn("script_task_feel"))
    driver.start("script-task-feel", {"items": ITEMS, "price": 2.5, "quantity": 4})

    assert driver.variables()["lineTotal"] == 10
    assert driver.state == "completed"


def test_zeebe_script_runs_its_expression(driver):
    driver.deploy(bpmn("script_task_zeebe"))
    driver.start("script-task-zeebe", {"total": 250})

    assert driver.variables() == {"total": 250, "discount": 25}
    assert driver.state == "completed"


def test_zeebe_script_with_a_small_total_gives_no_discount(driver):
    driver.deploy(bpmn("script_task_zeebe"))
    driver.start("script-task-zeebe", {"total": 20})

    assert driver.variables() == {"total": 20, "discount": 0}


def test_a_failing_script_raises_an_expression_incident(driver):
    driver.deploy(bpmn("script_task_failing"))
    driver.start("script-task-failing")

    ((element_id, type, message),) = driver.incident_info()
    assert (element_id, type) == ("compute", "expression")
    assert message.startswith("failed to evaluate script '${amount * 2}'")
    assert driver.state == "active"
    assert driver.active_elements() == ["compute"]


def test_a_failing_script_runs_again_when_its_incident_is_resolved_with_the_missing_variable(driver):
    driver.deploy(bpmn("script_task_failing"))
    driver.start("script-task-failing")
    (incident,) = driver.incidents()

    driver.resolve_incident(incident.key, {"amount": 21})

    assert driver.variables() == {"amount": 21, "doubled": 42}
    assert driver.state == "completed"
