from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from operate import heatmap
from orchestration import selectors
from orchestration.models import ElementInstance

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


# -- the duration heatmap (?overlay=duration) ------------------------------------------------

TIMED_XML = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0">
  <process id="timed" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="fast"/>
    <serviceTask id="fast" name="Fast step">
      <extensionElements><zeebe:taskDefinition type="fast"/></extensionElements>
    </serviceTask>
    <sequenceFlow id="f2" sourceRef="fast" targetRef="slow"/>
    <userTask id="slow" name="Slow &lt;review&gt;"/>
    <sequenceFlow id="f3" sourceRef="slow" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""

# seconds from start to end of the completed element instances, per element
FAST = (1, 2, 3, 23)  # median 2.5, p95 3 + 20 * 0.85 = 20
SLOW = (60, 120, 180)  # median 120, p95 120 + 60 * 0.9 = 174


@pytest.fixture
def timed(db, make_definition, make_instance):
    """A version whose element instances took known times; "end" was never reached."""
    definition = make_definition("timed", 1, xml=TIMED_XML)
    t0 = timezone.now() - dt.timedelta(days=1)
    instances = [make_instance(definition, f"T-{n}", started_at=t0) for n in range(4)]

    def row(instance, element_id, seconds, state=ElementInstance.State.COMPLETED, element_type="serviceTask"):
        ElementInstance.objects.create(
            instance=instance,
            element_id=element_id,
            element_type=element_type,
            state=state,
            started_at=t0,
            ended_at=None if state == ElementInstance.State.ACTIVE else t0 + dt.timedelta(seconds=seconds),
        )

    for instance, seconds in zip(instances, FAST, strict=True):
        row(instance, "start", 0, element_type="startEvent")
        row(instance, "fast", seconds)
    for instance, seconds in zip(instances, SLOW, strict=False):
        row(instance, "slow", seconds, element_type="userTask")
    # neither an active nor a terminated element instance has a duration, nor a multi-instance body
    row(instances[3], "slow", 0, state=ElementInstance.State.ACTIVE, element_type="userTask")
    row(instances[3], "fast", 10_000, state=ElementInstance.State.TERMINATED)
    row(instances[3], "fast", 10_000, element_type="multiInstanceBody")
    return definition


def _svg(body: str) -> etree._Element:
    start = body.index("<svg")
    return etree.fromstring(body[start : body.index("</svg>", start) + len("</svg>")].encode())


def _node(tree: etree._Element, element_id: str) -> etree._Element:
    (found,) = tree.xpath("//*[@data-element-id=$id]", id=element_id)
    return found


def test_durations_per_element_are_the_median_and_p95_of_completed_element_instances(timed):
    elements = selectors.diagram_counts_for_definition(timed, durations=True).elements
    assert elements["fast"]["median"] == pytest.approx(2.5)
    assert elements["fast"]["p95"] == pytest.approx(20)
    assert elements["fast"]["completed"] == 4
    assert elements["slow"]["median"] == pytest.approx(120)
    assert elements["slow"]["p95"] == pytest.approx(174)
    assert elements["slow"]["active"] == 1
    assert elements["start"]["median"] == 0
    assert "end" not in elements
    assert "median" not in selectors.diagram_counts_for_definition(timed).elements["fast"]


def test_the_sqlite_fallback_computes_the_same_percentiles_in_python(timed, monkeypatch):
    from django.db import connection

    in_sql = selectors.diagram_counts_for_definition(timed, durations=True).elements
    monkeypatch.setattr(connection, "vendor", "sqlite")
    in_python = selectors.diagram_counts_for_definition(timed, durations=True).elements
    for element_id in ("start", "fast", "slow"):
        assert in_python[element_id]["median"] == pytest.approx(in_sql[element_id]["median"])
        assert in_python[element_id]["p95"] == pytest.approx(in_sql[element_id]["p95"])


