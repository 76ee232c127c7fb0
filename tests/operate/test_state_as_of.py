""" "State as of": the instance diagram replayed from the audit log at a past moment."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from orchestration import services
from orchestration.replay import replay

from .engine_world import deploy_shop, job_of, start_waiting

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 1, 1, 12, 0, tzinfo=dt.UTC)


def event(kind: str, element_id: str = "", key=None, seconds: int = 0, **data):
    return SimpleNamespace(
        type=kind,
        element_id=element_id,
        element_instance_key=key,
        data=data,
        created_at=T0 + dt.timedelta(seconds=seconds),
    )


def test_replay_folds_only_the_events_up_to_the_moment():
    start, charge, ship = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    log = [
        event("instance_started"),
        event("element_activated", "start", start, 0, type="startEvent"),
        event("element_completed", "start", start, 0),
        event("sequence_flow_taken", "f1", None, 0),
        event("element_activated", "charge", charge, 1, type="serviceTask"),
        event("incident_created", "charge", charge, 2, incident="i1"),
        event("incident_resolved", "charge", charge, 3, incident="i1"),
        event("element_completed", "charge", charge, 4),
        event("element_activated", "ship", ship, 4, type="serviceTask"),
        event("element_terminated", "ship", ship, 5),
        event("instance_cancelled", seconds=5),
    ]
    at_two = replay(log, T0 + dt.timedelta(seconds=2))
    assert at_two.state == "active"
    assert at_two.waiting == ["charge"]
    overlays = at_two.overlays()
    assert overlays["charge"]["active"] == 1 and overlays["charge"]["incidents"] == 1
    assert overlays["start"]["completed"] == 1 and "ship" not in overlays
    assert at_two.taken_flows == {"f1"}

    at_three = replay(log, T0 + dt.timedelta(seconds=3)).overlays()
    assert at_three["charge"]["incidents"] == 0

    at_end = replay(log, T0 + dt.timedelta(seconds=5))
    assert at_end.state == "cancelled" and at_end.waiting == []
    assert at_end.overlays()["ship"]["cancelled"] == 1

    before = replay(log, T0 - dt.timedelta(seconds=1))
    assert before.state is None and before.events == 0 and before.overlays() == {}


def test_replay_closes_the_incident_of_an_element_that_ended_and_follows_migration():
    charge = uuid.uuid4()
    log = [
        event("instance_started"),
        event("element_activated", "charge", charge, 1, type="serviceTask"),
        event("incident_created", "charge", charge, 2, incident="i1"),
        event("instance_migrated", seconds=3, elements=[[str(charge), "charge", "charge_v2"]]),
    ]
    migrated = replay(log, T0 + dt.timedelta(seconds=3))
    assert migrated.waiting == ["charge_v2"]
    assert migrated.overlays()["charge_v2"]["incidents"] == 1
    ended = replay([*log, event("element_terminated", "charge_v2", charge, 4)], T0 + dt.timedelta(seconds=4))
    assert ended.open_incidents == {}


@pytest.fixture
def moved():
    """A shop instance whose token waited at 'charge' at ``then`` and waits at 'ship' now."""
    deploy_shop()
    instance = start_waiting("ORD-ASOF")
    then = timezone.now()
    services.complete_job(job_of(instance).key, actor="worker")
    return SimpleNamespace(instance=instance, then=then)


def page(client, instance, as_of: str | None = None):
    path = reverse("operate:instance", args=[instance.key])
    return client.get(path, {"as_of": as_of} if as_of is not None else {})


def active_overlays(svg: str) -> set[str]:
    import re

    return set(re.findall(r'<g id="el-([^"]+)"[^>]*class="[^"]*bpmn-active', svg)) | set(
        re.findall(r'<g class="[^"]*bpmn-active[^"]*"[^>]*id="el-([^"]+)"', svg)
    )


def test_as_of_draws_the_earlier_tokens_and_a_banner(client, bob, moved):
    client.force_login(bob)
    now = page(client, moved.instance)
    assert "as-of-banner" not in now.content.decode()
    then = page(client, moved.instance, moved.then.isoformat())
    assert then.status_code == 200
    replayed = then.context["replayed"]
    assert replayed.waiting == ["charge"]
    body = then.content.decode()
    assert 'id="as-of-banner"' in body
    assert "State as of" in body and "tokens at <code>charge</code>" in body
    assert "diagram-live" not in body  # a past moment does not poll
    assert active_overlays(body) == {"charge"}
    assert active_overlays(now.content.decode()) == {"ship"}


def test_as_of_before_the_start_shows_no_token(client, bob, moved):
    client.force_login(bob)
    earlier = (moved.instance.started_at - dt.timedelta(hours=1)).isoformat()
    response = page(client, moved.instance, earlier)
    assert response.context["replayed"].state is None
    assert "the instance had not started" in response.content.decode()
    assert active_overlays(response.content.decode()) == set()


def test_a_bad_as_of_is_a_form_error_and_shows_now(client, bob, moved):
    client.force_login(bob)
    response = page(client, moved.instance, "yesterday-ish")
    assert response.status_code == 200
    assert "replayed" not in response.context
    assert response.context["as_of_form"].errors["as_of"]
    assert active_overlays(response.content.decode()) == {"ship"}


def test_user_without_role_cannot_replay(client, dave, moved):
    client.force_login(dave)
    assert page(client, moved.instance, moved.then.isoformat()).status_code == 403
