"""Variables a batch sets (a modify batch's instructions, a set-variables batch) are masked on the
batch page and in the API for users who may not read them, as on an instance page; an admin
sees them."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from orchestration.models import MaskedVariable
from orchestration.services import batches as batch_service
from tests.api.conftest import start


def test_masked_variables_of_a_batch_are_masked_for_support(api, alice, bob, processes):
    MaskedVariable.objects.create(bpmn_process_id="api-one", name="card")
    start("api-one", "MB-1")
    batch = batch_service.create_batch(
        "modify",
        {"process": "api-one", "version": "1"},
        actor=alice,
        reason="re-run",
        params={"instructions": [{"op": "start_before", "element": "work", "variables": {"card": "4111-SECRET"}}]},
        dispatch=False,
    )
    client = Client()
    client.force_login(bob)
    page = client.get(f"/operate/batches/{batch.key}/")
    assert page.status_code == 200
    assert "4111-SECRET" not in page.content.decode()
    assert "••••••" in page.content.decode()
    response = api(alice).get(f"/api/v1/batches/{batch.key}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["params"]["instructions"][0]["variables"] == {"card": "••••••"}
    listed = api(alice).get("/api/v1/batches").json()["items"]
    assert listed[0]["params"]["instructions"][0]["variables"] == {"card": "••••••"}
    admin = User.objects.create_superuser("root", "r@example.com", "x")
    client.force_login(admin)
    assert "4111-SECRET" in client.get(f"/operate/batches/{batch.key}/").content.decode()


def test_set_variables_batch_values_are_masked(api, alice, bob, processes):
    MaskedVariable.objects.create(bpmn_process_id="", name="iban")
    start("api-one", "SV-1")
    batch = batch_service.create_batch(
        "set_variables",
        {"process": "api-one"},
        actor=alice,
        reason="fix",
        params={"variables": {"iban": "DE00-SECRET", "note": "visible"}},
        dispatch=False,
    )
    client = Client()
    client.force_login(bob)
    body = client.get(f"/operate/batches/{batch.key}/").content.decode()
    assert "DE00-SECRET" not in body and "visible" in body
    assert api(alice).get(f"/api/v1/batches/{batch.key}").json()["params"]["variables"] == {
        "iban": "••••••",
        "note": "visible",
    }
