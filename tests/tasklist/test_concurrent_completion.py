"""Two users completing the same task at the same moment: exactly one succeeds.

Real transactions on PostgreSQL (transactional_db), one connection per thread; the
instance row lock serialises the two commands and the second sees a completed task.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from orchestration.exceptions import InvalidState
from orchestration.models import AuditEvent, UserTask
from orchestration.services import user_task_assignment as assignment
from orchestration.services.user_tasks import complete_user_task

from .conftest import deploy_fixture, start_order

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks")


def race(*calls):
    """Run the calls at once (released by one barrier); each result is a value or an exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_users_completing_the_same_task_at_once_only_one_succeeds():
    deploy_fixture("order_approval")
    task = start_order("ORD-RACE")
    results = race(
        lambda: complete_user_task(task.key, actor="carol", variables={"amount": 1}),
        lambda: complete_user_task(task.key, actor="erin", variables={"amount": 2}),
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 1
    assert isinstance(failures[0], InvalidState)
    assert "already completed" in failures[0].message
    done = UserTask.objects.get(key=task.key)
    assert done.state == "completed"
    assert (
        AuditEvent.objects.filter(type="user_task_completed", element_instance_key=task.element_instance_key).count()
        == 1
    )
    assert UserTask.objects.filter(instance=task.instance, element_id="ship").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_assignee_double_submitting_from_two_tabs_completes_once_with_a_clear_message():
    deploy_fixture("order_approval")
    task = start_order("ORD-TABS")
    assignment.claim_user_task(task.key, actor="carol")
    results = race(
        *[
            (
                lambda: assignment.complete_assigned_user_task(
                    task.key, actor="carol", assignee="carol", variables={"amount": 5}
                )
            )
            for _ in range(3)
        ]
    )
    failures = [r for r in results if isinstance(r, Exception)]
    assert len(failures) == 2
    assert all(isinstance(f, InvalidState) and "already completed by you" in f.message for f in failures)
    assert UserTask.objects.filter(instance=task.instance, element_id="ship").count() == 1
