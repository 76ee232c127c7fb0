"""/external-task and /job: fetch and lock (long polling), complete, failure, bpmnError, extendLock,
unlock, get, errorDetails, retries, queries; permissions and errors in Camunda's shape."""

from __future__ import annotations

import time

import pytest

from orchestration.models import Incident, Job, ProcessInstance, Variable

from .conftest import complete_reserve, fetch, open_job


def test_fetch_and_lock_returns_locked_tasks_with_typed_variables_and_extension_properties(wendy, start):
    instance = start("ok", amount=12.5, items={"a": 1})
    response = fetch(wendy)
    assert response.status_code == 200
    (task,) = response.json()
    assert task["topicName"] == "reserve-stock"
    assert task["workerId"] == "w1"
    assert task["processInstanceId"] == str(instance.key)
    assert task["processDefinitionId"].startswith("order-c7:1:")
    assert task["businessKey"] == "bk-ok"
    assert task["retries"] is None  # Camunda: null until a failure is reported
    assert task["extensionProperties"] == {"team": "warehouse"}
    assert task["lockExpirationTime"].endswith("+0000") and task["lockExpirationTime"][19] == "."
    assert task["variables"]["mode"] == {"type": "String", "value": "ok", "valueInfo": {}}
    assert task["variables"]["amount"] == {"type": "Double", "value": 12.5, "valueInfo": {}}
    assert task["variables"]["items"] == {"type": "Json", "value": '{"a":1}', "valueInfo": {}}
    assert Job.objects.get(key=task["id"]).state == Job.State.LOCKED
    assert fetch(wendy, worker="w2").json() == []  # locked: nobody else gets it


def test_fetch_filters_by_business_key_process_variables_definition_key_and_variable_names(wendy, start):
    start("ok")
    other = start("fail")
    body = {
        "workerId": "w",
        "maxTasks": 5,
        "topics": [
            {
                "topicName": "reserve-stock",
                "lockDuration": 1000,
                "businessKey": "bk-fail",
                "processVariables": {"mode": "fail"},
                "processDefinitionKeyIn": ["order-c7"],
                "variables": ["orderId"],
            }
        ],
    }
    (task,) = wendy.post("/engine-rest/external-task/fetchAndLock", body, format="json").json()
    assert task["processInstanceId"] == str(other.key)
    assert set(task["variables"]) == {"orderId"}
    body["topics"][0]["processVariables"] = {"mode": "nope"}
    assert wendy.post("/engine-rest/external-task/fetchAndLock", body, format="json").json() == []


def test_long_poll_waits_for_the_timeout_and_answers_an_empty_list(wendy, definition):
    began = time.monotonic()
    response = fetch(wendy, topic="nothing-here", asyncResponseTimeout=600)
    assert response.status_code == 200 and response.json() == []
    assert time.monotonic() - began >= 0.55


def test_long_poll_answers_at_once_when_work_is_there(wendy, start):
    start("ok")
    began = time.monotonic()
    assert len(fetch(wendy, asyncResponseTimeout=20000).json()) == 1
    assert time.monotonic() - began < 5


