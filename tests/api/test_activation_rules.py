"""Job activation (/api/v1 jobs/activate, /engine-rest fetchAndLock) honours per-process rules.

Two processes, api-one and api-two, have a service task of the same type (api.work), so
one activation request could hand out jobs of both. wade is a worker whose group a rule
denies "work_jobs" on api-one; vera is a worker whose group a rule denies "view" on
api-one; walt is a worker without rules. wade and vera are handed api-two's jobs only;
api-one's jobs stay activatable and walt gets them.
"""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from orchestration import services
from orchestration.models import Job
from tests.integration.helpers import sequence_process, service_task

from .conftest import ONE_TASK, deploy, make_user, start
from .test_process_rules import with_rule

TWO = sequence_process("api-two", ("work", service_task("work", "api.work", retries=2)))


@pytest.fixture
def both(db):
    deploy(ONE_TASK, "one.bpmn")
    deploy(TWO, "two.bpmn")
    one = [start("api-one", f"ONE-{n}") for n in range(2)]
    two = [start("api-two", f"TWO-{n}") for n in range(2)]
    return one, two


@pytest.fixture
def wade(db):
    return with_rule(make_user("wade", "worker"), "api-one", "work_jobs")


@pytest.fixture
def vera(db):
    return with_rule(make_user("vera", "worker"), "api-one", "view")


def activate(api, user, worker: str) -> list[dict]:
    body = {"type": "api.work", "worker": worker, "maxJobs": 10}
    response = api(user).post("/api/v1/jobs/activate", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()["jobs"]


def activatable(process_id: str) -> int:
    return Job.objects.filter(bpmn_process_id=process_id, state=Job.State.ACTIVATABLE).count()


@pytest.mark.parametrize("persona", ["wade", "vera"])
def test_a_worker_denied_on_a_process_activates_only_the_other_process_jobs(api, both, walt, persona, request):
    denied = request.getfixturevalue(persona)
    jobs = activate(api, denied, "w-denied")
    assert sorted(j["processId"] for j in jobs) == ["api-two", "api-two"]
    assert activatable("api-one") == 2
    assert activatable("api-two") == 0
    # a second request finds nothing for this worker, though api-one's jobs wait
    assert activate(api, denied, "w-denied") == []

    others = activate(api, walt, "w-other")
    assert sorted(j["processId"] for j in others) == ["api-one", "api-one"]
    assert activatable("api-one") == 0


def test_a_worker_without_rules_activates_jobs_of_both_processes(api, both, walt):
    jobs = activate(api, walt, "w1")
    assert sorted(j["processId"] for j in jobs) == ["api-one", "api-one", "api-two", "api-two"]


def test_a_long_poll_of_a_denied_worker_does_not_take_the_denied_jobs(api, both, wade):
    for job in Job.objects.filter(bpmn_process_id="api-two"):
        services.activate_jobs(job.type, worker="someone-else", bpmn_process_ids=["api-two"])
    body = {"type": "api.work", "worker": "w-denied", "maxJobs": 10, "timeoutMs": 300}
    response = api(wade).post("/api/v1/jobs/activate", body, format="json")
    assert response.status_code == 200
    assert response.json()["jobs"] == []
    assert activatable("api-one") == 2


def test_the_activation_service_skips_excluded_processes(both):
    jobs = services.activate_jobs("api.work", worker="w", exclude_process_ids={"api-two"})
    assert {j.bpmn_process_id for j in jobs} == {"api-one"}
    assert activatable("api-two") == 2


# -- Camunda 7 fetchAndLock ----------------------------------------------------------------


def basic(user) -> APIClient:
    user.set_password("pw-123456")
    user.save()
    client = APIClient()
    token = base64.b64encode(f"{user.username}:pw-123456".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {token}")
    return client


def fetch(client, worker: str) -> list[dict]:
    body = {"workerId": worker, "maxTasks": 10, "topics": [{"topicName": "api.work", "lockDuration": 10000}]}
    response = client.post("/engine-rest/external-task/fetchAndLock", body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.parametrize("persona", ["wade", "vera"])
def test_fetch_and_lock_of_a_denied_worker_hands_out_only_the_other_process_tasks(both, walt, persona, request):
    denied = basic(request.getfixturevalue(persona))
    tasks = fetch(denied, "w-denied")
    assert sorted(t["processDefinitionKey"] for t in tasks) == ["api-two", "api-two"]
    assert activatable("api-one") == 2
    assert fetch(denied, "w-denied") == []

    others = fetch(basic(walt), "w-other")
    assert sorted(t["processDefinitionKey"] for t in others) == ["api-one", "api-one"]


def test_the_fetch_service_skips_excluded_processes(both):
    from orchestration.services.external_tasks import TopicFilter

    jobs = services.fetch_and_lock(
        "w", [TopicFilter(topic="api.work", lock_seconds=10)], max_tasks=10, exclude_process_ids={"api-one"}
    )
    assert {j.bpmn_process_id for j in jobs} == {"api-two"}
    assert activatable("api-one") == 2
