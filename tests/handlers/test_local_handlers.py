"""Local handlers run inside the command that reaches them (no broker round trip)."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.handlers import BpmnErrorRaised, handler, unregister
from orchestration.models import AuditEvent, Incident, Job, ProcessInstance
from orchestration.tasks import execute_job

CALLS: list[str] = []


def _process(types: list[str]) -> str:
    tasks = "".join(
        f'<bpmn:serviceTask id="t{i}"><bpmn:extensionElements><zeebe:taskDefinition type="{t}" retries="2"/>'
        f"</bpmn:extensionElements></bpmn:serviceTask>"
        for i, t in enumerate(types)
    )
    ids = ["s"] + [f"t{i}" for i in range(len(types))] + ["e"]
    flows = "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(zip(ids, ids[1:], strict=False))
    )
    return (
        '<?xml version="1.0"?><bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d"><bpmn:process id="local" isExecutable="true">'
        f'<bpmn:startEvent id="s"/>{tasks}<bpmn:endEvent id="e"/>{flows}</bpmn:process></bpmn:definitions>'
    )


@pytest.fixture
def local_types():
    CALLS.clear()

    @handler("t.local.ok", local=True)
    def ok(job):
        CALLS.append(job.element_id)
        return {job.element_id: job.variables.get("n", 0) + 1}

    @handler("t.local.boom", local=True)
    def boom(job):
        CALLS.append(job.element_id)
        raise RuntimeError("boom")

    @handler("t.local.error", local=True)
    def error(job):
        raise BpmnErrorRaised("NOPE", "not today")

    yield
    for name in ("t.local.ok", "t.local.boom", "t.local.error"):
        unregister(name)


def _start(types: list[str]) -> ProcessInstance:
    services.deploy(_process(types), actor="test")
    return services.start_instance("local", variables={"n": 1}, actor="test", dispatch=False)


@pytest.mark.django_db
def test_a_chain_of_local_jobs_runs_in_the_command_of_the_first(local_types):
    instance = _start(["t.local.ok"] * 3)
    first = Job.objects.get(instance=instance, state="activatable")
    assert execute_job(first.key, worker="w1") == []
    instance.refresh_from_db()
    assert instance.state == "completed"
    assert CALLS == ["t0", "t1", "t2"]
    assert set(Job.objects.filter(instance=instance).values_list("state", flat=True)) == {"completed"}
    local = AuditEvent.objects.filter(instance_key=instance.key, type="job_completed", data__local=True)
    assert local.count() == 3


@pytest.mark.django_db
def test_a_failing_local_handler_rolls_back_and_counts_as_a_failed_attempt(local_types):
    instance = _start(["t.local.boom"])
    job = Job.objects.get(instance=instance)
    execute_job(job.key, worker="w1")
    job.refresh_from_db()
    assert (job.state, job.retries) == ("activatable", 1)
    assert "RuntimeError: boom" in job.error_message
    assert not AuditEvent.objects.filter(instance_key=instance.key, type="job_completed").exists()


@pytest.mark.django_db
def test_a_local_failure_in_the_middle_of_a_chain_leaves_that_job_to_the_normal_path(local_types):
    instance = _start(["t.local.ok", "t.local.boom", "t.local.ok"])
    first = Job.objects.get(instance=instance, state="activatable")
    follow_ups = execute_job(first.key, worker="w1")
    boom = Job.objects.get(instance=instance, element_id="t1")
    assert follow_ups == [boom.key] and boom.state == "activatable"
    Job.objects.filter(key=boom.key).update(retries=1)
    execute_job(boom.key, worker="w1")
    assert Incident.objects.filter(instance=instance, state="open", element_id="t1").exists()


@pytest.mark.django_db
def test_a_bpmn_error_from_a_local_handler_is_thrown_like_any_other(local_types):
    instance = _start(["t.local.error"])
    execute_job(Job.objects.get(instance=instance).key, worker="w1")
    incident = Incident.objects.get(instance=instance, state="open")
    assert incident.type == "unhandled_error" and "NOPE" in incident.message
