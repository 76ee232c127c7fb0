"""Service task: jobs from zeebe:taskDefinition and camunda:topic, io mappings, failures, errors."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.exceptions import InvalidState
from orchestration.models import Job

from .harness import bpmn


def test_service_task_creates_a_job_with_type_retries_and_headers_from_zeebe(driver):
    driver.deploy(bpmn("service_task_zeebe"))
    driver.start("service-task-zeebe", {"channel": "sms", "maxRetries": 2})

    (job,) = driver.jobs()
    assert driver.job_info(job.key) == {
        "element_id": "charge",
        "type": "payment.charge",
        "retries": 5,
        "headers": {"currency": "EUR", "provider": "acme"},
    }


def test_service_task_job_type_and_retries_can_be_expressions(driver):
    driver.deploy(bpmn("service_task_zeebe"))
    driver.start("service-task-zeebe", {"channel": "sms", "maxRetries": 2})

    driver.complete_job(driver.jobs()[0].key)

    (job,) = driver.jobs()
    info = driver.job_info(job.key)
    assert (info["element_id"], info["type"], info["retries"]) == ("notify", "notify.sms", 4)


def test_service_task_creates_a_job_from_a_camunda_external_topic(driver):
    driver.deploy(bpmn("service_task_camunda_topic"))
    driver.start("service-task-topic")

    (job,) = driver.jobs()
    assert driver.job_info(job.key) == {
        "element_id": "notify",
        "type": "customer-notify",
        "retries": 7,
        "headers": {"template": "welcome"},
    }


def test_completing_a_job_merges_its_variables_into_the_process_scope(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start", {"orderId": "ORD-1", "status": "new"})

    driver.complete_job(driver.jobs()[0].key, {"status": "done", "receipt": {"no": 7}})

    assert driver.variables() == {"orderId": "ORD-1", "status": "done", "receipt": {"no": 7}}


def test_input_mappings_make_local_variables_that_vanish_after_completion(driver):
    driver.deploy(bpmn("service_task_io_mappings"))
    driver.start("service-task-io", {"total": 12.5})

    assert driver.local_variables("charge") == {"amountInCents": 1250, "currency": "EUR"}
    assert driver.variables() == {"total": 12.5}

    driver.complete_job(driver.jobs()[0].key, {"paymentId": "P-1", "receipt": {"number": "R-9"}, "debug": "x"})

    assert driver.local_scope_count() == 0
    assert "amountInCents" not in driver.variables()


def test_output_mappings_map_job_variables_into_the_process_scope_and_the_rest_stays_local(driver):
    driver.deploy(bpmn("service_task_io_mappings"))
    driver.start("service-task-io", {"total": 12.5})

    driver.complete_job(driver.jobs()[0].key, {"paymentId": "P-1", "receipt": {"number": "R-9"}, "debug": "x"})

    assert driver.variables() == {"total": 12.5, "paymentId": "P-1", "receiptNumber": "R-9"}
    assert [j.element_id for j in driver.jobs()] == ["archive"]


def test_camunda_input_and_output_parameters_map_variables(driver):
    driver.deploy(bpmn("service_task_camunda_io"))
    driver.start("service-task-camunda-io", {"customerId": "C-1"})

    assert driver.local_variables("lookup") == {"customer": "C-1"}

    driver.complete_job(driver.jobs()[0].key, {"limit": 1000, "raw": "ignored"})

    assert driver.variables() == {"customerId": "C-1", "creditLimit": 1000}
    assert driver.local_scope_count() == 0


def test_failing_a_job_with_retries_left_keeps_it_activatable_without_an_incident(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start")
    (job,) = driver.jobs()

    driver.fail_job(job.key, retries=2)

    assert [j.key for j in driver.jobs()] == [job.key]
    assert driver.job_info(job.key)["retries"] == 2
    assert driver.incidents() == []


def test_failing_a_job_to_zero_retries_raises_a_job_no_retries_incident(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start")
    (job,) = driver.jobs()

    driver.fail_job(job.key, retries=0, message="connection refused")

    assert driver.jobs() == []
    assert driver.incident_info() == [("work", "job_no_retries", "connection refused")]
    assert driver.state == "active"


def test_resolving_a_job_incident_makes_the_job_activatable_again(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start")
    (job,) = driver.jobs()
    driver.fail_job(job.key, retries=0)
    (incident,) = driver.incidents()

    driver.resolve_incident(incident.key)

    assert [j.key for j in driver.jobs()] == [job.key]
    assert driver.job_info(job.key)["retries"] >= 1
    assert driver.incidents() == []
    driver.complete_job(job.key)
    assert driver.state == "completed"


def test_throwing_a_job_error_with_no_catcher_raises_an_incident(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start")
    (job,) = driver.jobs()

    driver.throw_error(job.key, "OUT_OF_STOCK", "no stock left")

    assert driver.incident_info() == [("work", "unhandled_error", "Unhandled BPMN error 'OUT_OF_STOCK': no stock left")]
    assert driver.jobs() == []
    assert driver.state == "active"


def test_resolving_an_unhandled_job_error_incident_makes_the_job_activatable_again(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start")
    (job,) = driver.jobs()
    driver.throw_error(job.key, "OUT_OF_STOCK")
    (incident,) = driver.incidents()

    driver.resolve_incident(incident.key)

    assert [j.key for j in driver.jobs()] == [job.key]
    driver.complete_job(job.key)
    assert driver.state == "completed"


def test_completing_a_job_twice_is_refused_with_a_clear_message(reloaded):
    reloaded.deploy(bpmn("service_task_zeebe"))
    reloaded.start("service-task-zeebe", {"channel": "sms", "maxRetries": 1})
    (job,) = reloaded.jobs()
    reloaded.complete_job(job.key)

    with pytest.raises(InvalidState, match=f"job {job.key} is already completed"):
        services.complete_job(job.key, {}, actor="test")

    assert [j.element_id for j in reloaded.jobs()] == ["notify"]


def test_completing_a_job_of_a_cancelled_instance_is_refused(reloaded):
    reloaded.deploy(bpmn("none_start"))
    reloaded.start("none-start")
    (job,) = reloaded.jobs()
    reloaded.cancel()

    with pytest.raises(InvalidState, match="cancelled"):
        services.complete_job(job.key, {}, actor="test")

    assert Job.objects.get(key=job.key).state == "cancelled"
    assert reloaded.state == "cancelled"
