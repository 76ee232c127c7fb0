"""Incidents: search, get, resolve with variables."""

from __future__ import annotations

from orchestration import services
from orchestration.models import Incident, Job

from .conftest import assert_error, start


def failed_instance(business_key: str = ""):
    instance = start("api-one", business_key)
    job = Job.objects.get(instance=instance)
    services.fail_job(job.key, retries=0, error_message="HTTP 502 from the gateway", actor="test")
    return instance, job


def test_search_and_get_incidents(api, bob, processes):
    instance, job = failed_instance("I-1")
    failed_instance("I-2")
    client = api(bob)
    body = client.get("/api/v1/incidents", {"state": "open", "processId": "api-one", "limit": 1}).json()
    assert len(body["items"]) == 1 and body["nextCursor"]
    rest = client.get("/api/v1/incidents", {"cursor": body["nextCursor"]}).json()
    assert len(rest["items"]) == 1 and rest["nextCursor"] is None
    mine = client.get("/api/v1/incidents", {"processInstanceKey": str(instance.key)}).json()["items"]
    assert [i["jobKey"] for i in mine] == [str(job.key)]
    incident = client.get(f"/api/v1/incidents/{mine[0]['key']}").json()
    assert incident["message"] == "HTTP 502 from the gateway" and incident["state"] == "open"
    assert_error(client.get("/api/v1/incidents", {"state": "weird"}), 400, "invalid_input")
    assert_error(client.get("/api/v1/incidents/00000000-0000-0000-0000-000000000000"), 404, "not_found")


def test_resolving_with_variables_retries_the_job(api, alice, processes):
    instance, job = failed_instance()
    incident = Incident.objects.get(instance=instance)
    response = api(alice).post(
        f"/api/v1/incidents/{incident.key}/resolve", {"variables": {"fixed": True}, "retries": 2}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "resolved" and response.json()["resolvedBy"] == "alice"
    job.refresh_from_db()
    assert job.state == "activatable" and job.retries == 2
    variables = api(alice).get(f"/api/v1/process-instances/{instance.key}/variables").json()["variables"]
    assert variables == {"fixed": True}
    assert_error(api(alice).post(f"/api/v1/incidents/{incident.key}/resolve", {}, format="json"), 409, "invalid_state")


def test_resolving_needs_the_repair_role_and_valid_input(api, alice, bob, walt, processes):
    instance, _ = failed_instance()
    incident = Incident.objects.get(instance=instance)
    for user in (bob, walt):
        assert_error(
            api(user).post(f"/api/v1/incidents/{incident.key}/resolve", {}, format="json"), 403, "permission_denied"
        )
    assert_error(
        api(alice).post(f"/api/v1/incidents/{incident.key}/resolve", {"retries": 0}, format="json"),
        400,
        "invalid_input",
    )
    assert_error(api(alice).post("/api/v1/incidents/nope/resolve", {}, format="json"), 404, "not_found")
