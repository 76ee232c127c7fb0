"""Large variables on the instance page: a preview inline, the full value on demand."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from orchestration import access, services
from orchestration.models import MaskedVariable

from .engine_world import deploy_shop, start_waiting

pytestmark = pytest.mark.django_db

BIG = {"items": [{"sku": f"A{i}", "qty": 1, "note": "x" * 40} for i in range(7000)]}  # ~500 KB


def url(instance) -> str:
    return reverse("operate:instance", args=[instance.key])


@pytest.fixture
def big(db):
    deploy_shop()
    instance = start_waiting("BIG-1")
    services.set_variables(instance.key, {"doc": BIG}, actor="alice", reason="import the order document")
    return instance


def test_the_large_variable_is_really_large(big):
    assert len(json.dumps(BIG)) > 450_000


def test_a_500_kb_variable_leaves_the_page_small(client, bob, big):
    client.force_login(bob)
    response = client.get(url(big))
    body = response.content.decode()
    assert response.status_code == 200
    assert len(response.content) < 100_000
    assert "&quot;sku&quot;: &quot;A0&quot;" in body  # the preview shows the start of the value
    assert '"A6999"' not in body  # not its end
    assert f"{url(big)}?variable=doc&amp;scope={big.key}" in body
    assert "show full value (" in body and "KB)" in body


def test_the_live_poll_does_not_carry_the_large_value(client, bob, big):
    client.force_login(bob)
    response = client.get(url(big), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live")
    assert response.status_code == 200
    assert 'id="live"' in response.content.decode()
    assert len(response.content) < 100_000


def test_the_audit_diff_of_a_large_edit_is_shortened(client, bob, big):
    client.force_login(bob)
    body = client.get(url(big)).content.decode()
    audit = body.split('id="audit"', 1)[1]
    assert "<code>doc</code>" in audit
    assert "…" in audit
    assert "A6999" not in audit


def test_the_full_value_link_returns_the_whole_value(client, bob, big):
    client.force_login(bob)
    response = client.get(url(big), {"variable": "doc", "scope": str(big.key)})
    assert response.status_code == 200
    body = response.content.decode()
    assert "&quot;A6999&quot;" in body
    assert "<html" in body  # without JavaScript: a page of its own, linked back to the instance
    assert url(big) in body


def test_the_full_value_for_htmx_is_the_value_alone(client, bob, big):
    client.force_login(bob)
    response = client.get(url(big), {"variable": "doc", "scope": str(big.key)}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "&quot;A6999&quot;" in body
    assert "<html" not in body and 'class="full-value"' in body


def test_a_small_value_has_no_full_value_link(client, bob, big):
    client.force_login(bob)
    body = client.get(url(big)).content.decode()
    assert "variable=amount" not in body


def test_an_unknown_variable_or_scope_is_not_found(client, bob, big):
    client.force_login(bob)
    assert client.get(url(big), {"variable": "nope", "scope": str(big.key)}).status_code == 404
    assert client.get(url(big), {"variable": "doc", "scope": "not-a-key"}).status_code == 404


def test_a_masked_variable_stays_masked_in_the_full_value(client, bob, big):
    masked = MaskedVariable.objects.create(bpmn_process_id="shop", name="doc")
    masked.visible_to.add(Group.objects.get_or_create(name="payments-audit")[0])
    client.force_login(bob)
    page = client.get(url(big)).content.decode()
    assert "&quot;A0&quot;" not in page and "variable=doc" not in page
    response = client.get(url(big), {"variable": "doc", "scope": str(big.key)})
    assert response.status_code == 200
    body = response.content.decode()
    assert access.MASK in body
    assert "&quot;A0&quot;" not in body


def test_a_user_without_access_gets_no_full_value(client, dave, big):
    client.force_login(dave)
    assert client.get(url(big), {"variable": "doc", "scope": str(big.key)}).status_code == 403


def test_a_logged_out_user_gets_no_full_value(client, big):
    response = client.get(url(big), {"variable": "doc", "scope": str(big.key)})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
