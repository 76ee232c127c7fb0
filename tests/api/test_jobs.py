"""Jobs for external workers: activate (long polling), complete, fail, BPMN error, extend lock."""

from __future__ import annotations

import threading
import time

import pytest

from orchestration.models import Incident, Job, ProcessInstance

from .conftest import assert_error, start, token_for


def activate(client, job_type: str, **extra):
    body = {"type": job_type, "worker": "w1", **extra}
    return client.post("/api/v1/jobs/activate", body, format="json")


def test_activation_locks_jobs_and_returns_their_variables(api, walt, processes):
    instance = start("api-three", "ORD-1", orderId="ORD-1")
    response = activate(api(walt), "api.a", lockSeconds=60)
    assert response.status_code == 200, response.content
    (job,) = response.json()["jobs"]
    assert job["processInstanceKey"] == str(instance.key)
    assert job["variables"] == {"orderId": "ORD-1"}
    assert job["businessKey"] == "ORD-1" and job["worker"] == "w1" and job["attempt"] == 1
    assert Job.objects.get(key=job["key"]).state == "locked"
    assert activate(api(walt), "api.a").json() == {"jobs": []}


def test_max_jobs_limits_one_activation(api, walt, processes):
    for _ in range(3):
        start("api-one")
    assert len(activate(api(walt), "api.work", maxJobs=2).json()["jobs"]) == 2


def test_without_timeout_an_activation_answers_at_once(api, walt, processes):
    started = time.monotonic()
    assert activate(api(walt), "api.none").json() == {"jobs": []}
    assert time.monotonic() - started < 1


def test_a_long_poll_answers_empty_after_its_timeout(api, walt, processes):
    started = time.monotonic()
    assert activate(api(walt), "api.none", timeoutMs=600).json() == {"jobs": []}
    assert 0.55 <= time.monotonic() - started < 3


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_answers_as_soon_as_a_job_appears(api, walt, processes):
    from django.db import connections

    def create_job_later():
        time.sleep(0.3)
        try:
            start("api-one", "LATE")
        finally:
            connections.close_all()

    creator = threading.Thread(target=create_job_later)
    started = time.monotonic()
    creator.start()
    response = activate(api(walt), "api.work", timeoutMs=10_000)
    elapsed = time.monotonic() - started
    creator.join()
    assert [j["businessKey"] for j in response.json()["jobs"]] == ["LATE"]
    assert 0.3 <= elapsed < 2.0, elapsed


def test_activation_validates_its_input(api, walt, db):
    client = api(walt)
    error = assert_error(activate(client, "t", maxJobs=0), 400, "invalid_input")
    assert "maxJobs" in error["fields"]
    assert (
        "type"
        in assert_error(client.post("/api/v1/jobs/activate", {"worker": "w"}, format="json"), 400, "invalid_input")[
            "fields"
        ]
    )
    assert_error(client.post("/api/v1/jobs/activate", "[", content_type="application/json"), 400, "invalid_input")
    assert_error(client.post("/api/v1/jobs/activate", [], format="json"), 400, "invalid_input")
    assert_error(activate(client, "t", timeoutMs=10**9), 400, "invalid_input")
    assert_error(client.get("/api/v1/jobs/activate"), 405, "method_not_allowed")


