"""Cancelling an instance: every token terminated, every wait closed, audited, then refused."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.exceptions import InvalidState, NoSubscription
from orchestration.models import Incident, Job, MessageSubscription, ProcessInstance, Timer, UserTask

from .harness import bpmn


def test_cancel_terminates_every_token_and_closes_every_wait(driver):
    driver.deploy(bpmn("cancel_everything"))
    driver.start("cancel-everything", {"ref": "R-1"})
    assert sorted(driver.active_elements()) == ["approve", "sub", "wait-a-day", "wait-ok", "work"]

    driver.cancel()

    assert driver.state == "cancelled"
    assert driver.active_elements() == []
    assert driver.jobs() == [] and driver.user_tasks() == [] and driver.timers() == [] and driver.subscriptions() == []
    assert sorted(driver.audit_elements("element_terminated")) == ["approve", "sub", "wait-a-day", "wait-ok", "work"]
    assert driver.audit_types()[-1] == "instance_cancelled"


def test_cancel_closes_the_rows_in_the_database(reloaded):
    reloaded.deploy(bpmn("cancel_everything"))
    reloaded.start("cancel-everything", {"ref": "R-1"})

    reloaded.cancel()

    assert list(Job.objects.values_list("state", flat=True)) == ["cancelled"]
    assert list(UserTask.objects.values_list("state", flat=True)) == ["cancelled"]
    assert list(Timer.objects.values_list("state", flat=True)) == ["cancelled"]
    assert list(MessageSubscription.objects.values_list("state", flat=True)) == ["closed"]
    instance = ProcessInstance.objects.get(key=reloaded.instance_key)
    assert instance.ended_at is not None


def test_cancel_resolves_open_incidents_and_resets_the_incident_count(reloaded):
    reloaded.deploy(bpmn("cancel_everything"))
    reloaded.start("cancel-everything", {"ref": "R-1"})
    reloaded.fail_job(reloaded.jobs()[0].key, retries=0)
    assert ProcessInstance.objects.get(key=reloaded.instance_key).incident_count == 1

    reloaded.cancel()

    assert ProcessInstance.objects.get(key=reloaded.instance_key).incident_count == 0
    assert list(Incident.objects.values_list("state", flat=True)) == ["resolved"]


@pytest.mark.parametrize(
    "command",
    [
        lambda d: services.cancel_instance(d.instance_key, actor="test"),
        lambda d: services.set_variables(d.instance_key, {"x": 1}, actor="test"),
        lambda d: services.complete_job(d.jobs_before[0], {}, actor="test"),
        lambda d: services.fail_job(d.jobs_before[0], retries=0, actor="test"),
        lambda d: services.throw_job_error(d.jobs_before[0], "E", actor="test"),
        lambda d: services.complete_user_task(d.tasks_before[0], actor="test"),
    ],
    ids=["cancel", "set_variables", "complete_job", "fail_job", "throw_job_error", "complete_user_task"],
)
def test_commands_on_a_cancelled_instance_are_refused(reloaded, command):
    reloaded.deploy(bpmn("cancel_everything"))
    reloaded.start("cancel-everything", {"ref": "R-1"})
    reloaded.jobs_before = [j.key for j in reloaded.jobs()]
    reloaded.tasks_before = [t.key for t in reloaded.user_tasks()]
    reloaded.cancel()
    audit_before = reloaded.audit_types()

    with pytest.raises(InvalidState):
        command(reloaded)

    assert reloaded.state == "cancelled"
    assert reloaded.audit_types() == audit_before


def test_a_message_for_a_cancelled_instance_finds_no_subscription(reloaded):
    reloaded.deploy(bpmn("cancel_everything"))
    reloaded.start("cancel-everything", {"ref": "R-1"})
    reloaded.cancel()

    with pytest.raises(NoSubscription):
        services.correlate_message("ok", correlation_key="R-1", actor="test")
