"""Compensation (saga): completed activities are undone by their handlers, newest first."""

from __future__ import annotations

from .harness import bpmn


def _complete(driver, job_type, variables=None):
    (job,) = driver.jobs(job_type)
    driver.complete_job(job.key, variables or {})


def _job_types(driver) -> list[str]:
    return sorted(j.detail for j in driver.jobs())


def test_compensation_throw_runs_handlers_in_reverse_completion_order_then_continues(driver):
    driver.deploy(bpmn("compensation_saga"))
    driver.start("saga", {"flight": True})
    for job_type in ("book-hotel", "book-flight", "charge"):
        _complete(driver, job_type)

    assert _job_types(driver) == ["cancel-flight"]  # newest first, one at a time
    _complete(driver, "cancel-flight")
    assert _job_types(driver) == ["cancel-hotel"]
    assert driver.active_elements() == ["cancel-hotel", "undo"]  # the throw waits for its handlers
    _complete(driver, "cancel-hotel")

    assert _job_types(driver) == ["after"]
    assert driver.audit_elements("activity_compensated") == ["book-flight", "book-hotel"]


def test_an_activity_that_never_ran_is_not_compensated(driver):
    driver.deploy(bpmn("compensation_saga"))
    driver.start("saga", {"flight": False})
    _complete(driver, "book-hotel")
    _complete(driver, "charge")

    assert _job_types(driver) == ["cancel-hotel"]
    _complete(driver, "cancel-hotel")

    assert _job_types(driver) == ["after"]
    assert driver.audit_elements("activity_compensated") == ["book-hotel"]


def test_activity_ref_compensates_only_the_named_activity(driver):
    driver.deploy(bpmn("compensation_activity_ref"))
    driver.start("saga-ref", {"flight": True})
    for job_type in ("book-hotel", "book-flight", "charge"):
        _complete(driver, job_type)

    assert _job_types(driver) == ["cancel-hotel"]
    _complete(driver, "cancel-hotel")

    assert _job_types(driver) == ["after"]
    assert driver.audit_elements("activity_compensated") == ["book-hotel"]


def test_camunda_compensation_end_event_compensates_and_then_ends_the_instance(driver):
    driver.deploy(bpmn("compensation_saga_camunda"))
    driver.start("saga-camunda")
    _complete(driver, "book-hotel")
    _complete(driver, "book-flight")

    assert _job_types(driver) == ["cancel-flight"]
    _complete(driver, "cancel-flight")
    assert driver.state == "active"
    _complete(driver, "cancel-hotel")

    assert driver.state == "completed"
    assert driver.audit_elements("activity_compensated") == ["book-flight", "book-hotel"]


def test_handler_results_are_merged_like_any_job_result(driver):
    driver.deploy(bpmn("compensation_saga_camunda"))
    driver.start("saga-camunda")
    _complete(driver, "book-hotel", {"hotel": "booked"})
    _complete(driver, "book-flight")
    _complete(driver, "cancel-flight")
    _complete(driver, "cancel-hotel", {"hotel": "cancelled"})

    assert driver.variables() == {"hotel": "cancelled"}


def test_a_completed_subprocess_without_handler_compensates_its_inner_activities(driver):
    driver.deploy(bpmn("compensation_nested_subprocess"))
    driver.start("saga-nested")
    for job_type in ("book-hotel", "book-car", "pay"):
        _complete(driver, job_type)

    order = []
    while driver.jobs():
        (job,) = driver.jobs()
        order.append(job.detail)
        driver.complete_job(job.key)

    assert order == ["refund", "cancel-car", "cancel-hotel"]
    assert driver.state == "completed"


def test_a_compensation_throw_inside_a_subprocess_compensates_only_that_scope(driver):
    driver.deploy(bpmn("compensation_inside_subprocess"))
    driver.start("saga-inside")
    _complete(driver, "pay")
    _complete(driver, "book-hotel")

    assert _job_types(driver) == ["cancel-hotel"]
    _complete(driver, "cancel-hotel")

    assert driver.state == "completed"
    assert driver.audit_elements("activity_compensated") == ["book-hotel"]


def test_each_completed_multi_instance_iteration_is_compensated_with_its_own_variables(driver):
    driver.deploy(bpmn("compensation_multi_instance"))
    driver.start("saga-each", {"items": ["a", "b", "c"]})
    jobs = {driver.job_variables(j.key)["item"]: j.key for j in driver.jobs("reserve")}
    for item in ("b", "c", "a"):
        driver.complete_job(jobs[item])

    released = []
    while driver.jobs():
        (job,) = driver.jobs()
        assert job.detail == "release"
        released.append(driver.job_variables(job.key)["item"])
        driver.complete_job(job.key)

    assert released == ["a", "c", "b"]
    assert driver.state == "completed"
    assert driver.audit_elements("activity_compensated") == ["reserve", "reserve", "reserve"]


def test_cancelling_an_instance_does_not_compensate_what_it_completed(driver):
    driver.deploy(bpmn("compensation_saga"))
    driver.start("saga", {"flight": True})
    _complete(driver, "book-hotel")
    _complete(driver, "book-flight")
    driver.cancel()

    assert driver.state == "cancelled"
    assert driver.audit_elements("activity_compensated") == []  # cancelling does not compensate
