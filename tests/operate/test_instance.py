from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from orchestration.models import ElementInstance, Incident

pytestmark = pytest.mark.django_db


def url(key) -> str:
    return reverse("operate:instance", args=[key])


def test_logged_out_user_is_sent_to_login(client, world):
    response = client.get(url(world.waiting.key))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave, world):
    client.force_login(dave)
    assert client.get(url(world.waiting.key)).status_code == 403


def test_unknown_instance_is_not_found(client, bob, world):
    client.force_login(bob)
    assert client.get(url(uuid.uuid4())).status_code == 404


def test_header_shows_process_version_business_key_and_state(client, bob, world):
    client.force_login(bob)
    response = client.get(url(world.waiting.key))
    assert response.status_code == 200
    body = response.content.decode()
    assert "ORD-1001" in body
    assert "order v1" in body
    assert str(world.waiting.key) in body


def test_active_elements_show_what_their_token_waits_for(client, bob, world):
    client.force_login(bob)
    detail = client.get(url(world.waiting.key)).context["detail"]
    waiting = {w.element.element_id: w.waits_for for w in detail.waiting}
    assert set(waiting) == {"charge", "approve"}
    assert "job payment.charge (activatable)" in waiting["charge"]
    assert any(w.startswith("timer due") for w in waiting["charge"])
    assert "message PaymentReceived [ORD-1001]" in waiting["charge"]
    assert waiting["approve"] == ["user task (unassigned)"]
    assert [e.element_id for e in detail.history] == ["start", "charge", "approve"]


def test_variables_are_grouped_by_scope_and_escaped(client, bob, world):
    client.force_login(bob)
    response = client.get(url(world.waiting.key))
    scopes = response.context["detail"].scopes
    assert scopes[0].scope_key == world.waiting.key
    assert [v.name for v in scopes[0].variables] == ["customer", "orderId"]
    assert scopes[1].element.element_id == "charge"
    assert [v.name for v in scopes[1].variables] == ["attempt"]
    body = response.content.decode()
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    assert "<script>x</script>" not in body


def test_only_open_jobs_timers_and_subscriptions_are_listed(client, alice, world):
    client.force_login(alice)
    detail = client.get(url(world.waiting.key)).context["detail"]
    assert [j.type for j in detail.jobs] == ["payment.charge"]
    assert [t.element_id for t in detail.timers] == ["charge_timeout"]
    assert [s.message_name for s in detail.subscriptions] == ["PaymentReceived"]
    assert [t.name for t in detail.user_tasks] == ["Approve order"]


def test_incidents_show_message_and_details_open_first(client, bob, world):
    client.force_login(bob)
    response = client.get(url(world.failing.key))
    detail = response.context["detail"]
    assert detail.has_open_incident
    assert [i.state for i in detail.incidents] == ["open", "resolved"]
    body = response.content.decode()
    assert "HTTP 502 from payment gateway after 30 ms" in body
    assert "Traceback: boom" in body


def test_audit_timeline_lists_events_in_order_with_actor_and_data(client, bob, world):
    client.force_login(bob)
    response = client.get(url(world.waiting.key))
    events = response.context["detail"].audit_events
    assert [e.type for e in events] == ["instance_started", "element_activated"]
    body = response.content.decode()
    assert "first try" in body
    assert "api" in body


def test_called_instance_links_to_its_parent(client, bob, world, make_instance):
    child = make_instance(world.refund, "REF-CHILD", parent=world.waiting)
    client.force_login(bob)
    body = client.get(url(child.key)).content.decode()
    assert url(world.waiting.key) in body
    parent_body = client.get(url(world.waiting.key)).content.decode()
    assert url(child.key) in parent_body


def test_ended_instance_says_nothing_waits(client, bob, world):
    client.force_login(bob)
    assert b"no token is waiting" in client.get(url(world.completed.key)).content


def test_where_it_waits_names_the_incident_type_for_people(client, bob, world):
    stuck = ElementInstance.objects.create(
        instance=world.failing,
        element_id="charge",
        element_type="serviceTask",
        started_at=world.failing.started_at,
    )
    world.incident.element_instance_key = stuck.key
    world.incident.save()
    client.force_login(bob)
    response = client.get(url(world.failing.key))
    waiting = {w.element.element_id: w.waits_for for w in response.context["detail"].waiting}
    assert waiting["charge"] == ["incident: Job failed, no retries left"]
    body = response.content.decode()
    panel = body.split('id="waiting"', 1)[1].split("</section>", 1)[0]
    assert "Job failed, no retries left" in panel
    assert "job_no_retries" not in body


@pytest.mark.parametrize("incident_type", ["expression", "condition", "extract_value", "called_element"])
def test_every_incident_type_the_engine_raises_has_a_label_for_people(incident_type, world, make_incident):
    incident = make_incident(world.failing, "boom", type=incident_type)
    label = incident.get_type_display()
    assert label != incident_type
    assert "_" not in label and label[0].isupper()
    assert incident_type in Incident.Type.values