@pytest.mark.parametrize(
    "body, message",
    [
        ({"maxTasks": 1, "topics": []}, "workerId is required"),
        ({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t"}]}, "lockDuration"),
        ({"workerId": "w", "maxTasks": 1, "topics": [{"lockDuration": 5}]}, "topicName is required"),
        ({"workerId": "w", "maxTasks": 1, "asyncResponseTimeout": 1800001, "topics": []}, "greater than 1800000"),
        ({"workerId": "w", "maxTasks": "x", "topics": []}, "maxTasks"),
    ],
)
def test_fetch_with_bad_input_is_400_in_camundas_error_shape(wendy, definition, body, message):
    response = wendy.post("/engine-rest/external-task/fetchAndLock", body, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "InvalidRequestException" and message in response.json()["message"]


def test_fetch_with_a_body_that_is_not_json_is_400(wendy, definition):
    response = wendy.post("/engine-rest/external-task/fetchAndLock", "{nope", content_type="application/json")
    assert response.status_code == 400 and "not valid JSON" in response.json()["message"]


def test_fetch_needs_credentials_and_the_worker_capability(anonymous, bob, carol, definition):
    response = fetch(anonymous)
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["type"] == "AuthenticationException"
    assert fetch(bob).status_code == 403
    assert fetch(carol).json()["type"] == "AuthorizationException"


def test_complete_with_variables_and_local_variables_moves_the_instance_on(wendy, start):
    instance = start("ok")
    fetch(wendy)
    job = open_job(instance)
    body = {
        "workerId": "w1",
        "variables": {"reserved": {"value": True, "type": "Boolean"}, "count": {"value": "7", "type": "Long"}},
        "localVariables": {"note": {"value": "local", "type": "String"}},
    }
    assert wendy.post(f"/engine-rest/external-task/{job.key}/complete", body, format="json").status_code == 204
    values = dict(Variable.objects.filter(instance=instance, scope_key=instance.key).values_list("name", "value"))
    assert values["reserved"] is True and values["count"] == 7 and "note" not in values
    assert open_job(instance, "charge").state == Job.State.ACTIVATABLE
    # done: the task no longer exists for Camunda
    assert wendy.get(f"/engine-rest/external-task/{job.key}").status_code == 404


def test_complete_by_another_worker_is_refused(wendy, start):
    instance = start("ok")
    fetch(wendy, worker="owner")
    job = open_job(instance)
    response = wendy.post(f"/engine-rest/external-task/{job.key}/complete", {"workerId": "intruder"}, format="json")
    assert response.status_code == 400
    assert (
        response.json()["type"] == "BadUserRequestException"
        and "locked by worker 'owner'" in response.json()["message"]
    )


def test_unknown_external_task_is_404(wendy, definition):
    for path in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = wendy.post(f"/engine-rest/external-task/{path}/complete", {"workerId": "w"}, format="json")
        assert response.status_code == 404 and response.json()["type"] == "NotFoundException"


def test_failure_with_retries_left_retries_and_at_zero_raises_an_incident(wendy, start):
    instance = start("fail")
    fetch(wendy)
    job = open_job(instance)
    body = {"workerId": "w1", "errorMessage": "down", "errorDetails": "trace", "retries": 1, "retryTimeout": 0}
    assert wendy.post(f"/engine-rest/external-task/{job.key}/failure", body, format="json").status_code == 204
    job.refresh_from_db()
    assert job.state == Job.State.ACTIVATABLE and job.retries == 1
    (task,) = fetch(wendy).json()
    assert task["retries"] == 1 and task["errorMessage"] == "down" and task["errorDetails"] == "trace"
    assert wendy.get(f"/engine-rest/external-task/{job.key}/errorDetails").content == b"trace"
    body["retries"] = 0
    assert wendy.post(f"/engine-rest/external-task/{job.key}/failure", body, format="json").status_code == 204
    incident = Incident.objects.get(instance=instance)
    assert incident.message == "down" and incident.state == Incident.State.OPEN
    (listed,) = wendy.get("/engine-rest/incident", {"processInstanceId": str(instance.key)}).json()
    assert listed["incidentType"] == "failedExternalTask" and listed["configuration"] == str(job.key)


def test_failure_with_negative_retries_is_400(wendy, start):
    instance = start("fail")
    fetch(wendy)
    job = open_job(instance)
    response = wendy.post(
        f"/engine-rest/external-task/{job.key}/failure", {"workerId": "w1", "retries": -1}, format="json"
    )
    assert response.status_code == 400


def test_bpmn_error_goes_to_the_boundary_event_with_its_variables(wendy, start):
    instance = start("decline")
    complete_reserve(wendy, instance)
    fetch(wendy, topic="charge-card")
    job = open_job(instance, "charge")
    body = {
        "workerId": "w1",
        "errorCode": "CARD_DECLINED",
        "errorMessage": "no",
        "variables": {"why": {"value": "limit"}},
    }
    assert wendy.post(f"/engine-rest/external-task/{job.key}/bpmnError", body, format="json").status_code == 204
    instance.refresh_from_db()
    assert instance.state == ProcessInstance.State.COMPLETED
    assert Variable.objects.get(instance=instance, name="why").value == "limit"
    missing = wendy.post(
        f"/engine-rest/external-task/{open_job(start('decline')).key}/bpmnError", {"workerId": "w1"}, format="json"
    )
    assert missing.status_code == 400


def test_extend_lock_and_unlock(wendy, start):
    instance = start("ok")
    fetch(wendy)
    job = open_job(instance)
    before = job.lock_expires_at
    assert (
        wendy.post(
            f"/engine-rest/external-task/{job.key}/extendLock", {"workerId": "w1", "newDuration": 60000}, format="json"
        ).status_code
        == 204
    )
    job.refresh_from_db()
    assert job.lock_expires_at > before
    refused = wendy.post(
        f"/engine-rest/external-task/{job.key}/extendLock", {"workerId": "other", "newDuration": 1000}, format="json"
    )
    assert refused.status_code == 400 and "cannot be extended" in refused.json()["message"]
    assert wendy.post(f"/engine-rest/external-task/{job.key}/unlock").status_code == 204
    job.refresh_from_db()
    assert job.state == Job.State.ACTIVATABLE and job.lock_owner == ""


def test_get_query_count_and_retries(ada, wendy, bob, start):
    instance = start("fail")
    job = open_job(instance)
    task = bob.get(f"/engine-rest/external-task/{job.key}").json()
    assert task["id"] == str(job.key) and task["workerId"] is None and task["lockExpirationTime"] is None
    assert bob.get("/engine-rest/external-task", {"topicName": "reserve-stock"}).json()[0]["id"] == str(job.key)
    assert bob.post("/engine-rest/external-task", {"processInstanceIdIn": [str(instance.key)]}, format="json").json()[
        0
    ]["id"] == str(job.key)
    assert bob.get("/engine-rest/external-task/count", {"notLocked": "true"}).json() == {"count": 1}
    assert bob.get(f"/engine-rest/external-task/{job.key}/errorDetails").status_code == 204
    # retries: 0 raises an incident, more resolves it
    assert bob.put(f"/engine-rest/external-task/{job.key}/retries", {"retries": 0}, format="json").status_code == 403
    assert ada.put(f"/engine-rest/external-task/{job.key}/retries", {"retries": 0}, format="json").status_code == 204
    assert Incident.objects.filter(instance=instance, state=Incident.State.OPEN).count() == 1
    assert (
        ada.put(
            "/engine-rest/external-task/retries", {"retries": 2, "externalTaskIds": [str(job.key)]}, format="json"
        ).status_code
        == 204
    )
    job.refresh_from_db()
    assert job.state == Job.State.ACTIVATABLE and job.retries == 2
    assert not Incident.objects.filter(instance=instance, state=Incident.State.OPEN).exists()
    assert ada.put(f"/engine-rest/external-task/{job.key}/retries", {"retries": -1}, format="json").status_code == 400
    assert ada.put("/engine-rest/external-task/retries", {"retries": 1}, format="json").status_code == 400


def test_job_query_lists_handler_jobs_only(ada, start):
    start("ok")
    assert ada.get("/engine-rest/job").json() == []
    assert ada.get("/engine-rest/job/count").json() == {"count": 0}
    assert ada.get("/engine-rest/job/00000000-0000-0000-0000-000000000000").status_code == 404
    assert ada.put("/engine-rest/job/nope/retries", {"retries": 1}, format="json").status_code == 404
