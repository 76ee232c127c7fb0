"""Session and CSRF settings, and CSRF on htmx posts."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from orchestration.models import UserTask

pytestmark = pytest.mark.django_db


def test_session_cookie_settings():
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_HTTPONLY
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert len(settings.AUTH_PASSWORD_VALIDATORS) >= 4


def test_a_post_without_csrf_token_is_refused_and_the_page_token_in_hx_headers_works(personas):
    from orchestration import services

    from ..tasklist.conftest import FIXTURES

    services.deploy((FIXTURES / "order_approval.bpmn").read_text(), actor="test")
    instance = services.start_instance("order-approval", variables={"customer": "x"}, actor="test")
    task = UserTask.objects.get(instance=instance, element_id="approve")
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["approver"])
    url = reverse("tasklist:task", args=[task.key])
    page = client.get(url).content.decode()
    assert client.post(url, {"action": "claim"}, headers={"HX-Request": "true"}).status_code == 403
    token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page).group(1)
    response = client.post(url, {"action": "claim"}, headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 302
    assert UserTask.objects.get(key=task.key).assignee == "carol"
