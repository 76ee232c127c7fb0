"""Operator actions on the instance page: each through one service, audited, repair role only."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from orchestration import services
from orchestration.models import AuditEvent, ElementInstance, Incident, Variable

from .engine_world import deploy_shop, job_of, reload, start_failing, start_waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return deploy_shop()


@pytest.fixture
def waiting(shop):
    return start_waiting("ORD-1")


@pytest.fixture
def failing(shop):
    return start_failing("ORD-2")


def url(name: str, instance) -> str:
    return reverse(f"operate:instance_{name}", args=[instance.key])


def audit(instance, type_: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(instance_key=instance.key, type=type_))


def active_elements(instance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


# -- the page --------------------------------------------------------------------


def test_operator_sees_the_action_panel(client, alice, failing):
    instance, _ = failing
    client.force_login(alice)
    body = client.get(reverse("operate:instance", args=[instance.key])).content.decode()
    assert 'id="actions"' in body
    assert url("retry", instance) in body and url("cancel", instance) in body and url("modify", instance) in body


def test_support_sees_no_action_buttons(client, bob, failing):
    instance, _ = failing
    client.force_login(bob)
    response = client.get(reverse("operate:instance", args=[instance.key]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="actions"' not in body
    assert url("cancel", instance) not in body


def test_an_ended_instance_offers_nothing_to_change(client, alice, waiting):
    services.cancel_instance(waiting.key, actor="test", reason="test")
    client.force_login(alice)
    body = client.get(reverse("operate:instance", args=[waiting.key])).content.decode()
    assert "nothing left to change" in body
    assert url("cancel", waiting) not in body


# -- every action, as each persona ----------------------------------------------------


def _cancel(instance, incident):
    return "cancel", {"cancel-reason": "customer called"}


def _suspend(instance, incident):
    return "suspend", {"suspend-reason": "looking into it"}


def _resume(instance, incident):
    services.suspend_instance(instance.key, actor="test")
    return "resume", {"suspend-reason": "fixed"}


def _retry(instance, incident):
    return "retry", {"retry-incident": str(incident.key), "retry-variables": '{"amount": 20}'}


def _variable(instance, incident):
    return "variable", {"variable-name": "amount", "variable-value": "42", "variable-reason": "typo in the order"}


def _modify(instance, incident):
    return "modify", {
        "modify-kind": "move",
        "modify-source": "charge",
        "modify-target": "ship",
        "modify-reason": "charged by phone",
    }


ACTIONS = [_cancel, _suspend, _resume, _retry, _variable, _modify]


def _changed(action, instance, incident) -> None:
    """The state the action should leave, and its audit entry with actor and reason."""
    now = reload(instance)
    if action is _cancel:
        assert now.state == "cancelled"
        (reason,) = audit(instance, "operator_reason")
        assert (reason.actor, reason.data["reason"]) == ("alice", "customer called")
    elif action is _suspend:
        assert now.suspended
        (event,) = audit(instance, "instance_suspended")
        assert (event.actor, event.data["reason"]) == ("alice", "looking into it")
    elif action is _resume:
        assert not now.suspended
        (event,) = audit(instance, "instance_resumed")
        assert (event.actor, event.data["reason"]) == ("alice", "fixed")
    elif action is _retry:
        incident.refresh_from_db()
        assert (incident.state, incident.resolved_by) == ("resolved", "alice")
        assert Variable.objects.get(instance_id=instance.key, name="amount").value == 20
        assert audit(instance, "incident_resolved")[0].actor == "alice"
    elif action is _variable:
        assert Variable.objects.get(instance_id=instance.key, name="amount").value == 42
        (event,) = [e for e in audit(instance, "variables_updated") if e.actor == "alice"]
        assert event.data["diff"] == {"amount": {"old": 10, "new": 42, "created": False}}
        assert event.data["reason"] == "typo in the order"
    elif action is _modify:
        assert active_elements(instance) == ["ship"]
        (event,) = audit(instance, "instance_modified")
        assert (event.actor, event.data["reason"]) == ("alice", "charged by phone")


def _unchanged(instance, before: dict) -> None:
    now = reload(instance)
    assert (now.state, now.suspended) == (before["state"], before["suspended"])
    assert active_elements(instance) == before["active"]
    assert Variable.objects.get(instance_id=instance.key, name="amount").value == 10
    assert Incident.objects.filter(instance_id=instance.key, state="open").count() == before["incidents"]


def _snapshot(instance) -> dict:
    now = reload(instance)
    return {
        "state": now.state,
        "suspended": now.suspended,
        "active": active_elements(instance),
        "incidents": Incident.objects.filter(instance_id=instance.key, state="open").count(),
    }


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.__name__.strip("_"))
def test_operator_action_changes_the_instance_and_is_audited(client, alice, failing, action):
    instance, incident = failing
    name, data = action(instance, incident)
    client.force_login(alice)
    response = client.post(url(name, instance), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("operate:instance", args=[instance.key])
    _changed(action, instance, incident)
    page = client.get(response["Location"]).content.decode()
    assert 'class="note"' in page  # the success message


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.__name__.strip("_"))
@pytest.mark.parametrize("persona", ["bob", "dave"])
def test_support_and_users_without_a_role_are_forbidden(client, request, failing, action, persona):
    instance, incident = failing
    name, data = action(instance, incident)
    before = _snapshot(instance)
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url(name, instance), data).status_code == 403
    _unchanged(instance, before)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.__name__.strip("_"))
def test_logged_out_users_are_sent_to_login(client, failing, action):
    instance, incident = failing
    name, data = action(instance, incident)
    before = _snapshot(instance)
    response = client.post(url(name, instance), data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    _unchanged(instance, before)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.__name__.strip("_"))
def test_htmx_action_returns_the_panel_and_triggers_instance_changed(client, alice, failing, action):
    instance, incident = failing
    name, data = action(instance, incident)
    client.force_login(alice)
    response = client.post(url(name, instance), data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Trigger-After-Settle"] == "instance-changed"
    body = response.content.decode()
    assert 'id="actions"' in body and "<html" not in body
    _changed(action, instance, incident)


@pytest.mark.parametrize(
    ("name", "data", "field"),
    [
        ("cancel", {"cancel-reason": ""}, "reason"),
        ("variable", {"variable-name": "amount", "variable-value": "{oops", "variable-reason": "x"}, "value"),
        ("variable", {"variable-name": "amount", "variable-value": "42", "variable-reason": ""}, "reason"),
        ("retry", {"retry-incident": "INCIDENT", "retry-variables": "[1, 2"}, "variables"),
        ("retry", {"retry-incident": "INCIDENT", "retry-variables": "[1, 2]"}, "variables"),
        ("modify", {"modify-kind": "move", "modify-source": "charge", "modify-reason": "x"}, "target"),
        ("modify", {"modify-kind": "move", "modify-source": "charge", "modify-target": "ship"}, "reason"),
    ],
)
def test_bad_input_shows_the_field_error_and_changes_nothing(client, alice, failing, name, data, field):
    instance, incident = failing
    data = {k: (str(incident.key) if v == "INCIDENT" else v) for k, v in data.items()}
    before = _snapshot(instance)
    client.force_login(alice)
    response = client.post(url(name, instance), data)
    assert response.status_code == 400
    form = response.context["action_forms"][name]
    assert field in form.errors
    _unchanged(instance, before)
    assert not AuditEvent.objects.filter(instance_key=instance.key, actor="alice").exists()


def test_invalid_json_error_says_where(client, alice, failing):
    instance, _ = failing
    client.force_login(alice)
    response = client.post(
        url("variable", instance), {"variable-name": "amount", "variable-value": '{"a": }', "variable-reason": "x"}
    )
    assert "Not valid JSON" in response.content.decode()


def test_htmx_bad_input_returns_the_panel_with_errors_and_no_trigger(client, alice, failing):
    instance, _ = failing
    client.force_login(alice)
    response = client.post(url("cancel", instance), {"cancel-reason": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Trigger" not in response and "HX-Trigger-After-Settle" not in response
    assert "field-error" in response.content.decode()
    assert reload(instance).state == "active"


def test_a_refused_command_is_reported_not_raised(client, alice, waiting):
    client.force_login(alice)
    response = client.post(url("resume", waiting), {"suspend-reason": ""}, follow=True)
    assert response.status_code == 200
    assert "is not suspended" in response.content.decode()


def test_editing_a_variable_to_a_json_object_keeps_its_structure(client, alice, waiting):
    client.force_login(alice)
    value = {"street": "Main 1", "zip": "1000"}
    client.post(
        url("variable", waiting),
        {"variable-name": "address", "variable-value": json.dumps(value), "variable-reason": "new address"},
    )
    assert Variable.objects.get(instance_id=waiting.key, name="address").value == value


def test_modify_can_cancel_an_element_and_start_before_another(client, alice, waiting):
    client.force_login(alice)
    client.post(
        url("modify", waiting),
        {"modify-kind": "start_before", "modify-target": "ship", "modify-reason": "parallel ship"},
    )
    assert active_elements(waiting) == ["charge", "ship"]
    client.post(
        url("modify", waiting), {"modify-kind": "cancel", "modify-source": "charge", "modify-reason": "not needed"}
    )
    assert active_elements(waiting) == ["ship"]


# -- migrate ----------------------------------------------------------------------


@pytest.fixture
def two_versions(shop):
    instance = start_waiting("ORD-9", definition=shop)
    v2 = deploy_shop("Shop, second edition")
    return instance, v2


def test_migrate_page_shows_the_mapping_and_the_validation_report(client, alice, two_versions):
    instance, v2 = two_versions
    client.force_login(alice)
    response = client.get(url("migrate", instance), {"migrate-target": str(v2.key)})
    assert response.status_code == 200
    assert ("charge", "charge") in response.context["mapping"]
    assert response.context["problems"] == []
    assert "Migrate now" in response.content.decode()


def test_operator_migrates_an_instance_to_another_version(client, alice, two_versions):
    instance, v2 = two_versions
    client.force_login(alice)
    response = client.post(url("migrate", instance), {"migrate-target": str(v2.key)})
    assert response.status_code == 302
    assert reload(instance).definition_id == v2.key
    (event,) = audit(instance, "instance_migrated")
    assert event.actor == "alice"
    assert job_of(instance).definition_id == v2.key


@pytest.mark.parametrize("persona", ["bob", "dave"])
def test_migrate_is_forbidden_without_the_repair_role(client, request, two_versions, persona):
    instance, v2 = two_versions
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("migrate", instance), {"migrate-target": str(v2.key)}).status_code == 403
    assert client.post(url("migrate", instance), {"migrate-target": str(v2.key)}).status_code == 403
    assert reload(instance).definition_id != v2.key


def test_migrate_without_a_target_is_a_form_error(client, alice, two_versions):
    instance, v2 = two_versions
    client.force_login(alice)
    response = client.post(url("migrate", instance), {"migrate-target": "nonsense"})
    assert response.status_code == 400
    assert reload(instance).definition_id != v2.key


def test_actions_on_an_unknown_instance_are_404(client, alice, shop):
    client.force_login(alice)
    assert (
        client.post(
            "/operate/instances/01234567-89ab-7def-8123-456789abcdef/cancel/", {"cancel-reason": "x"}
        ).status_code
        == 404
    )


def test_a_process_rule_takes_repair_away_from_an_operator_on_that_process(client, alice, failing):
    """Operators of other processes may not cancel this one (issue 5: narrowed per process)."""
    from django.contrib.auth.models import Group

    from orchestration.models import ProcessPermission

    failing, _ = failing
    group = Group.objects.get(name="operator")
    ProcessPermission.objects.create(
        group=group, bpmn_process_id=failing.bpmn_process_id, capability="repair", allow=False
    )
    alice = type(alice).objects.get(pk=alice.pk)  # fresh user: role caches are per object
    client.force_login(alice)

    body = client.get(reverse("operate:instance", args=[failing.key])).content.decode()
    assert url("cancel", failing) not in body
    response = client.post(url("cancel", failing), {"reason": "not mine"})
    assert response.status_code == 403
    failing.refresh_from_db()
    assert failing.state == "active"
