"""Exclusive gateway: first true condition in document order, default flow, no match, merge."""

from __future__ import annotations

import pytest

from .harness import bpmn


@pytest.mark.parametrize(
    ("amount", "chosen"),
    [(500, "high"), (50, "medium"), (5, "low")],
)
def test_exclusive_gateway_takes_the_first_true_condition_in_document_order(driver, amount, chosen):
    driver.deploy(bpmn("exclusive_gateway_routing"))
    driver.start("exclusive-routing", {"amount": amount})

    assert [j.element_id for j in driver.jobs()] == [chosen]


def test_exclusive_gateway_takes_default_flow_when_no_condition_matches(driver):
    driver.deploy(bpmn("exclusive_gateway_routing"))
    driver.start("exclusive-routing")

    assert [j.element_id for j in driver.jobs()] == ["low"]
    assert driver.audit_elements("sequence_flow_taken") == ["f1", "f-low"]


def test_exclusive_gateway_without_a_match_or_default_raises_a_condition_incident(driver):
    driver.deploy(bpmn("exclusive_gateway_no_default"))
    driver.start("exclusive-no-default", {"decision": "maybe"})

    ((element_id, type, message),) = driver.incident_info()
    assert (element_id, type) == ("route", "condition")
    assert (
        message
        == "no outgoing sequence flow of exclusive gateway 'route' has a true condition and there is no default flow"
    )
    assert driver.jobs() == []


def test_exclusive_gateway_incident_resolved_with_a_fixed_variable_continues(driver):
    driver.deploy(bpmn("exclusive_gateway_no_default"))
    driver.start("exclusive-no-default", {"decision": "maybe"})
    (incident,) = driver.incidents()

    driver.resolve_incident(incident.key, {"decision": "no"})

    assert driver.incidents() == []
    assert [j.element_id for j in driver.jobs()] == ["no"]


def test_exclusive_gateway_merge_passes_every_arriving_token_on(driver):
    driver.deploy(bpmn("exclusive_gateway_merge"))
    driver.start("exclusive-merge")
    jobs = {j.element_id: j for j in driver.jobs()}

    driver.complete_job(jobs["a"].key)
    assert [j.element_id for j in driver.jobs()] == ["after", "b"]

    driver.complete_job(jobs["b"].key)
    assert [j.element_id for j in driver.jobs()] == ["after", "after"]

    for job in driver.jobs():
        driver.complete_job(job.key)
    assert driver.state == "completed"
    assert driver.audit_elements("element_completed").count("merge") == 2