def test_the_duration_overlay_colours_the_slowest_element_strongest(client, bob, timed):
    client.force_login(bob)
    body = client.get(url(timed.key) + "?overlay=duration").content.decode()
    tree = _svg(body)
    classes = {i: set(_node(tree, i).get("class").split()) for i in ("start", "fast", "slow", "end")}
    assert f"bpmn-heat-{heatmap.STEPS}" in classes["slow"]
    assert "bpmn-heat-1" in classes["fast"] and "bpmn-heat-1" in classes["start"]
    assert not any(c.startswith("bpmn-heat") for c in classes["end"])
    # the strongest colour is the last of the scale, drawn as the fill of that step
    assert f".bpmn-heat-{heatmap.STEPS}>.bpmn-shape{{fill:{heatmap.HEAT_FILLS[-1]}" in body
    slow_title = _node(tree, "slow").findtext("{http://www.w3.org/2000/svg}title")
    assert "median 2.0 min \u00b7 p95 2.9 min \u00b7 3 completed" in slow_title
    fast_title = _node(tree, "fast").findtext("{http://www.w3.org/2000/svg}title")
    assert "median 2.5 s \u00b7 p95 20.0 s \u00b7 4 completed" in fast_title
    badges = tree.xpath("//*[contains(@class, 'bpmn-badge-duration')]//text()")
    assert sorted(badges) == ["0 ms", "2.0 min", "2.5 s"]
    assert "Slowest: <code>slow</code>, median 2.0 min" in body
    # counts are not drawn on the heatmap
    assert tree.xpath("//*[contains(@class, 'bpmn-badge-completed')]") == []


def test_the_counts_overlay_is_the_default_and_has_no_heat(client, bob, timed):
    client.force_login(bob)
    for query in ("", "?overlay=counts", "?overlay=%3Cscript%3E"):
        response = client.get(url(timed.key) + query)
        assert response.status_code == 200
        body = response.content.decode()
        tree = _svg(body)
        assert tree.xpath("//*[contains(@class, 'bpmn-heat')]") == []
        assert tree.xpath("//*[contains(@class, 'bpmn-badge-completed')]")
        assert "&lt;script&gt;" not in body and "overlay=%3Cscript" not in body


def test_the_overlay_switch_is_a_plain_link_and_element_links_keep_the_overlay(client, bob, timed):
    client.force_login(bob)
    counts = client.get(url(timed.key)).content.decode()
    nav = counts.split('aria-label="Diagram overlay"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{url(timed.key)}?overlay=duration#diagram"' in nav
    assert 'aria-current="page">Counts</a>' in nav
    assert 'href="?element=slow"' in counts

    duration = client.get(url(timed.key) + "?overlay=duration").content.decode()
    nav = duration.split('aria-label="Diagram overlay"', 1)[1].split("</nav>", 1)[0]
    assert 'aria-current="page">Duration</a>' in nav
    assert 'href="?element=slow&amp;overlay=duration"' in duration


def test_the_element_panel_shows_the_duration_of_the_selected_element(client, bob, timed):
    client.force_login(bob)
    body = client.get(url(timed.key) + "?overlay=duration&element=fast").content.decode()
    panel = body.split('id="element-panel"', 1)[1]
    assert "median 2.5 s \u00b7 p95 20.0 s \u00b7 4 completed" in panel
    assert f'href="{url(timed.key)}?overlay=duration#diagram">Close' in panel
    unreached = client.get(url(timed.key) + "?overlay=duration&element=end").content.decode()
    assert "<dt>Duration</dt><dd>none completed</dd>" in unreached.split('id="element-panel"', 1)[1]


def test_a_version_without_completed_element_instances_says_there_is_nothing_to_time(
    client, bob, timed, make_definition
):
    fresh = make_definition("timed", 2, xml=TIMED_XML)
    client.force_login(bob)
    body = client.get(url(fresh.key) + "?overlay=duration").content.decode()
    assert "nothing to time" in body
    assert _svg(body).xpath("//*[contains(@class, 'bpmn-heat')]") == []


def test_the_heatmap_is_for_viewers_only(client, bob, dave, timed):
    assert client.get(url(timed.key) + "?overlay=duration").status_code == 302
    client.force_login(dave)
    assert client.get(url(timed.key) + "?overlay=duration").status_code == 403
    client.force_login(bob)  # support: reads, and there is nothing to change on this page
    response = client.get(url(timed.key) + "?overlay=duration")
    assert response.status_code == 200
    assert b"<form" not in response.content.split(b'id="diagram"', 1)[1].split(b"</section>", 1)[0]


def test_the_page_with_the_heatmap_costs_no_more_queries_than_with_counts(
    client, bob, timed, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(url(timed.key))  # warm the model cache, as a running server has
    with CaptureQueriesContext(connection) as counts:
        client.get(url(timed.key))
    with django_assert_max_num_queries(len(counts.captured_queries)):
        response = client.get(url(timed.key) + "?overlay=duration&element=slow")
    assert response.status_code == 200
    with django_assert_max_num_queries(8):
        client.get(url(timed.key) + "?overlay=duration")
    percentiles = [q["sql"] for q in counts.captured_queries if "percentile_cont" in q["sql"]]
    assert percentiles == []  # the counts overlay does not sort for percentiles
