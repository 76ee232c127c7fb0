"""Error boundary events: thrown by a job, by an error end event inside a subprocess;
by code before catch-all; the innermost catcher wins; uncaught errors stay incidents."""

from __future__ import annotations

from orchestration.models import Job

from .harness import bpmn


def _start(driver):
    driver.deploy(bpmn("boundary_error"))
    driver.start("boundary-error")
    (job,) = driver.jobs()
    return job


def test_an_error_with_a_matching_code_is_caught_by_that_boundary_event_not_the_catch_all(driver):
    job = _start(driver)

    driver.throw_error(job.key, "DECLINED", "card expired")

    assert [j.element_id for j in driver.jobs()] == ["notify-declined"]
    assert driver.audit_elements("boundary_triggered") == ["card-declined"]
    assert driver.incidents() == []
    assert driver.active_elements() == ["notify-declined"]


def test_an_error_with_another_code_is_caught_by_the_catch_all_boundary_event(driver):
    job = _start(driver)

    driver.throw_error(job.key, "TIMEOUT", "gateway down")

    assert [j.element_id for j in driver.jobs()] == ["manual-check"]
    assert driver.audit_elements("boundary_triggered") == ["any-error"]
    # Camunda 8: the catch event's output mappings may read the error code
    assert driver.variables() == {"failureCode": "TIMEOUT"}


def test_a_caught_job_error_leaves_the_job_in_error_thrown_and_opens_no_incident(reloaded):
    job = _start(reloaded)

    reloaded.throw_error(job.key, "DECLINED")

    assert Job.objects.get(key=job.key).state == "error_thrown"
    assert reloaded.incidents() == []


def test_the_innermost_catch_all_wins_over_a_matching_code_further_out(driver):
    driver.deploy(bpmn("boundary_error"))
    driver.start("boundary-error-nested")
    (job,) = driver.jobs()

    driver.throw_error(job.key, "X")

    assert [j.element_id for j in driver.jobs()] == ["inner-recover"]
    assert driver.audit_elements("boundary_triggered") == ["inner-any"]
    assert "outer" in driver.active_elements()


def test_an_error_end_event_inside_a_subprocess_is_caught_by_the_subprocess_boundary_event(driver):
    driver.deploy(bpmn("boundary_error_subprocess_camunda"))
    driver.start("boundary-error-subprocess")
    jobs = {j.element_id: j for j in driver.jobs()}

    driver.complete_job(jobs["check"].key, {"valid": False})

    assert [j.element_id for j in driver.jobs()] == ["fix"]
    assert driver.active_elements() == ["fix"]
    assert driver.audit_elements("boundary_triggered") == ["on-invalid"]
    assert sorted(driver.audit_elements("element_terminated")) == ["audit", "invalid-end", "validate"]
    # Camunda 7 errorCodeVariable / errorMessageVariable
    assert driver.variables() == {"valid": False, "errCode": "E_INVALID", "errMsg": "order is invalid"}


def test_a_job_error_inside_a_subprocess_propagates_to_the_subprocess_boundary_event(driver):
    driver.deploy(bpmn("boundary_error_subprocess_camunda"))
    driver.start("boundary-error-subprocess")
    jobs = {j.element_id: j for j in driver.jobs()}

    driver.throw_error(jobs["check"].key, "E_INVALID", "bad address")

    assert [j.element_id for j in driver.jobs()] == ["fix"]
    assert driver.variables() == {"errCode": "E_INVALID", "errMsg": "bad address"}


def test_an_error_nobody_catches_stays_an_incident_on_the_thrower(driver):
    driver.deploy(bpmn("boundary_error_subprocess_camunda"))
    driver.start("boundary-error-subprocess")
    jobs = {j.element_id: j for j in driver.jobs()}

    driver.throw_error(jobs["check"].key, "OTHER", "unexpected")

    assert driver.incident_info() == [("check", "unhandled_error", "Unhandled BPMN error 'OTHER': unexpected")]
    assert sorted(driver.active_elements()) == ["audit", "check", "validate"]


def test_the_interrupted_subprocess_closes_the_other_branch_job_in_the_database(reloaded):
    reloaded.deploy(bpmn("boundary_error_subprocess_camunda"))
    reloaded.start("boundary-error-subprocess")
    jobs = {j.element_id: j for j in reloaded.jobs()}

    reloaded.complete_job(jobs["check"].key, {"valid": False})

    assert Job.objects.get(key=jobs["audit"].key).state == "cancelled"
    assert Job.objects.get(key=jobs["check"].key).state == "completed"
