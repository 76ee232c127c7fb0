"""Personas and helpers for the Camunda 7 layer's API tests.

ada is an admin, wendy is in the worker group (a service account), carol is an
approver, bob is support (read only), dave has no role. Every client sends HTTP
Basic credentials, as Camunda clients do.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from orchestration import services
from orchestration.models import Job, ProcessDefinition, ProcessInstance

BPMN = (Path(__file__).parent.parent / "compat" / "order_c7.bpmn").read_bytes()
PASSWORD = "pw-123456"


def _user(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def basic_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
        client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


@pytest.fixture
def ada(db):
    return basic_client(_user("ada", "admin"))


@pytest.fixture
def wendy(db):
    return basic_client(_user("wendy", "worker"))


@pytest.fixture
def carol(db):
    return basic_client(_user("carol", "approver"))


@pytest.fixture
def bob(db):
    return basic_client(_user("bob", "support"))


@pytest.fixture
def dave(db):
    return basic_client(_user("dave"))


@pytest.fixture
def anonymous(db):
    return basic_client(None)


@pytest.fixture
def definition(db) -> ProcessDefinition:
    return services.deploy(BPMN, actor="test", resource_name="order_c7.bpmn").definitions[0]


@pytest.fixture
def start(definition):
    def start(mode: str = "ok", business_key: str = "", **variables) -> ProcessInstance:
        return services.start_instance(
            "order-c7",
            actor="test",
            business_key=business_key or f"bk-{mode}",
            variables={"mode": mode, "orderId": f"O-{mode}", **variables},
        )

    return start


def open_job(instance: ProcessInstance, element_id: str = "reserve") -> Job:
    return Job.objects.get(instance=instance, element_id=element_id, state__in=Job.OPEN_STATES)


def fetch(client, topic: str = "reserve-stock", worker: str = "w1", **extra):
    body = {"workerId": worker, "maxTasks": 10, "topics": [{"topicName": topic, "lockDuration": 10000}], **extra}
    return client.post("/engine-rest/external-task/fetchAndLock", body, format="json")


def complete_reserve(client, instance: ProcessInstance, worker: str = "w1") -> None:
    fetch(client, worker=worker)
    job = open_job(instance)
    assert (
        client.post(f"/engine-rest/external-task/{job.key}/complete", {"workerId": worker}, format="json").status_code
        == 204
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Django's real hasher costs ~0.4 s per user; these tests are not about hashing."""
    from orchestration.api.camunda7 import base

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    base._credentials.clear()
    yield
    base._credentials.clear()
