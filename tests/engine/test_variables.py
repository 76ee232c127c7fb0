"""Variable scopes: propagation from inside a subprocess, new variables, dotted output targets."""

from __future__ import annotations

from .harness import bpmn


def test_a_process_variable_is_updated_in_place_from_inside_a_subprocess(driver):
    driver.deploy(bpmn("variables_scope"))
    driver.start("variables-scope", {"net": 100, "rate": 0.2})

    driver.complete_job(driver.jobs()[0].key, {"net": 150})

    assert driver.variables()["net"] == 150
    assert driver.local_scope_count() == 0


def test_a_new_variable_from_inside_a_subprocess_lands_on_the_process_scope(driver):
    driver.deploy(bpmn("variables_scope"))
    driver.start("variables-scope", {"net": 100, "rate": 0.2})

    driver.complete_job(driver.jobs()[0].key, {"priceList": "EU"})

    assert driver.variables() == {"net": 100, "rate": 0.2, "priceList": "EU"}
    assert driver.local_scope_count() == 0


def test_a_dotted_output_target_sets_a_field_of_an_existing_context(driver):
    driver.deploy(bpmn("variables_scope"))
    driver.start("variables-scope", {"net": 100, "rate": 0.2, "order": {"id": "ORD-1"}})
    driver.complete_job(driver.jobs()[0].key)

    driver.complete_job(driver.jobs()[0].key)

    assert driver.variables()["order"] == {"id": "ORD-1", "total": 120}
    assert driver.state == "completed"


def test_a_dotted_output_target_creates_the_context_when_missing(driver):
    driver.deploy(bpmn("variables_scope"))
    driver.start("variables-scope", {"net": 10, "rate": 0.5})
    driver.complete_job(driver.jobs()[0].key)

    driver.complete_job(driver.jobs()[0].key)

    assert driver.variables()["order"] == {"total": 15}


def test_setting_variables_changes_what_the_next_step_sees(driver):
    driver.deploy(bpmn("variables_scope"))
    driver.start("variables-scope", {"net": 10, "rate": 0.5})

    driver.set_variables({"rate": 1})
    driver.complete_job(driver.jobs()[0].key)
    driver.complete_job(driver.jobs()[0].key)

    assert driver.variables()["order"] == {"total": 20}
