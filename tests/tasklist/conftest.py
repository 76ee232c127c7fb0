"""Personas and user tasks for the Tasklist views.

carol is an approver (in the "approver" group and a "finance" group), erin is an
approver with no extra group, alice is an operator (no Tasklist), dave has no
role, and root is an admin who sees every task.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from orchestration.models import Deployment, ProcessDefinition, ProcessInstance, UserTask, Variable


def _user(username: str, *groups: str) -> User:
    user = User.objects.create_user(username=username, password="pw")
    for name in groups:
        group, _ = Group.objects.get_or_create(name=name)
        user.groups.add(group)
    return user


@pytest.fixture
def alice(db) -> User:
    return _user("alice", "operator")


@pytest.fixture
def bob(db) -> User:
    return _user("bob", "support")


@pytest.fixture
def carol(db) -> User:
    return _user("carol", "approver", "finance")


@pytest.fixture
def erin(db) -> User:
    return _user("erin", "approver")


@pytest.fixture
def dave(db) -> User:
    return _user("dave")


@pytest.fixture
def root(db) -> User:
    return _user("root", "admin")


def _task(instance: ProcessInstance, name: str, **fields) -> UserTask:
    fields.setdefault("created_at", timezone.now())
    fields.setdefault("element_instance_key", uuid.uuid4())
    return UserTask.objects.create(
        instance=instance,
        bpmn_process_id=instance.bpmn_process_id,
        business_key=instance.business_key,
        element_id=name.lower().replace(" ", "_"),
        name=name,
        **fields,
    )


@pytest.fixture
def make_task():
    return _task


@pytest.fixture
def tasks(db) -> SimpleNamespace:
    deployment = Deployment.objects.create(resource_name="order.bpmn", xml="<definitions/>", xml_hash="x")
    definition = ProcessDefinition.objects.create(bpmn_process_id="order", version=3, deployment=deployment)
    instance = ProcessInstance.objects.create(
        definition=definition, bpmn_process_id="order", business_key="ORD-7", started_at=timezone.now()
    )
    Variable.objects.create(instance=instance, scope_key=instance.key, name="amount", value=120, value_text="120")
    Variable.objects.create(
        instance=instance, scope_key=instance.key, name="note", value="<b>rush</b>", value_text="<b>rush</b>"
    )
    return SimpleNamespace(
        instance=instance,
        assigned=_task(instance, "Assigned to carol", assignee="carol"),
        offered=_task(instance, "Offered to carol", candidate_users=["carol", "zoe"]),
        lookalike=_task(instance, "Offered to carolyn", candidate_users=["carolyn"]),
        to_group=_task(instance, "For finance", candidate_groups=["finance"]),
        to_other_group=_task(instance, "For legal", candidate_groups=["legal"]),
        someone_elses=_task(instance, "Assigned to zoe", assignee="zoe"),
        done=_task(instance, "Done by carol", assignee="carol", state=UserTask.State.COMPLETED),
    )


# -- a deployed process (real engine rows) -------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def deploy_fixture(name: str) -> None:
    from orchestration import services

    services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="test", resource_name=f"{name}.bpmn")


def start_order(business_key: str = "ORD-1", **variables) -> UserTask:
    """Start order-approval; returns its open "Approve order" task."""
    from orchestration import services

    variables.setdefault("customer", "ACME")
    instance = services.start_instance("order-approval", variables=variables, business_key=business_key, actor="test")
    return UserTask.objects.get(instance=instance, element_id="approve")


@pytest.fixture
def order(db) -> SimpleNamespace:
    """order-approval deployed and one instance waiting at "Approve order" (group approver)."""
    deploy_fixture("order_approval")
    task = start_order("ORD-1", amount=250, card="4111 1111 1111 1111")
    return SimpleNamespace(task=task, instance=task.instance, start=start_order)


@pytest.fixture
def frank(db) -> User:
    """An approver who leads the team (the "lead" group)."""
    return _user("frank", "approver", "lead")


@pytest.fixture
def grace(db) -> User:
    """An approver in the shipping group."""
    return _user("grace", "approver", "shipping")
