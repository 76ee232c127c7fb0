"""A NUL character in a query string gets a 400 in the caller's language, not a 500.

PostgreSQL text cannot hold NUL; pages that read request.GET directly (audit filters,
variable previews) passed it to the database. The middleware refuses it once for every
URL; a percent sign spelled out ("%2500") is ordinary text and passes."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import start


@pytest.mark.parametrize("query", ["audit_element=%00", "audit_actor=%00", "variable=%00", "element=a%00b"])
def test_nul_in_instance_page_params_is_a_400(alice, processes, query):
    instance = start("api-one", "N-1")
    client = Client(raise_request_exception=False)
    client.force_login(alice)
    response = client.get(f"/operate/instances/{instance.key}/?{query}")
    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_nul_in_api_queries_gets_each_apis_error_shape(api, alice, processes):
    client = api(alice)
    native = client.get("/api/v1/process-instances?businessKey=A%00")
    assert native.status_code == 400 and native.json()["error"]["code"] == "invalid_input"
    camunda = client.get("/engine-rest/process-instance?businessKey=A%00")
    assert camunda.status_code == 400 and camunda.json()["type"] == "InvalidRequestException"


def test_a_spelled_out_percent_sign_is_ordinary_text(alice, processes):
    instance = start("api-one", "N-2")
    client = Client()
    client.force_login(alice)
    assert client.get(f"/operate/instances/{instance.key}/?audit_actor=%2500").status_code == 200
