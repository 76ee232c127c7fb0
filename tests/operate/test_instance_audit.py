"""The instance page's audit timeline: filters as GET parameters, human labels, variable diffs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from operate.audit_timeline import EVENT_TYPES, GROUPS, event_label
from orchestration import services

from .engine_world import deploy_shop, job_of, start_waiting

pytestmark = pytest.mark.django_db


def url(instance) -> str:
    return reverse("operate:instance", args=[instance.key])


@pytest.fixture
def edited(db):
    """An instance that started, got a job, and had a variable edited by alice and its job completed."""
    deploy_shop()
    instance = start_waiting("AUD-1", note="first")
    services.set_variables(instance.key, {"note": "second", "extra": 1}, actor="alice", reason="fix the note")
    services.complete_job(job_of(instance).key, actor="worker", variables={})
    return instance


def types(response) -> list[str]:
    return [e.type for e in response.context["detail"].audit_events]


def test_unfiltered_timeline_has_every_kind_of_event(client, bob, edited):
    client.force_login(bob)
    seen = set(types(client.get(url(edited))))
    assert {"instance_started", "element_activated", "job_created", "variables_updated", "job_completed"} <= seen


@pytest.mark.parametrize(
    ("group", "must", "must_not"),
    [
        ("tokens", "element_activated", "job_created"),
        ("variables", "variables_updated", "element_activated"),
        ("jobs", "job_completed", "variables_updated"),
        ("operator", "variables_updated", "job_created"),
    ],
)
def test_the_group_filter_keeps_only_its_event_types(client, bob, edited, group, must, must_not):
    client.force_login(bob)
    got = types(client.get(url(edited), {"audit_group": group}))
    assert must in got
    assert must_not not in got
    assert all(group in EVENT_TYPES[t][1] for t in got)


def test_the_incidents_group_shows_incidents(client, bob, db):
    deploy_shop()
    instance = start_waiting("AUD-2")
    services.fail_job(job_of(instance).key, actor="worker", retries=0, error_message="boom")
    client.force_login(bob)
    assert types(client.get(url(instance), {"audit_group": "incidents"})) == ["incident_created"]


def test_an_unknown_group_is_ignored(client, bob, edited):
    client.force_login(bob)
    assert types(client.get(url(edited), {"audit_group": "nonsense"})) == types(client.get(url(edited)))


def test_the_element_filter_keeps_only_that_element(client, bob, edited):
    client.force_login(bob)
    response = client.get(url(edited), {"audit_element": "charge"})
    events = response.context["detail"].audit_events
    assert events and {e.element_id for e in events} == {"charge"}
    assert "charge" in response.context["detail"].audit_elements


def test_the_actor_filter_keeps_only_that_actor(client, bob, edited):
    client.force_login(bob)
    response = client.get(url(edited), {"audit_actor": "alice"})
    assert types(response) == ["variables_updated"]
    assert {"alice", "test", "worker"} <= set(response.context["detail"].audit_actors)


def test_filters_combine_and_an_empty_result_says_so(client, bob, edited):
    client.force_login(bob)
    response = client.get(url(edited), {"audit_actor": "alice", "audit_group": "jobs"})
    assert types(response) == []
    assert "No audit events match this filter." in response.content.decode()


def test_the_filter_form_works_without_javascript_and_keeps_its_choice(client, bob, edited):
    client.force_login(bob)
    body = client.get(url(edited), {"audit_group": "variables"}).content.decode()
    form = body.split('id="audit-filters"', 1)[1].split("</form>", 1)[0]
    assert 'method="get"' in body.split('id="audit-filters"', 1)[0].rsplit("<form", 1)[1]
    assert '<option value="variables" selected>' in form
    assert 'name="audit_element"' in form and 'name="audit_actor"' in form


def test_htmx_filter_swaps_only_the_timeline(client, bob, edited):
    client.force_login(bob)
    response = client.get(url(edited), {"audit_group": "jobs"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="audit")
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="panel" id="audit">')
    assert 'id="variables"' not in body and 'id="live"' not in body
    assert "Job completed" in body and "Variables updated" not in body


def test_the_live_poll_keeps_the_filter(client, bob, edited):
    client.force_login(bob)
    response = client.get(url(edited), {"audit_actor": "alice"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live")
    assert types(response) == ["variables_updated"]
    assert 'hx-include="#actions-seen, #audit-filters"' in response.content.decode()


def test_events_show_human_labels(client, bob, edited):
    client.force_login(bob)
    body = client.get(url(edited)).content.decode()
    audit = body.split('id="audit"', 1)[1]
    for label in ("Instance started", "Element activated", "Variables updated", "Job completed"):
        assert f">{label}</strong>" in audit
    assert ">instance_started</strong>" not in audit


def test_an_unknown_event_type_falls_back_to_its_raw_name():
    assert event_label("something_new") == "something_new"
    assert event_label("instance_started") == "Instance started"


def test_every_group_has_event_types():
    for group in GROUPS:
        assert any(group in groups for _, groups in EVENT_TYPES.values()), group


def test_a_variable_edit_shows_old_and_new_values_not_raw_json(client, bob, edited):
    client.force_login(bob)
    body = client.get(url(edited), {"audit_actor": "alice"}).content.decode()
    audit = body.split('id="audit"', 1)[1]
    assert (
        '<code>note</code> <code class="value old">&quot;first&quot;</code> → <code class="value">&quot;second&quot;</code>'
        in audit
    )
    assert '<code>extra</code> <span class="muted">(new)</span> <code class="value">1</code>' in audit
    assert "Reason: fix the note" in audit
    assert "&quot;diff&quot;" not in audit
