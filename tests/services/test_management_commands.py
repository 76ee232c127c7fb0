"""The CLI commands go through the services: deploy, start, correlate, history, demo."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from orchestration.models import AuditEvent, ProcessInstance

DEMO = Path(__file__).resolve().parents[2] / "orchestration" / "demo" / "processes"


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_deploy_start_correlate_and_history_drive_an_instance_from_the_command_line(tmp_path):
    assert "deployed" in run("deploy", str(DEMO / "order-process.bpmn"))
    assert "unchanged" in run("deploy", str(DEMO / "order-process.bpmn"))
    out = run("start", "order-process", "--business-key", "ORD-1", "--var", 'orderId="ORD-1"', "--var", "total=10")
    instance = ProcessInstance.objects.get(business_key="ORD-1")
    assert str(instance.key) in out
    assert instance.variables.get(name="total").value == 10
    # jobs have handlers but no worker runs in this test: drive them by hand
    from orchestration.tasks import execute_job

    for _ in range(2):
        for job in instance.jobs.filter(state="activatable"):
            execute_job(job.key, worker="test")
    out = run("correlate", "shipment-dispatched", "--correlation-key", "ORD-1", "--var", 'carrier="DHL"')
    assert "correlated to instance" in out
    history = run("history", "ORD-1")
    assert "message_correlated" in history and "user_task_created" in history
    assert history.index("instance_started") < history.index("message_correlated")


@pytest.mark.django_db
def test_correlate_without_a_waiting_instance_says_no_subscription():
    with pytest.raises(CommandError, match="no process instance or start event is waiting"):
        run("correlate", "nobody-waits", "--correlation-key", "X")


@pytest.mark.django_db
def test_publish_with_ttl_buffers_the_message_when_nobody_waits():
    assert "buffered until" in run("correlate", "later", "--correlation-key", "K", "--ttl", "60")


@pytest.mark.django_db
def test_deploy_of_a_broken_file_lists_problems_and_deploys_nothing(tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x/>')
    with pytest.raises(CommandError, match="refused"):
        run("deploy", str(bad))
    assert not AuditEvent.objects.filter(type="process_deployed").exists()


@pytest.mark.django_db
def test_start_with_a_malformed_variable_is_a_clear_error():
    with pytest.raises(CommandError, match="expected name=value"):
        run("start", "order-process", "--var", "novalue")


@pytest.mark.django_db
def test_demo_is_idempotent_and_creates_instances_in_every_state():
    from django.contrib.auth.models import Group

    for name in ("support", "operator", "approver", "admin"):
        Group.objects.get_or_create(name=name)
    run("demo")
    first = ProcessInstance.objects.count()
    run("demo")
    assert ProcessInstance.objects.count() == first
    states = {
        "message": ProcessInstance.objects.get(business_key="ORD-4523").subscriptions.filter(state="open").exists(),
        "user task": ProcessInstance.objects.get(business_key="ORD-4524").user_tasks.filter(state="created").exists(),
        "incident": ProcessInstance.objects.get(business_key="ORD-4525").incidents.filter(state="open").exists(),
        "completed": ProcessInstance.objects.get(business_key="ORD-4526").state == "completed",
        "timer": ProcessInstance.objects.get(business_key="INV-2001").timers.filter(state="scheduled").exists(),
    }
    assert all(states.values()), states


@pytest.mark.django_db
def test_demo_has_two_versions_a_call_activity_and_a_shared_saved_view():
    from django.contrib.auth.models import Group, User

    from orchestration.models import ProcessDefinition, SavedView

    for name in ("support", "operator", "approver", "admin"):
        Group.objects.get_or_create(name=name)
    run("demo")
    run("demo")  # a second run deploys no third version
    versions = sorted(
        ProcessDefinition.objects.filter(bpmn_process_id="order-process").values_list("version", flat=True)
    )
    assert versions == [1, 2]
    on_v1 = ProcessInstance.objects.filter(bpmn_process_id="order-process", definition__version=1)
    assert {"ORD-4523", "ORD-4524"} <= set(on_v1.values_list("business_key", flat=True))
    assert ProcessInstance.objects.get(business_key="ORD-4527").definition.version == 2

    parent = ProcessInstance.objects.get(business_key="RET-301")
    child = ProcessInstance.objects.get(parent_id=parent.key)
    assert (parent.state, child.bpmn_process_id, child.state) == ("active", "refund-payment", "active")
    assert child.user_tasks.filter(state="created").exists()

    operations = Group.objects.get(name="operations")
    members = set(User.objects.filter(groups=operations).values_list("username", flat=True))
    assert members == {"support", "operator"}
    (view,) = SavedView.objects.filter(shared_with_group=operations)
    assert (view.owner.username, view.query) == ("operator", "state=incident")
