"""End events: none, terminate (process level and inside a subprocess), error without a catcher."""

from __future__ import annotations

from orchestration.models import Job

from .harness import bpmn


def test_none_end_event_completes_the_instance_when_the_last_token_arrives(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start")
    (job,) = driver.jobs()

    driver.complete_job(job.key)

    assert driver.state == "completed"
    assert driver.audit_elements("element_completed")[-1] == "end"
    assert driver.audit_types()[-1] == "instance_completed"


def test_terminate_end_event_ends_the_instance_and_terminates_the_other_tokens(driver):
    driver.deploy(bpmn("terminate_end"))
    driver.start("terminate-end")
    jobs = {j.element_id: j for j in driver.jobs()}
    assert sorted(jobs) == ["fast", "slow"]

    driver.complete_job(jobs["fast"].key)

    assert driver.state == "completed"
    assert driver.active_elements() == []
    assert driver.jobs() == []
    assert driver.audit_elements("element_terminated") == ["slow"]
    assert "end" not in driver.audit_elements("element_completed")


def test_terminate_end_event_cancels_the_jobs_of_terminated_tokens(reloaded):
    reloaded.deploy(bpmn("terminate_end"))
    reloaded.start("terminate-end")
    jobs = {j.element_id: j for j in reloaded.jobs()}

    reloaded.complete_job(jobs["fast"].key)

    assert Job.objects.get(key=jobs["slow"].key).state == "cancelled"
    assert Job.objects.get(key=jobs["fast"].key).state == "completed"


def test_terminate_end_event_inside_a_subprocess_ends_only_that_scope(driver):
    driver.deploy(bpmn("terminate_in_subprocess"))
    driver.start("terminate-in-subprocess")
    jobs = {j.element_id: j for j in driver.jobs()}
    assert sorted(jobs) == ["fast", "slow"]

    driver.complete_job(jobs["fast"].key)

    assert driver.state == "active"
    assert driver.audit_elements("element_terminated") == ["slow"]
    assert "sub" in driver.audit_elements("element_completed")
    assert [j.element_id for j in driver.jobs()] == ["after"]
    assert driver.active_elements() == ["after"]

    driver.complete_job(driver.jobs()[0].key)
    assert driver.state == "completed"


def test_error_end_event_without_a_catcher_raises_an_unhandled_error_incident(driver):
    driver.deploy(bpmn("error_end_unhandled"))
    driver.start("error-end-unhandled")

    assert driver.state == "active"
    assert driver.incident_info() == [("fail", "unhandled_error", "Unhandled BPMN error 'X'")]
    assert driver.active_elements() == ["fail"]
    assert "error_thrown" in driver.audit_types()


def test_terminate_end_event_inside_a_subprocess_cancels_only_that_scope_jobs_in_the_database(reloaded):
    reloaded.deploy(bpmn("terminate_in_subprocess"))
    reloaded.start("terminate-in-subprocess")
    jobs = {j.element_id: j for j in reloaded.jobs()}

    reloaded.complete_job(jobs["fast"].key)

    assert Job.objects.get(key=jobs["slow"].key).state == "cancelled"
    assert reloaded.state == "active"
    assert [j.element_id for j in reloaded.jobs()] == ["after"]
