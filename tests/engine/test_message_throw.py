"""Message throw events (intermediate and end): with a job definition they wait for a
worker like a send task (Camunda 8); without one they pass through."""

from __future__ import annotations

from .harness import bpmn


def test_message_intermediate_throw_with_a_job_definition_waits_for_its_worker(driver):
    driver.deploy(bpmn("message_throw"))
    driver.start("message-throw")

    (job,) = driver.jobs()
    assert (job.element_id, job.detail) == ("notify-customer", "notify-customer")
    assert driver.active_elements() == ["notify-customer"]


def test_message_throw_without_a_job_passes_through_and_a_message_end_event_waits_for_its_job(driver):
    driver.deploy(bpmn("message_throw"))
    driver.start("message-throw")
    driver.complete_job(driver.jobs()[0].key, {"notified": True})

    (job,) = driver.jobs()
    assert (job.element_id, job.detail) == ("tell-warehouse", "tell-warehouse")
    assert driver.active_elements() == ["tell-warehouse"]
    assert driver.state == "active"


def test_message_end_event_completes_the_instance_when_its_job_completes(driver):
    driver.deploy(bpmn("message_throw"))
    driver.start("message-throw")
    driver.complete_job(driver.jobs()[0].key)
    driver.complete_job(driver.jobs()[0].key, {"warehouseTold": True})

    assert driver.state == "completed"
    assert driver.variables() == {"warehouseTold": True}
