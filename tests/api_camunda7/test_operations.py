"""/incident, /history, /migration, and the rest: 501 outside the subset, 401 without credentials."""

from __future__ import annotations

from orchestration import services
from orchestration.models import ProcessDefinition, ProcessInstance

from .conftest import BPMN, complete_reserve, fetch, open_job


def _fail(client, instance):
    fetch(client)
    job = open_job(instance)
    client.post(
        f"/engine-rest/external-task/{job.key}/failure",
        {"workerId": "w1", "errorMessage": "down", "retries": 0},
        format="json",
    )
    return job


def test_incident_query_get_and_count(wendy, bob, start):
    instance = start("fail")
    job = _fail(wendy, instance)
    (incident,) = bob.get("/engine-rest/incident", {"incidentType": "failedExternalTask"}).json()
    assert incident["processInstanceId"] == str(instance.key) and incident["activityId"] == "reserve"
    assert incident["incidentMessage"] == "down" and incident["configuration"] == str(job.key)
    assert incident["incidentTimestamp"].endswith("+0000")
    assert bob.get(f"/engine-rest/incident/{incident['id']}").json() == incident
    assert bob.get("/engine-rest/incident/count", {"processInstanceId": str(instance.key)}).json() == {"count": 1}
    assert bob.get("/engine-rest/incident", {"incidentType": "failedJob"}).json() == []
    assert bob.get("/engine-rest/incident/nope").status_code == 404


def test_history_process_and_activity_instances(wendy, bob, start):
    instance = start("ok")
    complete_reserve(wendy, instance)
    (historic,) = bob.get("/engine-rest/history/process-instance", {"processInstanceId": str(instance.key)}).json()
    assert historic["state"] == "ACTIVE" and historic["startActivityId"] == "start" and historic["endTime"] is None
    assert historic["processDefinitionKey"] == "order-c7" and historic["businessKey"] == "bk-ok"
    cancelled = start("fail")
    services.cancel_instance(cancelled.key, actor="test")
    finished = bob.post("/engine-rest/history/process-instance", {"finished": True}, format="json").json()
    assert [h["id"] for h in finished] == [str(cancelled.key)] and finished[0]["state"] == "EXTERNALLY_TERMINATED"
    assert bob.get("/engine-rest/history/process-instance/count").json() == {"count": 2}
    assert bob.get(f"/engine-rest/history/process-instance/{instance.key}").json()["id"] == str(instance.key)
    assert bob.get("/engine-rest/history/process-instance/nope").status_code == 404
    activities = bob.get(
        "/engine-rest/history/activity-instance",
        {"processInstanceId": str(instance.key), "sortBy": "startTime", "sortOrder": "asc"},
    ).json()
    assert [a["activityId"] for a in activities] == ["start", "reserve", "charge"]
    assert (
        activities[1]["endTime"] and activities[1]["durationInMillis"] is not None and activities[2]["endTime"] is None
    )
    assert (
        bob.post("/engine-rest/history/activity-instance/count", {"unfinished": True}, format="json").json()["count"]
        >= 1
    )
    assert (
        bob.get(f"/engine-rest/history/activity-instance/{activities[0]['id']}").json()["activityType"] == "startEvent"
    )


def test_migration_generate_and_execute(ada, bob, start, definition):
    instance = start("ok")
    target = services.deploy(BPMN.replace(b"Reserve stock", b"Reserve stock v2"), actor="t").definitions[0]
    body = {"sourceProcessDefinitionId": definition.camunda_id, "targetProcessDefinitionId": target.camunda_id}
    plan = ada.post("/engine-rest/migration/generate", body, format="json").json()
    assert {"sourceActivityIds": ["reserve"], "targetActivityIds": ["reserve"], "updateEventTrigger": False} in plan[
        "instructions"
    ]
    assert ada.post("/engine-rest/migration/validate", plan, format="json").json()["instructionReports"] == []
    assert (
        bob.post(
            "/engine-rest/migration/execute",
            {"migrationPlan": plan, "processInstanceIds": [str(instance.key)]},
            format="json",
        ).status_code
        == 403
    )
    response = ada.post(
        "/engine-rest/migration/execute",
        {"migrationPlan": plan, "processInstanceIds": [str(instance.key)]},
        format="json",
    )
    assert response.status_code == 204
    assert ProcessInstance.objects.get(key=instance.key).definition_id == target.key
    assert (
        ada.post(
            "/engine-rest/migration/execute", {"migrationPlan": plan, "processInstanceIds": []}, format="json"
        ).status_code
        == 400
    )
    refused = {**plan, "instructions": []}
    response = ada.post(
        "/engine-rest/migration/execute",
        {
            "migrationPlan": {
                **refused,
                "sourceProcessDefinitionId": target.camunda_id,
                "targetProcessDefinitionId": definition.camunda_id,
            },
            "processInstanceIds": [str(instance.key)],
        },
        format="json",
    )
    assert response.status_code == 400 and response.json()["type"] == "MigratingProcessInstanceValidationException"
    assert ProcessDefinition.objects.count() == 2


def test_paths_outside_the_subset_answer_501(bob):
    for method, path in (
        ("get", "/engine-rest/decision-definition"),
        ("post", "/engine-rest/batch/x"),
        ("put", "/engine-rest/external-task/x/priority"),
    ):
        response = getattr(bob, method)(path)
        assert response.status_code == 501, path
        assert (
            response.json()["type"] == "NotImplementedException"
            and "not part of the supported" in response.json()["message"]
        )


def test_every_endpoint_needs_credentials(anonymous, dave):
    for path in ("/engine-rest/process-definition", "/engine-rest/task", "/engine-rest/anything"):
        response = anonymous.get(path)
        assert response.status_code == 401 and response.json()["type"] == "AuthenticationException"
        assert dave.get(path).status_code == 403
    wrong = anonymous.get("/engine-rest/engine", HTTP_AUTHORIZATION="Basic d3Jvbmc6cGFzcw==")
    assert wrong.status_code == 401


def test_engine_and_version(bob):
    assert bob.get("/engine-rest/engine").json() == [{"name": "default"}]
    assert bob.get("/engine-rest/version").json()["version"].startswith("7.")
