"""Authentication (token, HTTP Basic, session), the error shape, health."""

from __future__ import annotations

import base64

from django.test import Client as DjangoClient
from rest_framework.test import APIClient

from .conftest import assert_error


def test_anonymous_request_gets_401_with_the_error_shape_and_an_authenticate_header(api, processes):
    response = api().get("/api/v1/process-instances")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_an_unknown_token_is_refused_with_401(processes):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get("/api/v1/process-instances"), 401, "authentication_failed")


def test_a_user_without_a_role_gets_403(api, dave, processes):
    error = assert_error(api(dave).get("/api/v1/process-instances"), 403, "permission_denied")
    assert "view" in error["message"]


def test_http_basic_authentication_works(bob, processes):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"bob:pw").decode())
    assert client.get("/api/v1/process-definitions").status_code == 200


def test_wrong_basic_password_is_401(bob):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"bob:nope").decode())
    assert_error(client.get("/api/v1/process-definitions"), 401, "authentication_failed")


def test_a_console_session_works_for_reads_and_needs_csrf_for_writes(bob, alice, processes):
    client = DjangoClient(enforce_csrf_checks=True)
    client.force_login(bob)
    assert client.get("/api/v1/process-definitions").status_code == 200
    client.force_login(alice)
    response = client.post("/api/v1/process-instances", {"processId": "api-one"}, content_type="application/json")
    assert_error(response, 403, "permission_denied")
    assert "CSRF" in response.json()["error"]["message"]


def test_malformed_json_is_400_invalid_input(api, alice, processes):
    response = api(alice).post("/api/v1/process-instances", "{not json", content_type="application/json")
    assert_error(response, 400, "invalid_input")


def test_a_json_array_body_is_400_not_500(api, alice, processes):
    response = api(alice).post("/api/v1/process-instances", [1, 2], format="json")
    assert_error(response, 400, "invalid_input")


def test_wrong_method_is_405_with_the_error_shape(api, bob):
    response = api(bob).delete("/api/v1/process-definitions")
    assert_error(response, 405, "method_not_allowed")


def test_health_needs_no_authentication_and_reports_database_and_broker(api, db):
    response = api().get("/api/v1/health")
    assert response.status_code in (200, 503)
    body = response.json()
    assert body["database"] == "ok"
    assert set(body) == {"status", "database", "broker"}


def test_health_reports_an_unreachable_broker_as_503(api, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = api().get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error")


def test_the_schema_and_docs_pages_are_served_without_a_cdn(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/jobs/activate" in schema.json()["paths"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "drf_spectacular_sidecar/swagger-ui-dist" in html
    assert "cdn" not in html.lower()
    assert client.get("/api/v1/redoc/").status_code == 200


def test_create_api_token_prints_a_working_token(db, api):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("create_api_token", "svc", "--create", "--role", "worker", stdout=out)
    token = out.getvalue().strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.post("/api/v1/jobs/activate", {"type": "x", "worker": "w"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"jobs": []}
