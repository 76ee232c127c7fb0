"""Multi-instance activities: parallel and sequential, Camunda 7 and 8 forms, counters, output, completion."""

from __future__ import annotations

from .harness import bpmn


def _by_counter(driver, jobs):
    return sorted(jobs, key=lambda j: driver.job_variables(j.key)["loopCounter"])


def test_parallel_multi_instance_creates_one_job_per_collection_item_with_its_element_variable(driver):
    driver.deploy(bpmn("multi_instance_zeebe"))
    driver.start("mi-zeebe", {"customers": ["ada", "bob", "cy"]})

    jobs = _by_counter(driver, driver.jobs("notify"))
    seen = [driver.job_variables(j.key) for j in jobs]

    assert [(v["loopCounter"], v["customer"], v["name"]) for v in seen] == [
        (1, "ada", "ADA"),
        (2, "bob", "BOB"),
        (3, "cy", "CY"),
    ]
    assert all(
        v["nrOfInstances"] == 3 and v["nrOfActiveInstances"] == 3 and v["nrOfCompletedInstances"] == 0 for v in seen
    )
    assert driver.active_elements() == ["notify", "notify", "notify", "notify"]  # the body and three inner instances


def test_output_collection_is_gathered_in_item_order_whatever_the_completion_order(driver):
    driver.deploy(bpmn("multi_instance_zeebe"))
    driver.start("mi-zeebe", {"customers": ["ada", "bob", "cy"]})
    first, second, third = _by_counter(driver, driver.jobs("notify"))

    driver.complete_job(third.key, {"receipt": "R3"})
    assert driver.job_variables(first.key)["nrOfCompletedInstances"] == 1
    driver.complete_job(first.key, {"receipt": "R1"})
    assert driver.jobs("after") == []
    driver.complete_job(second.key, {"receipt": "R2"})

    assert driver.variables()["receipts"] == ["R1", "R2", "R3"]
    assert [j.element_id for j in driver.jobs()] == ["after"]
    assert "customer" not in driver.variables() and "loopCounter" not in driver.variables()
    assert driver.local_scope_count() == 0


def test_sequential_multi_instance_runs_one_item_after_the_other(driver):
    driver.deploy(bpmn("multi_instance_zeebe_sequential"))
    driver.start("mi-zeebe-sequential", {"customers": ["ada", "bob"]})

    (job,) = driver.jobs("notify")
    assert driver.job_variables(job.key)["customer"] == "ada"
    driver.complete_job(job.key, {"receipt": "A"})
    (job,) = driver.jobs("notify")
    variables = driver.job_variables(job.key)
    assert (variables["customer"], variables["loopCounter"], variables["nrOfCompletedInstances"]) == ("bob", 2, 1)
    driver.complete_job(job.key, {"receipt": "B"})

    assert driver.variables()["receipts"] == ["A", "B"]
    assert [j.element_id for j in driver.jobs()] == ["after"]


def test_empty_collection_completes_the_body_at_once(driver):
    driver.deploy(bpmn("multi_instance_zeebe"))
    driver.start("mi-zeebe", {"customers": []})

    assert driver.variables()["receipts"] == []
    assert [j.element_id for j in driver.jobs()] == ["after"]


def test_a_collection_that_is_not_a_list_raises_an_incident_that_a_retry_can_fix(driver):
    driver.deploy(bpmn("multi_instance_zeebe"))
    driver.start("mi-zeebe", {"customers": "ada"})

    ((element_id, kind, message),) = driver.incident_info()
    assert (element_id, kind) == ("notify", "extract_value") and "expected a list" in message

    driver.resolve_incident(driver.incidents()[0].key, {"customers": ["ada"]})
    assert len(driver.jobs("notify")) == 1


def test_camunda_collection_and_element_variable_create_one_user_task_per_approver(driver):
    driver.deploy(bpmn("multi_instance_camunda"))
    driver.start("mi-camunda", {"approvers": ["ann", "ben", "cat"]})

    assert sorted(t.detail for t in driver.user_tasks()) == ["ann", "ben", "cat"]


