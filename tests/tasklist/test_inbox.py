from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

URL = reverse("tasklist:inbox")

pytestmark = pytest.mark.django_db


def names_of(response) -> set[str]:
    return {t.name for t in response.context["tasks"]}


def test_logged_out_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave):
    client.force_login(dave)
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_operate_roles_without_task_role_are_forbidden(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_approver_sees_tasks_assigned_offered_or_for_her_groups(client, carol, tasks):
    client.force_login(carol)
    response = client.get(URL)
    assert response.status_code == 200
    assert names_of(response) == {"Assigned to carol", "Offered to carol", "For finance"}
    body = response.content.decode()
    assert "ORD-7" in body
    assert reverse("tasklist:task", args=[tasks.offered.key]) in body


def test_candidate_user_must_match_the_whole_name(client, carol, tasks):
    client.force_login(carol)
    assert "Offered to carolyn" not in names_of(client.get(URL))


def test_approver_outside_the_groups_sees_nothing_of_them(client, erin, tasks):
    client.force_login(erin)
    response = client.get(URL)
    assert names_of(response) == set()
    assert b"No open tasks for you" in response.content


def test_admin_sees_every_open_task(client, root, tasks):
    client.force_login(root)
    assert len(names_of(client.get(URL))) == 6


def test_tasks_due_soonest_come_first(client, carol, tasks, make_task):
    make_task(tasks.instance, "Urgent", assignee="carol", due_date=timezone.now() + dt.timedelta(hours=1))
    client.force_login(carol)
    assert client.get(URL).context["tasks"][0].name == "Urgent"


def test_inbox_query_count_does_not_grow_with_tasks(client, carol, tasks, make_task, django_assert_max_num_queries):
    for n in range(30):
        make_task(tasks.instance, f"Bulk {n}", candidate_groups=["approver"])
    client.force_login(carol)
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    assert len(response.context["tasks"]) == 33
