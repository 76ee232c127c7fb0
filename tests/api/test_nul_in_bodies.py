"""NUL characters in request bodies: PostgreSQL text and jsonb cannot hold them, so both APIs
refuse them with a 400 naming where they are, and nothing is stored (was a 500)."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from orchestration.models import Incident, Variable
from tests.api.conftest import start


@pytest.mark.parametrize("variables", [{"a": "x\u0000y"}, {"a\u0000": 1}, {"a": {"b": ["ok", "x\u0000"]}}])
def test_v1_variables_with_nul_are_refused(api, alice, processes, variables):
    instance = start("api-one", "P-1")
    before = Variable.objects.filter(instance=instance).count()
    client = api(alice)
    response = client.patch(
        f"/api/v1/process-instances/{instance.key}/variables", {"variables": variables}, format="json"
    )
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["message"]
    started = client.post("/api/v1/process-instances", {"processId": "api-one", "variables": variables}, format="json")
    assert started.status_code == 400
    assert Variable.objects.filter(instance=instance).count() == before


def test_camunda7_bodies_with_nul_are_refused(alice, processes):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"alice:pw").decode())
    response = client.post(
        "/engine-rest/process-definition/key/api-one/start", {"businessKey": "B\u00001"}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "InvalidRequestException" and "NUL" in response.json()["message"]
    message = client.post("/engine-rest/message", {"messageName": "paid\u0000", "businessKey": "B-1"}, format="json")
    assert message.status_code == 400 and "NUL" in message.json()["message"]
    assert Incident.objects.count() == 0
