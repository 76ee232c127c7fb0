"""The incidents triage board: groups across versions, sparklines, jobs still retrying, retry all."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from operate.charts import sparkline
from orchestration import reports
from orchestration.models import Job

URL = reverse("operate:incidents")

pytestmark = pytest.mark.django_db


def test_groups_span_processes_and_versions(client, bob, world, make_incident):
    make_incident(world.waiting, "HTTP 503 from payment gateway after 12 ms")  # order v1
    make_incident(world.cancelled, "HTTP 500 from payment gateway after 1 ms")  # refund v1
    client.force_login(bob)
    response = client.get(URL)
    (group,) = response.context["groups"]
    assert (group.count, group.instance_count) == (3, 3)
    assert group.versions == [("order", 1, 1), ("order", 2, 1), ("refund", 1, 1)]
    body = response.content.decode()
    assert "order v1" in body and "refund v1" in body


def test_sparkline_counts_incidents_per_hour_over_a_day(world, make_incident):
    now = timezone.now()
    for hours_ago in (0, 0, 2, 30):
        make_incident(world.waiting, "timeout after 5 s", created_at=now - dt.timedelta(hours=hours_ago))
    groups = {g.fingerprint: g for g in reports.list_incident_board(now=now)}
    hourly = groups["timeout after <n> s"].hourly
    assert len(hourly) == 24
    assert hourly[-1] == 2 and hourly[-3] == 1 and sum(hourly) == 3  # 30 h ago is outside the window


def test_the_sparkline_is_inline_svg(client, bob, world):
    client.force_login(bob)
    body = client.get(URL).content.decode()
    assert '<svg class="sparkline"' in body and "<polyline points=" in body


def test_sparkline_points_scale_to_the_peak():
    line = sparkline([0, 2, 4], width=100, height=20)
    assert line.points == "2.0,18.0 50.0,10.0 98.0,2.0"
    assert (line.peak, line.total) == (4, 6)
    assert sparkline([0, 0]).points.endswith(",22.0")  # flat at the bottom when nothing happened


def test_jobs_still_retrying_are_shown_before_they_become_incidents(client, bob, world):
    Job.objects.filter(type="payment.charge").update(
        retries=2, attempts=1, error_message="connection reset by peer", retry_at=timezone.now()
    )
    client.force_login(bob)
    response = client.get(URL)
    retrying = response.context["retrying"]
    assert retrying.count == 1
    assert retrying.jobs[0].fingerprint == "connection reset by peer"
    assert "connection reset by peer" in response.content.decode()


def test_a_job_without_a_failed_attempt_is_not_retrying(client, bob, world):
    client.force_login(bob)
    assert client.get(URL).context["retrying"].count == 0


def test_operators_get_retry_all_per_group_support_does_not(client, alice, bob, world):
    retry_all = reverse("operate:batch_new") + "?kind=retry_incidents&amp;state=incident&amp;fingerprint="
    client.force_login(alice)
    assert retry_all in client.get(URL).content.decode()
    client.force_login(bob)
    assert retry_all not in client.get(URL).content.decode()


def test_retry_all_previews_the_group_then_creates_a_batch(client, alice, world):
    fingerprint = world.incident.fingerprint
    client.force_login(alice)
    preview = client.get(
        reverse("operate:batch_new"), {"kind": "retry_incidents", "state": "incident", "fingerprint": fingerprint}
    )
    assert preview.context["preview"].count == 1
    response = client.post(
        reverse("operate:batch_new"), {"kind": "retry_incidents", "state": "incident", "fingerprint": fingerprint}
    )
    assert response.status_code == 302
    from orchestration.models import BatchOperation

    batch = BatchOperation.objects.get()
    assert (batch.kind, batch.total, batch.params) == ("retry_incidents", 1, {"fingerprint": fingerprint})


def test_htmx_poll_gets_only_the_board(client, bob, world):
    client.force_login(bob)
    body = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert 'id="board"' in body and "<html" not in body


def test_board_query_count_does_not_grow(
    client, alice, world, make_instance, make_incident, django_assert_max_num_queries
):
    for n in range(30):
        instance = make_instance(world.order_v2 if n % 2 else world.order_v1, f"B-{n}")
        make_incident(instance, f"error number {n} in step 'x{n}'")
    client.force_login(alice)
    with django_assert_max_num_queries(9):
        response = client.get(URL)
    assert len(response.context["groups"]) == 2
