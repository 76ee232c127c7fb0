"""Inclusive gateway: fork on every true condition (default if none), join waits only for tokens that can still arrive."""

from __future__ import annotations

from .harness import bpmn


def _types(driver) -> list[str]:
    return sorted(j.detail for j in driver.jobs())


def _complete(driver, job_type, variables=None):
    (job,) = driver.jobs(job_type)
    driver.complete_job(job.key, variables or {})


def test_inclusive_fork_takes_every_flow_whose_condition_is_true(driver):
    driver.deploy(bpmn("inclusive_gateway_zeebe"))
    driver.start("inclusive", {"email": True, "sms": False, "letter": True})

    assert _types(driver) == ["email", "letter"]


def test_inclusive_fork_takes_the_default_flow_only_when_no_condition_is_true(driver):
    driver.deploy(bpmn("inclusive_gateway_zeebe"))
    driver.start("inclusive", {"email": False, "sms": False, "letter": False})

    assert _types(driver) == ["manual"]
    _complete(driver, "manual")
    assert _types(driver) == ["after"]


def test_inclusive_fork_without_a_true_condition_or_default_raises_an_incident(driver):
    driver.deploy(bpmn("inclusive_gateway_no_default"))
    driver.start("inclusive-no-default", {"email": False, "sms": False, "letter": False})

    ((element_id, kind, _),) = driver.incident_info()
    assert (element_id, kind) == ("split", "condition")

    driver.resolve_incident(driver.incidents()[0].key, {"sms": True})
    assert _types(driver) == ["sms"]


def test_inclusive_join_waits_for_exactly_the_branches_that_were_taken(driver):
    driver.deploy(bpmn("inclusive_gateway_zeebe"))
    driver.start("inclusive", {"email": True, "sms": False, "letter": True})

    _complete(driver, "letter")
    assert _types(driver) == ["email"]
    assert "join" in driver.active_elements()
    _complete(driver, "email")

    assert _types(driver) == ["after"]
    assert driver.audit_elements("gateway_joined") == ["join"]


def test_inclusive_join_with_one_branch_fires_when_it_arrives(driver):
    driver.deploy(bpmn("inclusive_gateway_zeebe"))
    driver.start("inclusive", {"email": False, "sms": True, "letter": False})

    _complete(driver, "sms")

    assert _types(driver) == ["after"]


def test_a_token_taking_a_direct_flow_to_the_join_waits_for_the_other_branches(driver):
    driver.deploy(bpmn("inclusive_gateway_camunda"))
    driver.start("inclusive-camunda", {"amount": 500})

    assert _types(driver) == ["check"]
    assert sorted(driver.active_elements()) == ["check", "join"]
    _complete(driver, "check")

    assert _types(driver) == ["after"]


def test_a_direct_flow_alone_passes_the_join_at_once(driver):
    driver.deploy(bpmn("inclusive_gateway_camunda"))
    driver.start("inclusive-camunda", {"amount": 5})

    assert _types(driver) == ["after"]


def test_the_join_fires_when_a_branch_ends_elsewhere_and_no_token_can_arrive_any_more(driver):
    driver.deploy(bpmn("inclusive_gateway_camunda"))
    driver.start("inclusive-camunda", {"amount": 5000, "suspicious": True})
    assert _types(driver) == ["audit", "check"]

    _complete(driver, "check")
    assert _types(driver) == ["audit"]  # the audit branch can still reach the join

    _complete(driver, "audit")  # ...but it ends at "escalated" instead

    assert _types(driver) == ["after"]
    assert driver.audit_elements("gateway_joined") == ["join"]


def test_the_join_waits_for_a_branch_that_comes_back_through_another_gateway(driver):
    driver.deploy(bpmn("inclusive_gateway_camunda"))
    driver.start("inclusive-camunda", {"amount": 5000, "suspicious": False})

    _complete(driver, "audit")
    assert _types(driver) == ["check"]
    _complete(driver, "check")

    assert _types(driver) == ["after"]
    assert driver.audit_elements("gateway_joined") == ["join"]
