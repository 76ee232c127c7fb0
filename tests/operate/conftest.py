"""Personas and a small world of process rows for the Operate views.

alice is an operator, bob is support (read only), carol is an approver (Tasklist
only), dave has no role at all.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from orchestration.models import (
    AuditEvent,
    Deployment,
    ElementInstance,
    Incident,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    UserTask,
    Variable,
)

XML = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="order" isExecutable="true">
    <startEvent id="start"/>
    <serviceTask id="charge" name="Charge <card>"/>
  </process>
</definitions>"""


def _user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="pw")
    for role in roles:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def alice(db) -> User:
    return _user("alice", "operator")


@pytest.fixture
def bob(db) -> User:
    return _user("bob", "support")


@pytest.fixture
def carol(db) -> User:
    return _user("carol", "approver")


@pytest.fixture
def dave(db) -> User:
    return _user("dave")


def _make_definition(process_id: str, version: int, *, xml: str = XML, name: str = "") -> ProcessDefinition:
    deployment = Deployment.objects.create(
        resource_name=f"{process_id}.bpmn", xml=xml, xml_hash=f"{process_id}-{version}"
    )
    return ProcessDefinition.objects.create(
        bpmn_process_id=process_id, version=version, name=name, deployment=deployment
    )


def _make_instance(
    definition: ProcessDefinition,
    business_key: str,
    *,
    state: str = ProcessInstance.State.ACTIVE,
    started_at: dt.datetime | None = None,
    **fields,
) -> ProcessInstance:
    started_at = started_at or timezone.now()
    ended_at = None if state == ProcessInstance.State.ACTIVE else started_at + dt.timedelta(minutes=5)
    return ProcessInstance.objects.create(
        definition=definition,
        bpmn_process_id=definition.bpmn_process_id,
        business_key=business_key,
        state=state,
        started_at=started_at,
        ended_at=ended_at,
        **fields,
    )


def _make_incident(instance: ProcessInstance, message: str, **fields) -> Incident:
    fields.setdefault("created_at", timezone.now())
    fields.setdefault("element_instance_key", instance.key)
    return Incident.objects.create(
        instance=instance,
        bpmn_process_id=instance.bpmn_process_id,
        element_id=fields.pop("element_id", "charge"),
        type=fields.pop("type", Incident.Type.JOB_NO_RETRIES),
        message=message,
        **fields,
    )


@pytest.fixture
def make_definition():
    return _make_definition


@pytest.fixture
def make_instance():
    return _make_instance


@pytest.fixture
def make_incident():
    return _make_incident


@pytest.fixture
def world(db) -> SimpleNamespace:
    """Two versions of "order", one "refund", and four instances in every state."""
    now = timezone.now()
    order_v1 = _make_definition("order", 1, name="Order fulfilment")
    order_v2 = _make_definition("order", 2, name="Order fulfilment")
    refund = _make_definition("refund", 1, name="Refund")

    waiting = _make_instance(order_v1, "ORD-1001", started_at=now - dt.timedelta(minutes=4))
    failing = _make_instance(order_v2, "ORD-1002", started_at=now - dt.timedelta(minutes=3))
    completed = _make_instance(
        order_v2, "ORD-2001", state=ProcessInstance.State.COMPLETED, started_at=now - dt.timedelta(minutes=2)
    )
    cancelled = _make_instance(
        refund, "REF-1", state=ProcessInstance.State.CANCELLED, started_at=now - dt.timedelta(minutes=1)
    )

    start = ElementInstance.objects.create(
        instance=waiting,
        element_id="start",
        element_type="startEvent",
        state=ElementInstance.State.COMPLETED,
        started_at=waiting.started_at,
        ended_at=waiting.started_at,
    )
    charge = ElementInstance.objects.create(
        instance=waiting,
        element_id="charge",
        element_type="serviceTask",
        scope_key=waiting.key,
        started_at=waiting.started_at + dt.timedelta(seconds=1),
    )
    approve = ElementInstance.objects.create(
        instance=waiting,
        element_id="approve",
        element_type="userTask",
        scope_key=waiting.key,
        started_at=waiting.started_at + dt.timedelta(seconds=2),
    )
    Variable.objects.create(
        instance=waiting, scope_key=waiting.key, name="orderId", value="ORD-1001", value_text="ORD-1001"
    )
    Variable.objects.create(
        instance=waiting, scope_key=waiting.key, name="customer", value={"name": "<script>x</script>"}
    )
    Variable.objects.create(instance=waiting, scope_key=charge.key, name="attempt", value=2, value_text="2")
    Variable.objects.create(
        instance=failing, scope_key=failing.key, name="orderId", value="ORD-1002", value_text="ORD-1002"
    )
    Job.objects.create(
        instance=waiting,
        definition=order_v1,
        bpmn_process_id="order",
        business_key="ORD-1001",
        element_instance_key=charge.key,
        element_id="charge",
        type="payment.charge",
        created_at=now,
    )
    Job.objects.create(
        instance=waiting,
        definition=order_v1,
        bpmn_process_id="order",
        element_instance_key=charge.key,
        element_id="charge",
        type="old.finished.job",
        state=Job.State.COMPLETED,
        created_at=now,
    )
    Timer.objects.create(
        definition=order_v1,
        instance=waiting,
        element_instance_key=charge.key,
        element_id="charge_timeout",
        due_at=now + dt.timedelta(hours=1),
        created_at=now,
    )
    MessageSubscription.objects.create(
        definition=order_v1,
        instance=waiting,
        element_instance_key=charge.key,
        element_id="payment_received",
        message_name="PaymentReceived",
        correlation_key="ORD-1001",
        created_at=now,
    )
    UserTask.objects.create(
        instance=waiting,
        bpmn_process_id="order",
        business_key="ORD-1001",
        element_instance_key=approve.key,
        element_id="approve",
        name="Approve order",
        candidate_groups=["approver"],
        created_at=now,
    )
    AuditEvent.objects.create(
        instance_key=waiting.key, type="instance_started", actor="api", created_at=waiting.started_at
    )
    AuditEvent.objects.create(
        instance_key=waiting.key,
        type="element_activated",
        element_id="charge",
        element_instance_key=charge.key,
        data={"note": "first try"},
        created_at=waiting.started_at,
    )
    AuditEvent.objects.create(instance_key=failing.key, type="instance_started", created_at=now)

    incident = _make_incident(failing, "HTTP 502 from payment gateway after 30 ms", details="Traceback: boom")
    _make_incident(
        failing,
        "HTTP 502 from payment gateway after 31 ms",
        state=Incident.State.RESOLVED,
        resolved_at=now,
        resolved_by="alice",
    )
    return SimpleNamespace(
        order_v1=order_v1,
        order_v2=order_v2,
        refund=refund,
        waiting=waiting,
        failing=failing,
        completed=completed,
        cancelled=cancelled,
        start=start,
        charge=charge,
        incident=incident,
    )
