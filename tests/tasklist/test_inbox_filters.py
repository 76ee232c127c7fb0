"""Inbox views, filters, sort, variable columns, saved filters, live refresh and bulk actions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from orchestration.models import MaskedVariable, SavedTaskFilter, UserTask, Variable

URL = reverse("tasklist:inbox")

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    return [t.name for t in response.context["tasks"]]


@pytest.fixture
def mixed(tasks, make_task):
    """Extra tasks with dates and priorities on the "tasks" instance."""
    now = timezone.now()
    make_task(tasks.instance, "Late one", assignee="carol", due_date=now - dt.timedelta(days=1), priority=10)
    make_task(
        tasks.instance,
        "Soon one",
        candidate_groups=["finance"],
        due_date=now + dt.timedelta(days=2),
        priority=90,
        follow_up_date=now + dt.timedelta(days=1),
    )
    return tasks


def test_views_split_mine_group_all_and_completed(client, carol, mixed):
    client.force_login(carol)
    assert set(names(client.get(URL, {"view": "mine"}))) == {"Assigned to carol", "Late one"}
    assert set(names(client.get(URL, {"view": "group"}))) == {"For finance", "Soon one"}
    assert set(names(client.get(URL, {"view": "all"}))) == {
        "Assigned to carol",
        "Late one",
        "For finance",
        "Soon one",
        "Offered to carol",
    }
    UserTask.objects.filter(name="Done by carol").update(completed_by="carol")
    assert names(client.get(URL, {"view": "completed"})) == ["Done by carol"]


def test_filters_by_process_business_key_name_dates_and_priority(client, carol, mixed):
    client.force_login(carol)
    today = timezone.now().date()
    assert set(names(client.get(URL, {"name": "one"}))) == {"Late one", "Soon one"}
    assert names(client.get(URL, {"priority_min": "50", "name": "one"})) == ["Soon one"]
    assert names(client.get(URL, {"priority_max": "20"})) == ["Late one"]
    assert names(client.get(URL, {"due_before": str(today)})) == ["Late one"]
    assert names(client.get(URL, {"due_after": str(today + dt.timedelta(days=1))})) == ["Soon one"]
    assert names(
        client.get(URL, {"follow_up_after": str(today), "follow_up_before": str(today + dt.timedelta(days=1))})
    ) == ["Soon one"]
    assert len(names(client.get(URL, {"business_key": "ORD"}))) == 5
    assert names(client.get(URL, {"business_key": "XYZ"})) == []
    assert len(names(client.get(URL, {"process": "order"}))) == 5
    assert names(client.get(URL, {"process": "kyc"})) == []


def test_filter_by_variable_value(client, carol, mixed):
    client.force_login(carol)
    assert len(names(client.get(URL, {"variable": "amount=120"}))) == 5
    assert names(client.get(URL, {"variable": "amount=7"})) == []


def test_a_masked_variable_cannot_be_used_as_a_filter(client, carol, mixed):
    MaskedVariable.objects.create(bpmn_process_id="order", name="amount")
    client.force_login(carol)
    response = client.get(URL, {"variable": "amount=120"})
    assert names(response) == []
    assert "protected variable" in response.content.decode()


def test_sort_by_due_priority_or_created(client, carol, mixed):
    client.force_login(carol)
    assert names(client.get(URL, {"sort": "due"}))[:2] == ["Late one", "Soon one"]
    assert names(client.get(URL, {"sort": "priority"}))[0] == "Soon one"
    assert names(client.get(URL, {"sort": "priority"}))[-1] == "Late one"
    assert names(client.get(URL, {"sort": "created"}))[0] == "Soon one"


def test_business_variables_are_shown_as_columns_and_masked(client, carol, mixed):
    MaskedVariable.objects.create(bpmn_process_id="order", name="note")
    client.force_login(carol)
    response = client.get(URL, {"columns": "amount, note, missing"})
    row = response.context["inbox"].rows[0]
    assert row.columns == [120, "••••••", None]
    body = response.content.decode()
    assert "<th>amount</th>" in body
    assert "&lt;b&gt;rush" not in body


def test_invalid_filter_shows_the_error_and_no_tasks(client, carol, mixed):
    client.force_login(carol)
    response = client.get(URL, {"due_after": "yesterday"})
    assert names(response) == []
    assert "Enter a valid date." in response.content.decode()


def test_overdue_tasks_are_marked(client, carol, mixed):
    client.force_login(carol)
    response = client.get(URL, {"view": "mine"})
    overdue = {r.task.name for r in response.context["inbox"].rows if r.overdue}
    assert overdue == {"Late one"}
    assert 'class="overdue"' in response.content.decode()


def test_boundary_timer_of_a_task_appears_as_sla_countdown(client, carol, order):
    client.force_login(carol)
    response = client.get(URL)
    row = response.context["inbox"].rows[0]
    assert row.sla_due is not None
    assert "in 3" in response.content.decode()


def test_htmx_refresh_returns_only_the_list_and_keeps_polling(client, carol, mixed):
    client.force_login(carol)
    response = client.get(URL, {"view": "mine"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="tasks"')
    assert 'hx-trigger="every 10s' in body
    assert "view=mine" in body
    assert "<html" not in body


def test_full_page_polls_the_list_partial_and_sends_csrf_with_htmx(client, carol, mixed):
    client.force_login(carol)
    body = client.get(URL).content.decode()
    assert 'hx-trigger="every 10s' in body
    assert "X-CSRFToken" in body
    assert "django_htmx/htmx.min.js" in body


# -- saved filters ----------------------------------------------------------------------


def test_save_a_filter_with_columns_and_see_its_live_count(client, carol, mixed):
    client.force_login(carol)
    response = client.post(
        URL, {"action": "save_filter", "filter_name": "Urgent", "query": "view=all&priority_min=60&columns=amount"}
    )
    saved = SavedTaskFilter.objects.get()
    assert (saved.name, saved.owner, saved.criteria, saved.columns) == (
        "Urgent",
        carol,
        {"view": "all", "priority_min": "60"},
        ["amount"],
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.context["saved_filters"][0][1] == 1
    assert names(page) == ["Soon one"]
    UserTask.objects.filter(name="For finance").update(priority=70)
    assert client.get(URL).context["saved_filters"][0][1] == 2


def test_a_filter_shared_with_a_group_is_seen_by_its_members_only(client, carol, erin, mixed):
    client.force_login(carol)
    client.post(
        URL, {"action": "save_filter", "filter_name": "Finance", "share_with": "finance", "query": "view=group"}
    )
    assert SavedTaskFilter.objects.get().shared_with == Group.objects.get(name="finance")
    client.force_login(erin)
    assert client.get(URL).context["saved_filters"] == []
    erin.groups.add(Group.objects.get(name="finance"))
    shared = client.get(URL).context["saved_filters"]
    assert [s.name for s, _, _ in shared] == ["Finance"]


def test_a_shared_filter_counts_what_the_viewer_may_see(client, carol, erin, mixed):
    client.force_login(carol)
    client.post(URL, {"action": "save_filter", "filter_name": "Mine", "share_with": "approver", "query": "view=mine"})
    client.force_login(erin)
    assert client.get(URL).context["saved_filters"][0][1] == 0


def test_only_the_owner_deletes_a_filter(client, carol, erin, mixed):
    saved = SavedTaskFilter.objects.create(name="x", owner=carol, shared_with=Group.objects.get(name="approver"))
    client.force_login(erin)
    assert client.post(URL, {"action": "delete_filter", "filter": str(saved.key)}).status_code == 404
    client.force_login(carol)
    client.post(URL, {"action": "delete_filter", "filter": str(saved.key)})
    assert not SavedTaskFilter.objects.exists()


def test_a_filter_without_a_name_is_not_saved(client, carol, mixed):
    client.force_login(carol)
    client.post(URL, {"action": "save_filter", "filter_name": "", "query": "view=mine"})
    assert not SavedTaskFilter.objects.exists()


# -- bulk actions --------------------------------------------------------------------------


def test_a_lead_bulk_claims_selected_tasks(client, frank, tasks, make_task):
    a = make_task(tasks.instance, "Bulk A", candidate_groups=["approver"])
    b = make_task(tasks.instance, "Bulk B", candidate_groups=["approver"])
    client.force_login(frank)
    assert 'name="task"' in client.get(URL).content.decode()
    client.post(URL, {"action": "bulk_claim", "task": [str(a.key), str(b.key)]})
    assert set(UserTask.objects.filter(key__in=[a.key, b.key]).values_list("assignee", flat=True)) == {"frank"}


def test_a_lead_bulk_assigns_only_to_an_eligible_user(client, frank, erin, alice, tasks, make_task):
    a = make_task(tasks.instance, "Bulk A", candidate_groups=["approver"])
    client.force_login(frank)
    client.post(URL, {"action": "bulk_assign", "task": [str(a.key)], "assignee": "alice"})
    assert UserTask.objects.get(key=a.key).assignee == ""
    client.post(URL, {"action": "bulk_assign", "task": [str(a.key)], "assignee": "erin"})
    assert UserTask.objects.get(key=a.key).assignee == "erin"


def test_bulk_claim_skips_tasks_someone_holds_and_says_so(client, frank, tasks, make_task):
    held = make_task(tasks.instance, "Held", candidate_groups=["approver"], assignee="zoe")
    free = make_task(tasks.instance, "Free", candidate_groups=["approver"])
    client.force_login(frank)
    response = client.post(URL, {"action": "bulk_claim", "task": [str(held.key), str(free.key)]}, follow=True)
    assert UserTask.objects.get(key=held.key).assignee == "zoe"
    assert UserTask.objects.get(key=free.key).assignee == "frank"
    assert "already claimed by someone else" in response.content.decode()


def test_an_approver_who_is_not_a_lead_may_not_bulk_assign(client, carol, tasks):
    client.force_login(carol)
    assert 'name="task"' not in client.get(URL).content.decode()
    assert client.post(URL, {"action": "bulk_claim", "task": [str(tasks.offered.key)]}).status_code == 403
    assert UserTask.objects.get(key=tasks.offered.key).assignee == ""


def test_bulk_ignores_tasks_the_lead_may_not_see(client, frank, tasks):
    client.force_login(frank)
    client.post(URL, {"action": "bulk_claim", "task": [str(tasks.to_other_group.key)]})
    assert UserTask.objects.get(key=tasks.to_other_group.key).assignee == ""


def test_variables_in_columns_come_from_one_query(client, carol, tasks, make_task, django_assert_max_num_queries):
    for n in range(20):
        make_task(tasks.instance, f"T{n}", candidate_groups=["finance"])
    Variable.objects.create(
        instance=tasks.instance, scope_key=tasks.instance.key, name="region", value="EU", value_text="EU"
    )
    client.force_login(carol)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"columns": "amount,region"})
    assert len(response.context["tasks"]) == 23
