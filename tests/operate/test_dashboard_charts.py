"""Dashboard charts: pure figure builders, the series behind them, json_script, live refresh, static plotly."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from operate import charts
from orchestration import reports

URL = reverse("operate:home")
STATIC = Path(settings.BASE_DIR) / "static" / "js"


def test_throughput_figure_is_a_valid_plotly_figure_with_two_series():
    minutes = [dt.datetime(2025, 1, 1, 12, m, tzinfo=dt.UTC) for m in range(3)]
    figure = charts.throughput_figure(minutes, [1, 0, 4], [0, 2, 1])
    go.Figure(figure)  # raises on anything plotly does not know
    started, completed = figure["data"]
    assert (started["name"], started["y"], completed["y"]) == ("started", [1, 0, 4], [0, 2, 1])
    assert started["x"][0] == "2025-01-01T12:00:00+00:00"
    json.dumps(figure)


def test_duration_figure_bins_every_duration_in_a_readable_unit():
    seconds = [30, 45, 90, 100, 150, 600]
    figure = charts.duration_figure(seconds)
    go.Figure(figure)
    (bars,) = figure["data"]
    assert sum(bars["y"]) == len(seconds)
    assert "min" in figure["layout"]["xaxis"]["title"]["text"]


@pytest.mark.parametrize(
    ("seconds", "unit"), [([1, 2, 3], "s"), ([120, 300], "min"), ([7200, 9000], "h"), ([3 * 86400], "d"), ([], "s")]
)
def test_duration_unit_follows_the_median(seconds, unit):
    assert charts.duration_unit(seconds)[0] == unit


def test_duration_bins_of_nothing_are_empty():
    assert charts.duration_bins([]) == ("s", [], [], 0.0)


@pytest.mark.django_db
def test_throughput_counts_per_minute_over_the_last_hour(world, make_instance):
    now = timezone.now()
    make_instance(world.order_v1, "T-1", started_at=now - dt.timedelta(minutes=2, seconds=1))
    make_instance(world.order_v1, "T-2", started_at=now - dt.timedelta(minutes=90))
    done = make_instance(world.order_v1, "T-3", state="completed", started_at=now - dt.timedelta(minutes=9))
    series = reports.count_throughput_per_minute(now=now)
    assert len(series.minutes) == len(series.started) == 60
    assert series.minutes[-1] == now.replace(second=0, microsecond=0)
    # the world's four started a few minutes ago, T-1 and T-3 too; T-2 is older than an hour
    assert sum(series.started) == 6
    # T-3 ended 5 minutes after its start (4 minutes ago); the world's completed one "ends" in the future
    assert sum(series.completed) == 1 and series.completed[-5] == 1
    durations = reports.list_completed_durations(now=now)
    assert sorted(durations) == [300.0, 300.0]
    assert done.key


@pytest.mark.django_db
def test_dashboard_passes_the_figures_with_json_script(client, bob, world):
    client.force_login(bob)
    response = client.get(URL)
    body = response.content.decode()
    assert 'data-chart="throughput-chart"' in body
    payload = re.search(r'<script id="throughput-chart" type="application/json">(.*?)</script>', body, re.S)
    assert json.loads(payload.group(1))["data"][0]["name"] == "started"
    assert 'id="duration-chart"' in body
    assert "/static/js/plotly.min.js" in body and "/static/js/charts.js" in body
    assert "cdn" not in body.lower()


@pytest.mark.django_db
def test_dashboard_without_completed_instances_says_so(client, bob):
    client.force_login(bob)
    assert b"No instance completed in the last 24 hours" in client.get(URL).content


@pytest.mark.django_db
def test_htmx_poll_gets_the_live_partial_with_its_charts(client, bob, world):
    client.force_login(bob)
    body = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert body.lstrip().startswith('<div id="live"')
    assert 'hx-trigger="every 10s"' in body
    assert 'id="throughput-chart"' in body and "<html" not in body


@pytest.mark.django_db
def test_dashboard_with_charts_keeps_its_query_budget(client, bob, world, django_assert_max_num_queries):
    client.force_login(bob)
    with django_assert_max_num_queries(10):
        client.get(URL)


@pytest.mark.django_db
def test_dashboard_needs_a_role(client, dave):
    client.force_login(dave)
    assert client.get(URL).status_code == 403
    assert client.get(URL, headers={"HX-Request": "true"}).status_code == 403


def test_plotly_and_the_chart_script_are_served_from_static_files():
    plotly_js = STATIC / "plotly.min.js"
    assert plotly_js.stat().st_size > 1_000_000
    assert "plotly.js v" in plotly_js.read_text(errors="ignore")[:200]
    script = (STATIC / "charts.js").read_text()
    assert "json" in script.lower() and "htmx:load" in script and "data-chart" in script


@pytest.mark.parametrize("seconds", [[5, 6, 7], [5] * 3 + [40] * 2, [float(s) for s in range(1, 400)], [9.0] * 230])
def test_duration_histogram_y_axis_has_whole_number_ticks_only(seconds):
    figure = charts.duration_figure(seconds)
    go.Figure(figure)
    yaxis = figure["layout"]["yaxis"]
    assert yaxis["tickformat"] == "d"
    assert yaxis["tickmode"] == "linear" and yaxis["tick0"] == 0
    assert isinstance(yaxis["dtick"], int) and yaxis["dtick"] >= 1
    peak = max(figure["data"][0]["y"])
    assert peak // yaxis["dtick"] <= 10  # a handful of ticks, not one per instance


def test_throughput_y_axis_has_whole_number_ticks_even_when_quiet():
    minutes = [dt.datetime(2025, 1, 1, 12, m, tzinfo=dt.UTC) for m in range(2)]
    yaxis = charts.throughput_figure(minutes, [0, 1], [0, 0])["layout"]["yaxis"]
    assert (yaxis["dtick"], yaxis["tickformat"]) == (1, "d")
