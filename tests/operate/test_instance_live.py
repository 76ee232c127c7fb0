"""The instance page while it is open: the live poll, the actions it refreshes, times and incident styling."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orchestration import services
from orchestration.models import Incident

from .engine_world import deploy_shop, job_of, reload, start_failing, start_waiting

pytestmark = pytest.mark.django_db


def url(instance) -> str:
    return reverse("operate:instance", args=[instance.key])


def live(client, instance, seen: str | None):
    params = {} if seen is None else {"seen": seen}
    return client.get(url(instance), params, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live")


def signature(client, instance) -> str:
    return client.get(url(instance)).context["actions_signature"]


@pytest.fixture
def shop(db):
    return deploy_shop()


def test_live_poll_for_an_instance_that_completed_swaps_the_actions_panel_out_of_band(client, alice, shop):
    instance = start_waiting("LIVE-1")
    client.force_login(alice)
    seen = signature(client, instance)
    page = client.get(url(instance)).content.decode()
    assert reverse("operate:instance_cancel", args=[instance.key]) in page  # offered while it runs
    services.complete_job(job_of(instance).key, actor="worker")
    services.complete_job(job_of(instance).key, actor="worker")
    assert reload(instance).state == "completed"

    body = live(client, instance, seen).content.decode()
    assert '<section class="panel actions-panel" id="actions" hx-swap-oob="true">' in body
    assert "there is nothing left to change" in body
    assert reverse("operate:instance_cancel", args=[instance.key]) not in body
    assert reverse("operate:instance_suspend", args=[instance.key]) not in body
    assert 'hx-trigger="every 3s' not in body  # and polling stops


def test_live_poll_leaves_the_actions_panel_alone_when_nothing_changed(client, alice, shop):
    instance = start_waiting("LIVE-2")
    client.force_login(alice)
    body = live(client, instance, signature(client, instance)).content.decode()
    assert 'id="actions"' not in body  # a half-filled form is not thrown away every 3 s
    assert 'id="live"' in body


def test_a_new_incident_refreshes_the_actions_panel_with_retry(client, alice, shop):
    instance = start_waiting("LIVE-3")
    client.force_login(alice)
    seen = signature(client, instance)
    services.fail_job(job_of(instance).key, actor="worker", retries=0, error_message="boom")
    body = live(client, instance, seen).content.decode()
    assert 'hx-swap-oob="true"' in body
    assert reverse("operate:instance_retry", args=[instance.key]) in body


def test_support_gets_no_actions_panel_from_the_live_poll(client, bob, shop):
    instance = start_waiting("LIVE-4")
    client.force_login(bob)
    body = live(client, instance, None).content.decode()
    assert 'id="actions"' not in body


def test_the_actions_panel_carries_its_signature_for_the_poll(client, alice, shop):
    instance = start_waiting("LIVE-5")
    client.force_login(alice)
    response = client.get(url(instance))
    assert f'id="actions-seen" name="seen" value="{response.context["actions_signature"]}"' in response.content.decode()
    services.suspend_instance(instance.key, actor="alice", reason="look")
    assert signature(client, instance) != response.context["actions_signature"]


def test_incidents_panel_is_red_only_while_an_incident_is_open(client, bob, shop):
    instance, incident = start_failing("LIVE-6")
    client.force_login(bob)
    body = client.get(url(instance)).content.decode()
    assert 'class="panel panel-incident" id="incidents"' in body
    services.resolve_incident(incident.key, actor="alice")
    assert reload(instance).is_active
    assert Incident.objects.get(key=incident.key).state == "resolved"
    body = client.get(url(instance)).content.decode()
    assert 'class="panel" id="incidents"' in body
    assert "panel-incident" not in body


def test_times_on_the_instance_page_name_their_zone(client, bob, shop, settings):
    instance = start_waiting("LIVE-7")
    client.force_login(bob)
    body = client.get(url(instance)).content.decode()
    started = instance.started_at.strftime("%Y-%m-%d %H:%M:%S")
    assert f"{started} UTC" in body
    settings.TIME_ZONE = "Europe/Berlin"
    body = client.get(url(instance)).content.decode()
    assert "CET" in body or "CEST" in body
    assert f"{started} UTC" not in body
