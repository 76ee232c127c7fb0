"""Bulk retry of failed-job incidents: the set-based path gives what resolve_incident gives, in a few statements."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from orchestration import services
from orchestration.models import AuditEvent, BatchItem, BatchOperation, ElementInstance, Incident, Job, ProcessInstance
from orchestration.models.incidents import fingerprint
from orchestration.services import batches
from orchestration.services.incidents import retry_failed_job_incidents

XML = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="charge" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="compute" />
    <bpmn:scriptTask id="compute" scriptFormat="juel" camunda:resultVariable="total">
      <bpmn:script>${price * 2}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="compute" targetRef="bill" />
    <bpmn:serviceTask id="bill" camunda:type="external" camunda:topic="bill" />
    <bpmn:sequenceFlow id="f3" sourceRef="bill" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

MESSAGE = "card declined for order {n}"
FP = fingerprint(MESSAGE.format(n=1))


def start(n: int, *, price=10) -> ProcessInstance:
    variables = {} if price is None else {"price": price}  # no price: ${price * 2} fails, an incident without a job
    return services.start_instance("charge", variables=variables, business_key=f"ORD-{n}", actor="test")


def fail_billing(instances: list[ProcessInstance]) -> None:
    """Every instance's 'bill' job fails with no retries left: one open incident each."""
    jobs = services.activate_jobs("bill", worker="w", max_jobs=len(instances))
    assert len(jobs) == len(instances)
    for number, job in enumerate(jobs):
        services.fail_job(job.key, actor="w", worker="w", retries=0, error_message=MESSAGE.format(n=number))


@pytest.fixture
def deployed(db):
    services.deploy(XML, actor="admin")


def snapshot(instance: ProcessInstance) -> dict:
    """What a retry changes, without keys and times that differ between two instances."""
    incident = Incident.objects.get(instance=instance)
    job = Job.objects.get(instance=instance)
    since = AuditEvent.objects.filter(instance_key=instance.key, type="incident_created").get().id
    return {
        "incident": (incident.state, incident.resolved_by, incident.resolved_at is not None),
        "job": (job.state, job.retries, job.attempts, job.retry_at, job.dispatched_at, job.lock_owner),
        "instance": ProcessInstance.objects.filter(key=instance.key)
        .values_list("state", "incident_count", "suspended")
        .get(),
        "elements": sorted(
            ElementInstance.objects.filter(instance=instance).values_list("element_id", "state", "payload")
        ),
        "audit": list(
            AuditEvent.objects.filter(instance_key=instance.key, id__gt=since).values_list(
                "type", "element_id", "actor"
            )
        ),
    }


def test_the_set_based_retry_leaves_the_same_state_as_resolve_incident(deployed):
    one, two = start(1), start(2)
    fail_billing([one, two])

    services.resolve_incident(Incident.objects.get(instance=one).key, actor="operator")
    retried = retry_failed_job_incidents([two.key], actor="operator")

    assert retried == {two.key: 1}
    assert snapshot(two) == snapshot(one)
    assert snapshot(two)["incident"] == ("resolved", "operator", True)
    assert snapshot(two)["job"][:3] == ("activatable", 1, 0)
    assert snapshot(two)["instance"] == ("active", 0, False)


def test_a_retried_job_can_be_worked_again_and_the_instance_completes(deployed):
    instances = [start(n) for n in range(3)]
    fail_billing(instances)

    retry_failed_job_incidents([i.key for i in instances], actor="operator")
    jobs = services.activate_jobs("bill", worker="w2", max_jobs=10)
    for job in jobs:
        services.complete_job(job.key, actor="w2", worker="w2")

    assert len(jobs) == 3
    assert set(ProcessInstance.objects.filter(key__in=[i.key for i in instances]).values_list("state", flat=True)) == {
        "completed"
    }


def test_the_statement_count_does_not_grow_with_the_number_of_instances(deployed, django_assert_max_num_queries):
    instances = [start(n) for n in range(40)]
    fail_billing(instances)

    with django_assert_max_num_queries(12):
        retried = retry_failed_job_incidents([i.key for i in instances], actor="operator", fingerprint=FP)

    assert sum(retried.values()) == 40
    assert not Incident.objects.filter(state="open").exists()


def test_what_the_set_based_path_cannot_do_is_left_out(deployed):
    failed_job, suspended = start(1), start(2)
    fail_billing([failed_job, suspended])
    services.suspend_instance(suspended.key, actor="operator")
    expression = start(3, price=None)
    quiet = start(4)  # waits at 'bill', no incident

    retried = retry_failed_job_incidents([failed_job.key, suspended.key, expression.key, quiet.key], actor="operator")

    assert retried == {failed_job.key: 1, quiet.key: 0}
    assert Incident.objects.get(instance=suspended).state == "open"
    assert Incident.objects.get(instance=expression).state == "open"


def test_a_fingerprint_retries_only_that_group(deployed):
    matching, other = start(1), start(2)
    jobs = services.activate_jobs("bill", worker="w", max_jobs=2)
    services.fail_job(jobs[0].key, actor="w", worker="w", retries=0, error_message="card declined for order 7")
    services.fail_job(jobs[1].key, actor="w", worker="w", retries=0, error_message="gateway timeout")
    first = Job.objects.get(key=jobs[0].key).instance_id

    retried = retry_failed_job_incidents([matching.key, other.key], actor="operator", fingerprint=FP)

    assert retried[first] == 1
    assert Incident.objects.filter(state="open").values_list("message", flat=True).get() == "gateway timeout"


def test_a_bulk_retry_batch_mixes_both_paths_and_reports_each_item(deployed):
    fast = [start(n) for n in range(5)]
    suspended = start(10)
    fail_billing([*fast, suspended])
    services.suspend_instance(suspended.key, actor="operator")
    expression = start(11, price=None)

    batch = batches.create_batch(
        BatchOperation.Kind.RETRY_INCIDENTS, {"process": "charge"}, actor="operator", dispatch=False
    )
    result = batches.run_batch_chunk(batch.key, dispatch=False)

    assert result.state == "completed"
    items = dict(BatchItem.objects.filter(batch=batch).values_list("instance_key", "state"))
    assert {items[i.key] for i in fast} == {"succeeded"}
    assert items[expression.key] == "succeeded"  # re-ran the step (and failed again: a new incident)
    assert items[suspended.key] == "failed"
    assert "suspended" in BatchItem.objects.get(batch=batch, instance_key=suspended.key).message
    batch.refresh_from_db()
    assert (batch.succeeded, batch.failed, batch.skipped) == (6, 1, 0)
    assert not Incident.objects.filter(instance__in=fast, state="open").exists()


@pytest.mark.django_db(transaction=True)
def test_an_instance_held_by_another_command_is_skipped_not_waited_for():
    services.deploy(XML, actor="admin")
    held, free = start(1), start(2)
    fail_billing([held, free])
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                ProcessInstance.objects.select_for_update().get(key=held.key)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10)
        retried = retry_failed_job_incidents([held.key, free.key], actor="operator")
    finally:
        release.set()
        thread.join()

    assert retried == {free.key: 1}
    assert Incident.objects.get(instance=held).state == "open"
