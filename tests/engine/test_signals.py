"""Signals: intermediate catch, start events, throw (intermediate and end), broadcast to every subscriber."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.exceptions import InvalidInput
from orchestration.models import AuditEvent, ProcessInstance, SignalSubscription

from .harness import ReloadedDriver, bpmn


def test_a_signal_catch_event_subscribes_and_continues_on_broadcast(driver):
    driver.deploy(bpmn("signals"))
    driver.start("signal-catch")
    assert [(s.element_id, s.detail) for s in driver.signal_subscriptions()] == [("wait-go", "go")]

    assert driver.broadcast("go", {"batch": 3}) == 1

    assert [j.element_id for j in driver.jobs()] == ["work"]
    assert driver.signal_subscriptions() == []
    assert driver.variables() == {"batch": 3}
    assert "signal_received" in driver.audit_types()


def test_a_signal_nobody_waits_for_reaches_nothing(driver):
    driver.deploy(bpmn("signals"))
    driver.start("signal-catch")

    assert driver.broadcast("stop") == 0

    assert [s.element_id for s in driver.signal_subscriptions()] == ["wait-go"]


def test_broadcast_reaches_every_waiting_instance(reloaded):
    reloaded.deploy(bpmn("signals"))
    others = [ReloadedDriver() for _ in range(2)]
    reloaded.start("signal-catch")
    for other in others:
        other.start("signal-catch")

    assert services.broadcast_signal("go", actor="test") == 3

    for each in [reloaded, *others]:
        assert [j.element_id for j in each.jobs()] == ["work"]
    assert not SignalSubscription.objects.filter(instance__isnull=False, state="open").exists()
    assert AuditEvent.objects.filter(type="signal_broadcast", data__signal="go").count() == 1


def test_deploy_subscribes_signal_start_events_and_a_broadcast_starts_an_instance(reloaded):
    reloaded.deploy(bpmn("signals"))
    assert SignalSubscription.objects.filter(instance__isnull=True, signal_name="launch", state="open").count() == 1

    assert services.broadcast_signal("launch", variables={"wave": 1}, actor="test") == 1
    assert services.broadcast_signal("launch", variables={"wave": 2}, actor="test") == 1

    started = ProcessInstance.objects.filter(bpmn_process_id="signal-start")
    assert started.count() == 2
    assert SignalSubscription.objects.filter(instance__isnull=True, state="open").count() == 1


def test_a_new_version_retires_the_old_signal_start_subscription(reloaded):
    reloaded.deploy(bpmn("signals"))
    reloaded.deploy(
        bpmn("signals").replace('id="l-end"', 'id="l-end-v2"').replace('targetRef="l-end"', 'targetRef="l-end-v2"')
    )

    open_starts = SignalSubscription.objects.filter(instance__isnull=True, signal_name="launch", state="open")
    assert open_starts.count() == 1
    assert open_starts.get().definition.version == 2


def test_a_signal_thrown_inside_an_instance_reaches_other_instances_after_commit(
    reloaded, django_capture_on_commit_callbacks
):
    reloaded.deploy(bpmn("signals"))
    waiting = ReloadedDriver()
    waiting.start("signal-catch")
    reloaded.start("signal-throw", {"batch": 42})
    (job,) = reloaded.jobs()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        reloaded.complete_job(job.key)

    assert len(callbacks) >= 1
    assert reloaded.state == "completed"
    assert reloaded.audit_elements("signal_thrown") == ["send-go", "send-launch"]
    # the intermediate throw reached the waiting instance with its input-mapped variables ...
    assert [j.element_id for j in waiting.jobs()] == ["work"]
    assert waiting.variables() == {"batch": 42}
    # ... and the end event started an instance through the signal start event
    assert ProcessInstance.objects.filter(bpmn_process_id="signal-start").count() == 1


def test_a_signal_thrown_inside_an_instance_is_not_broadcast_before_commit(reloaded):
    reloaded.deploy(bpmn("signals"))
    waiting = ReloadedDriver()
    waiting.start("signal-catch")
    reloaded.start("signal-throw", {"batch": 1})
    (job,) = reloaded.jobs()

    reloaded.complete_job(job.key)  # the test transaction never commits

    assert [s.element_id for s in waiting.signal_subscriptions()] == ["wait-go"]


def test_in_memory_a_thrown_signal_reaches_the_same_instance():
    from orchestration.engine.memory import MemoryInstance
    from orchestration.services.deployments import validate_for_deploy

    xml = bpmn("signals")
    definitions, problems = validate_for_deploy(xml)
    assert problems == []
    instance = MemoryInstance.start(definitions.process("signal-throw"), {"batch": 5})
    (job_key,) = instance.jobs

    instance.complete_job(job_key)

    assert instance.state == "completed"
    assert [a.element_id for a in instance.history if a.type == "signal_thrown"] == ["send-go", "send-launch"]


def test_broadcasting_needs_a_name(db):
    with pytest.raises(InvalidInput):
        services.broadcast_signal("", actor="test")
