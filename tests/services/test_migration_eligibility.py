"""The eligibility report in one pass: each instance's signature (its active elements and
open waits) is computed once in SQL, grouped, counted, and sampled oldest first with a window
function; the number of queries does not grow with the number of instances."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orchestration import services
from orchestration.models import ElementInstance, MessageSubscription, ProcessInstance
from orchestration.services.migration_eligibility import eligibility_report

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def deploy(name: str):
    (definition,) = services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="admin").definitions
    return definition


@pytest.fixture
def plan(db):
    v1, v2 = deploy("migration_page_v1"), deploy("migration_page_v2")
    return v1, services.generate_plan(v1, v2)


def start(v1, business_key: str, path: str = "a") -> ProcessInstance:
    return services.start_instance(definition=v1, business_key=business_key, variables={"path": path}, actor="test")


def test_instances_with_the_same_waits_are_one_group_sampled_oldest_first(plan):
    v1, migration_plan = plan
    a = [start(v1, f"A-{n}") for n in range(7)]
    c = [start(v1, f"C-{n}", path="c") for n in range(3)]

    report = eligibility_report(migration_plan, ProcessInstance.objects.all(), sample_size=4)

    assert (report.total, report.eligible.count, report.blocked_count, report.signatures) == (10, 7, 3, 2)
    assert report.eligible.sample == [(i.key, i.business_key) for i in a[:4]]
    assert report.eligible.active_elements == {"Task_A"}
    (blocked,) = report.blocked
    assert blocked.sample == [(i.key, i.business_key) for i in c]
    assert "Task_C" in blocked.problems[0]


def test_an_open_message_subscription_is_part_of_the_signature(plan):
    v1, migration_plan = plan
    plain, waiting = start(v1, "A-1"), start(v1, "A-2")
    task = ElementInstance.objects.get(instance_id=waiting.key, state="active")
    MessageSubscription.objects.create(
        definition=v1,
        instance=waiting,
        element_instance_key=task.key,
        element_id="Task_A",
        message_name="nudge",
        created_at=timezone.now(),
    )

    report = eligibility_report(migration_plan, ProcessInstance.objects.all())

    assert report.total == 2 and report.signatures == 2  # same active element, one more open wait
    assert {key for group in [report.eligible, *report.blocked] for key, _ in group.sample} == {plain.key, waiting.key}


def test_ended_and_other_version_instances_are_left_out(plan):
    v1, migration_plan = plan
    kept = start(v1, "A-1")
    ended = start(v1, "A-2")
    services.cancel_instance(ended.key, actor="test", reason="test")

    report = eligibility_report(migration_plan, ProcessInstance.objects.all())

    assert (report.total, report.eligible.sample) == (1, [(kept.key, kept.business_key)])


def test_the_number_of_queries_does_not_grow_with_the_instances(plan):
    v1, migration_plan = plan
    counts = []
    for batch in (4, 40):
        for n in range(batch):
            start(v1, f"B{batch}-{n}", path="c" if n % 4 == 0 else "a")
        with CaptureQueriesContext(connection) as queries:
            report = eligibility_report(migration_plan, ProcessInstance.objects.all())
        counts.append(len(queries.captured_queries))
    assert report.total == 44
    assert counts[0] == counts[1]