def test_activation_needs_a_worker_operator_or_admin(api, alice, bob, carol, dave, db):
    for user in (bob, carol, dave):
        assert_error(activate(api(user), "t"), 403, "permission_denied")
    assert activate(api(alice), "t").status_code == 200
    response = activate(api(), "t")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_activation_accepts_basic_auth_and_refuses_a_bad_token(walt, client):
    import base64

    basic = "Basic " + base64.b64encode(b"walt:pw").decode()
    ok = client.post(
        "/api/v1/jobs/activate", {"type": "t", "worker": "w"}, content_type="application/json", HTTP_AUTHORIZATION=basic
    )
    assert ok.status_code == 200
    bad = client.post(
        "/api/v1/jobs/activate",
        {"type": "t", "worker": "w"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Token nope",
    )
    assert_error(bad, 401, "authentication_failed")
    assert token_for(walt)


def test_completing_moves_the_instance_on_and_twice_is_409(api, walt, processes):
    instance = start("api-three")
    (job,) = activate(api(walt), "api.a").json()["jobs"]
    response = api(walt).post(
        f"/api/v1/jobs/{job['key']}/complete", {"worker": "w1", "variables": {"a": 1}}, format="json"
    )
    assert response.status_code == 204
    assert Job.objects.get(instance=instance, state="activatable").element_id == "b"
    assert_error(api(walt).post(f"/api/v1/jobs/{job['key']}/complete", {}, format="json"), 409, "invalid_state")
    assert_error(
        api(walt).post("/api/v1/jobs/00000000-0000-0000-0000-000000000000/complete", {}, format="json"),
        404,
        "not_found",
    )


def test_completing_a_job_another_worker_holds_is_409(api, walt, processes):
    start("api-one")
    (job,) = activate(api(walt), "api.work").json()["jobs"]
    assert_error(
        api(walt).post(f"/api/v1/jobs/{job['key']}/complete", {"worker": "w2"}, format="json"), 409, "invalid_state"
    )


def test_failing_with_retries_left_backs_off_then_at_zero_raises_an_incident(api, walt, processes):
    instance = start("api-one")
    (job,) = activate(api(walt), "api.work").json()["jobs"]
    body = {"errorMessage": "boom", "retryBackoffSeconds": 30, "worker": "w1"}
    first = api(walt).post(f"/api/v1/jobs/{job['key']}/fail", body, format="json").json()
    assert first["state"] == "activatable" and first["retries"] == 1 and first["retryAt"]
    assert activate(api(walt), "api.work").json() == {"jobs": []}  # backing off
    last = (
        api(walt).post(f"/api/v1/jobs/{job['key']}/fail", {"retries": 0, "errorMessage": "boom"}, format="json").json()
    )
    assert last["state"] == "failed"
    assert Incident.objects.get(instance=instance).message == "boom"
    assert_error(
        api(walt).post(f"/api/v1/jobs/{job['key']}/fail", {"retries": -1}, format="json"), 400, "invalid_input"
    )


def test_a_bpmn_error_goes_to_the_boundary_event(api, walt, processes):
    instance = start("api-charge")
    (job,) = activate(api(walt), "api.charge").json()["jobs"]
    response = api(walt).post(
        f"/api/v1/jobs/{job['key']}/error", {"code": "DECLINED", "message": "card declined"}, format="json"
    )
    assert response.status_code == 204
    instance.refresh_from_db()
    assert instance.state == ProcessInstance.State.COMPLETED
    assert_error(
        api(walt).post(f"/api/v1/jobs/{job['key']}/error", {"message": "no code"}, format="json"), 400, "invalid_input"
    )


def test_an_uncaught_bpmn_error_becomes_an_incident(api, walt, processes):
    instance = start("api-charge")
    (job,) = activate(api(walt), "api.charge").json()["jobs"]
    api(walt).post(f"/api/v1/jobs/{job['key']}/error", {"code": "OTHER"}, format="json")
    assert Incident.objects.filter(instance=instance, state="open").exists()


def test_extending_a_lock(api, walt, processes):
    start("api-one")
    (job,) = activate(api(walt), "api.work", lockSeconds=10).json()["jobs"]
    response = api(walt).post(
        f"/api/v1/jobs/{job['key']}/extend-lock", {"worker": "w1", "lockSeconds": 600}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["lockExpiresAt"] > job["lockExpiresAt"]
    assert_error(
        api(walt).post(f"/api/v1/jobs/{job['key']}/extend-lock", {"worker": "other", "lockSeconds": 60}, format="json"),
        409,
        "invalid_state",
    )
    assert_error(
        api(walt).post(f"/api/v1/jobs/{job['key']}/extend-lock", {"worker": "w1", "lockSeconds": 0}, format="json"),
        400,
        "invalid_input",
    )


def test_job_commands_need_the_worker_role(api, bob, processes):
    start("api-one")
    key = Job.objects.get().key
    for path in ("complete", "fail", "error", "extend-lock"):
        assert_error(api(bob).post(f"/api/v1/jobs/{key}/{path}", {}, format="json"), 403, "permission_denied")
        assert_error(api().post(f"/api/v1/jobs/{key}/{path}", {}, format="json"), 401, "not_authenticated")
