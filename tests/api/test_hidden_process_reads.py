"""A "view" deny on a process hides it (access.hidden_processes: "the process does not exist
for the user"). v1 hides the definition's XML; do the other read paths hide it too?"""

from __future__ import annotations

import base64

from rest_framework.test import APIClient

from orchestration.models import ElementInstance, ProcessDefinition
from tests.api.conftest import start
from tests.api.test_process_rules import with_rule


def basic(user):
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"{user.username}:pw".encode()).decode())
    return c


def test_v1_definition_xml_hidden_but_deployment_xml_is_not(api, bob, processes):
    hidden = with_rule(bob, "api-one", "view")
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-one")
    client = api(hidden)
    assert client.get(f"/api/v1/process-definitions/{definition.key}/xml").status_code == 404  # hidden, as designed
    leaked = client.get(f"/api/v1/deployments/{definition.deployment_id}/xml")
    assert leaked.status_code == 404, (leaked.status_code, leaked.content[:200])


def test_engine_rest_definition_xml_of_hidden_process(bob, processes):
    hidden = with_rule(bob, "api-one", "view")
    client = basic(hidden)
    listed = [d["key"] for d in client.get("/engine-rest/process-definition").json()]
    xml = client.get("/engine-rest/process-definition/key/api-one/xml")
    assert "api-one" not in listed and xml.status_code == 404, (listed, xml.status_code)


def test_engine_rest_activity_history_of_hidden_instance(bob, processes):
    hidden = with_rule(bob, "api-one", "view")
    instance = start("api-one", "SECRET-1")
    client = basic(hidden)
    # the instance itself is 404 for this user ...
    assert client.get(f"/engine-rest/history/process-instance/{instance.key}").status_code == 404
    # ... but its activity history is listed
    rows = client.get("/engine-rest/history/activity-instance", {"processInstanceId": str(instance.key)}).json()
    one = ElementInstance.objects.filter(instance=instance).first()
    detail = client.get(f"/engine-rest/history/activity-instance/{one.key}")
    assert rows == [] and detail.status_code == 404, (len(rows), detail.status_code)