def test_completion_condition_ends_the_body_and_terminates_the_remaining_instances(driver):
    driver.deploy(bpmn("multi_instance_camunda"))
    driver.start("mi-camunda", {"approvers": ["ann", "ben", "cat"]})
    tasks = {t.detail: t.key for t in driver.user_tasks()}

    driver.complete_user_task(tasks["ben"])
    assert len(driver.user_tasks()) == 2
    driver.complete_user_task(tasks["ann"])

    assert driver.user_tasks() == []
    assert [j.element_id for j in driver.jobs()] == ["done"]
    assert driver.audit_elements("element_terminated") == ["approve"]


def test_camunda_sequential_collection_runs_in_order(driver):
    driver.deploy(bpmn("multi_instance_camunda_sequential"))
    driver.start("mi-camunda-sequential", {"approvers": ["ann", "ben", "cat"]})

    order = []
    while driver.user_tasks():
        (task,) = driver.user_tasks()
        order.append(task.detail)
        driver.complete_user_task(task.key)

    assert order == ["ann", "ben"]  # the completion condition holds after two
    assert [j.element_id for j in driver.jobs()] == ["done"]


def test_loop_cardinality_creates_that_many_instances(driver):
    driver.deploy(bpmn("multi_instance_cardinality"))
    driver.start("mi-cardinality", {"copies": 4})

    jobs = driver.jobs("work")
    assert sorted(driver.job_variables(j.key)["loopCounter"] for j in jobs) == [1, 2, 3, 4]
    for job in jobs:
        driver.complete_job(job.key)
    assert driver.state == "completed"


def test_zeebe_completion_condition_sees_the_finished_instance_and_keeps_its_output(driver):
    driver.deploy(bpmn("multi_instance_completion_condition"))
    driver.start("mi-completion", {"suppliers": ["s1", "s2", "s3"]})
    first, second, third = _by_counter(driver, driver.jobs("quote"))

    driver.complete_job(first.key, {"price": 120})
    assert len(driver.jobs("quote")) == 2
    driver.complete_job(third.key, {"price": 80})

    assert driver.state == "completed"
    assert driver.variables()["quotes"] == [120, None, 80]
    assert driver.jobs() == []


def test_multi_instance_subprocess_runs_a_scope_per_item_and_collects_results(driver):
    driver.deploy(bpmn("multi_instance_subprocess"))
    driver.start("mi-subprocess", {"items": [1, 2, 3]})

    jobs = driver.jobs("pick")
    assert len(jobs) == 3
    assert sorted(driver.job_variables(j.key)["item"] for j in jobs) == [1, 2, 3]
    for job in jobs:
        driver.complete_job(job.key)

    assert driver.state == "completed"
    assert driver.variables()["results"] == [11, 22, 33]
    assert driver.local_scope_count() == 0


def test_cancelling_terminates_body_and_inner_instances_and_their_jobs(driver):
    driver.deploy(bpmn("multi_instance_zeebe"))
    driver.start("mi-zeebe", {"customers": ["ada", "bob"]})

    driver.cancel()

    assert driver.active_elements() == []
    assert driver.jobs() == []
    assert driver.audit_elements("element_terminated")[-1] == "notify"
    assert len(driver.audit_elements("element_terminated")) == 3


def test_a_boundary_event_belongs_to_the_body_not_to_each_inner_instance(driver):
    driver.deploy(bpmn("multi_instance_boundary_timer"))
    driver.start("mi-boundary", {"customers": ["ada", "bob", "cy"]})

    assert [t.element_id for t in driver.timers()] == ["too-late"]  # one timer, on the body
    driver.complete_job(driver.jobs()[0].key)

    driver.fire_timers()

    assert driver.state == "completed"
    assert driver.jobs() == []
    assert driver.audit_elements("element_completed")[-1] == "late-end"
