"""Business rule task: a job (DMN is not evaluated by the engine); its result routes the flow."""

from __future__ import annotations

from .harness import bpmn


def test_business_rule_task_creates_a_job_with_its_type_and_retries(driver):
    driver.deploy(bpmn("business_rule_task"))
    driver.start("business-rule-task")

    (job,) = driver.jobs()
    assert driver.job_info(job.key) == {"element_id": "decide", "type": "rules.discount", "retries": 1, "headers": {}}


def test_business_rule_task_result_variables_route_the_next_gateway(driver):
    driver.deploy(bpmn("business_rule_task"))
    driver.start("business-rule-task")

    driver.complete_job(driver.jobs()[0].key, {"discount": 10})

    assert [j.element_id for j in driver.jobs()] == ["apply"]
    assert driver.variables() == {"discount": 10}


def test_business_rule_task_with_no_discount_ends_the_instance(driver):
    driver.deploy(bpmn("business_rule_task"))
    driver.start("business-rule-task")

    driver.complete_job(driver.jobs()[0].key, {"discount": 0})

    assert driver.state == "completed"


def test_business_rule_task_with_a_camunda_topic_creates_an_external_job(driver):
    driver.deploy(bpmn("business_rule_task_camunda"))
    driver.start("business-rule-task-camunda")

    (job,) = driver.jobs()
    assert (job.element_id, job.detail) == ("score", "scoring")


def test_business_rule_task_job_failing_to_zero_raises_an_incident(driver):
    driver.deploy(bpmn("business_rule_task"))
    driver.start("business-rule-task")

    driver.fail_job(driver.jobs()[0].key, retries=0, message="rule engine down")

    assert driver.incident_info() == [("decide", "job_no_retries", "rule engine down")]
