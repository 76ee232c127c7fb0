"""The duration heatmap times the newest DURATION_SAMPLE completed element instances of a
version (newest by key: keys are time-ordered), on PostgreSQL and SQLite alike, while the
counts stay over all of them; the legend says so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from orchestration import selectors
from orchestration.models import ElementInstance
from tests.operate.test_process import TIMED_XML, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def sampled(db, make_definition, make_instance, monkeypatch):
    """Six completed "fast" element instances, made oldest first: 100 s thrice, then 1, 2, 3 s."""
    definition = make_definition("timed", 1, xml=TIMED_XML)
    t0 = timezone.now() - dt.timedelta(days=1)
    instance = make_instance(definition, "T-1", started_at=t0)
    for seconds in (100, 100, 100, 1, 2, 3):
        ElementInstance.objects.create(
            instance=instance,
            element_id="fast",
            element_type="serviceTask",
            state=ElementInstance.State.COMPLETED,
            started_at=t0,
            ended_at=t0 + dt.timedelta(seconds=seconds),
        )
    monkeypatch.setattr(selectors, "DURATION_SAMPLE", 3)
    return definition


def test_percentiles_come_from_the_newest_completed_element_instances_only(sampled):
    fast = selectors.diagram_counts_for_definition(sampled, durations=True).elements["fast"]

    assert fast["completed"] == 6  # the counts are over every element instance
    assert fast["median"] == pytest.approx(2.0)  # of 1, 2, 3 s: the three 100 s ones are older
    assert fast["p95"] == pytest.approx(2.9)


def test_without_the_cap_the_older_ones_count_too(sampled, monkeypatch):
    monkeypatch.setattr(selectors, "DURATION_SAMPLE", 100)

    fast = selectors.diagram_counts_for_definition(sampled, durations=True).elements["fast"]

    assert fast["median"] == pytest.approx(51.5)


def test_the_legend_names_the_sample(client, bob, sampled):
    client.force_login(bob)

    body = client.get(url(sampled.key) + "?overlay=duration").content.decode()

    assert "Median time over the newest 3 completed element instances" in body
