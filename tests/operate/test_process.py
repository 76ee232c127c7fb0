from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def url(key) -> str:
    return reverse("operate:process", args=[key])


def test_logged_out_user_is_sent_to_login(client, world):
    response = client.get(url(world.order_v1.key))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave, world):
    client.force_login(dave)
    assert client.get(url(world.order_v1.key)).status_code == 403


def test_unknown_definition_is_not_found(client, bob, world):
    client.force_login(bob)
    assert client.get(url(uuid.uuid4())).status_code == 404


def test_definition_page_shows_versions_counts_and_escaped_xml(client, bob, world):
    client.force_login(bob)
    response = client.get(url(world.order_v2.key))
    assert response.status_code == 200
    body = response.content.decode()
    assert [v.version for v in response.context["versions"]] == [2, 1]
    assert response.context["current"].completed_count == 1
    assert response.context["current"].open_incident_count == 1
    assert "&lt;serviceTask id=&quot;charge&quot;" in body
    assert "<serviceTask" not in body
    assert reverse("operate:process", args=[world.order_v1.key]) in body
