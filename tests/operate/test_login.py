from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_renders_without_the_navigation(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Log in" in body
    assert "csrfmiddlewaretoken" in body
    assert reverse("operate:instances") not in body


def test_logging_in_returns_to_the_page_asked_for(client, bob):
    response = client.post(reverse("login"), {"username": "bob", "password": "pw", "next": "/operate/instances/"})
    assert response.status_code == 302
    assert response["Location"] == "/operate/instances/"


def test_pages_offer_a_logout_form_and_logging_out_ends_the_session(client, bob):
    client.force_login(bob)
    body = client.get(reverse("operate:home")).content.decode()
    assert f'action="{reverse("logout")}"' in body
    response = client.post(reverse("logout"))
    assert response.status_code == 200
    assert b"You have been logged out" in response.content
    assert client.get(reverse("operate:home")).status_code == 302


def test_navigation_shows_only_the_consoles_the_user_may_use(client, bob, carol):
    client.force_login(bob)
    body = client.get(reverse("operate:home")).content.decode()
    assert reverse("operate:incidents") in body
    assert reverse("tasklist:inbox") not in body
    client.force_login(carol)
    body = client.get(reverse("tasklist:inbox")).content.decode()
    assert reverse("tasklist:inbox") in body
    assert reverse("operate:incidents") not in body


def test_the_root_sends_each_role_to_its_console(client, bob, carol):
    client.force_login(bob)
    assert client.get("/")["Location"] == reverse("operate:home")
    client.force_login(carol)
    assert client.get("/")["Location"] == reverse("tasklist:inbox")


def test_the_root_asks_anonymous_users_to_log_in(client):
    assert client.get("/")["Location"].startswith(reverse("login"))
