"""Send task: a job like a service task (Camunda 8 taskDefinition, Camunda 7 external topic)."""

from __future__ import annotations

from .harness import bpmn


def test_send_task_creates_a_job_from_its_zeebe_task_definition(driver):
    driver.deploy(bpmn("send_task"))
    driver.start("send-task")

    (job,) = driver.jobs()
    assert driver.job_info(job.key) == {
        "element_id": "send-invoice",
        "type": "email.send",
        "retries": 2,
        "headers": {"template": "invoice"},
    }


def test_send_task_continues_when_its_job_completes(driver):
    driver.deploy(bpmn("send_task"))
    driver.start("send-task")

    driver.complete_job(driver.jobs()[0].key, {"messageId": "M-1"})

    assert driver.state == "completed"
    assert driver.variables() == {"messageId": "M-1"}


def test_send_task_with_a_camunda_topic_creates_an_external_job(driver):
    driver.deploy(bpmn("send_task_camunda"))
    driver.start("send-task-camunda")

    (job,) = driver.jobs()
    assert (job.element_id, job.detail) == ("send-letter", "letters")
    driver.complete_job(job.key)
    assert driver.state == "completed"
