"""The task page's actions against a deployed process: claim, unclaim, assign, delegate,
comment, dates, complete (with its form), and the clear answers when it is too late."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from orchestration.models import AuditEvent, ElementInstance, MaskedVariable, TaskComment, UserTask, Variable

pytestmark = pytest.mark.django_db

VALID = {"f-amount": "300", "f-approved": "on", "f-shipBy": "2030-05-01", "f-channel": "courier", "f-note": "fine"}


def url(task) -> str:
    return reverse("tasklist:task", args=[task.key])


def act(client, task, action: str, **data):
    return client.post(url(task), {"action": action, **data})


def refreshed(task) -> UserTask:
    return UserTask.objects.get(key=task.key)


def audit_types(task) -> list[str]:
    return list(
        AuditEvent.objects.filter(element_instance_key=task.element_instance_key)
        .order_by("id")
        .values_list("type", flat=True)
    )


def test_candidate_claims_an_offered_task_and_it_is_audited(client, carol, order):
    client.force_login(carol)
    response = act(client, order.task, "claim")
    assert response.status_code == 302
    assert refreshed(order.task).assignee == "carol"
    assert "user_task_claimed" in audit_types(order.task)
    page = client.get(url(order.task)).content.decode()
    assert "You claimed this task." in page
    assert "Claimed" in page


def test_a_task_claimed_by_someone_else_cannot_be_claimed(client, carol, erin, order):
    client.force_login(erin)
    act(client, order.task, "claim")
    client.force_login(carol)
    act(client, order.task, "claim")
    assert refreshed(order.task).assignee == "erin"


def test_claim_of_a_held_task_answers_who_holds_it(client, carol, erin, order):
    client.force_login(erin)
    act(client, order.task, "claim")
    client.force_login(carol)
    page = client.post(url(order.task), {"action": "claim"}, follow=True).content.decode()
    assert "already claimed by erin" in page


def test_assignee_unclaims(client, carol, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    act(client, order.task, "unclaim")
    assert refreshed(order.task).assignee == ""


def test_another_approver_may_not_unclaim_but_a_lead_may(client, carol, erin, frank, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    client.force_login(erin)
    assert act(client, order.task, "unclaim").status_code == 403
    client.force_login(frank)
    assert act(client, order.task, "unclaim").status_code == 302
    assert refreshed(order.task).assignee == ""


def test_assignee_hands_the_task_to_an_eligible_user(client, carol, erin, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    page = client.get(url(order.task)).content.decode()
    assert '<option value="erin">' in page
    act(client, order.task, "assign", assignee="erin")
    assert refreshed(order.task).assignee == "erin"
    assert "user_task_assigned" in audit_types(order.task)


def test_a_user_who_is_not_a_candidate_cannot_be_assigned(client, carol, alice, dave, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    for name in ("alice", "dave", "nobody"):
        page = client.post(url(order.task), {"action": "assign", "assignee": name}, follow=True).content.decode()
        assert "may not be given this task" in page
    assert refreshed(order.task).assignee == "carol"


def test_a_non_assignee_may_not_assign(client, carol, erin, order):
    client.force_login(erin)
    assert act(client, order.task, "assign", assignee="erin").status_code == 403


def test_delegation_goes_to_the_delegate_and_back_to_the_owner(client, carol, erin, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    act(client, order.task, "delegate", assignee="erin")
    assert refreshed(order.task).assignee == "erin"
    client.force_login(erin)
    page = client.get(url(order.task)).content.decode()
    assert "delegated by carol" in page
    assert "Return to carol" in page
    act(client, order.task, "resolve")
    assert refreshed(order.task).assignee == "carol"
    assert audit_types(order.task)[-2:] == ["user_task_delegated", "user_task_delegation_resolved"]


def test_only_the_delegate_returns_a_delegated_task(client, carol, erin, frank, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    act(client, order.task, "delegate", assignee="erin")
    client.force_login(frank)
    assert act(client, order.task, "resolve").status_code == 403


def test_comments_appear_in_the_history_escaped(client, carol, order):
    client.force_login(carol)
    act(client, order.task, "comment", text="<b>call</b> the customer")
    assert TaskComment.objects.get().author == "carol"
    page = client.get(url(order.task)).content.decode()
    assert "&lt;b&gt;call&lt;/b&gt; the customer" in page
    assert "user_task_commented" in audit_types(order.task)


def test_an_empty_comment_is_refused(client, carol, order):
    client.force_login(carol)
    act(client, order.task, "comment", text="   ")
    assert not TaskComment.objects.exists()


def test_assignee_edits_due_and_follow_up_dates(client, carol, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    act(client, order.task, "dates", due_date="2030-01-02T09:30", follow_up_date="2030-01-01T08:00")
    task = refreshed(order.task)
    assert task.due_date == dt.datetime(2030, 1, 2, 9, 30, tzinfo=dt.UTC)
    assert task.follow_up_date == dt.datetime(2030, 1, 1, 8, 0, tzinfo=dt.UTC)
    assert "user_task_dates_changed" in audit_types(order.task)


def test_a_candidate_who_does_not_hold_the_task_may_not_edit_dates_but_a_lead_may(client, erin, frank, order):
    client.force_login(erin)
    assert act(client, order.task, "dates", due_date="2030-01-02T09:30").status_code == 403
    client.force_login(frank)
    act(client, order.task, "dates", due_date="2030-01-02T09:30")
    assert refreshed(order.task).due_date is not None


def test_the_form_shows_only_after_claiming(client, carol, order):
    client.force_login(carol)
    assert client.get(url(order.task)).context["task_form"] is None
    act(client, order.task, "claim")
    form = client.get(url(order.task)).context["task_form"]
    assert [f.name for f in form.fields] == ["amount", "approved", "shipBy", "channel", "note"]
    assert form.fields[0].display == "250"


def test_completing_without_claiming_asks_to_claim_first(client, carol, order):
    client.force_login(carol)
    page = client.post(url(order.task), {"action": "complete", **VALID}, follow=True).content.decode()
    assert "Claim this task before completing it." in page
    assert refreshed(order.task).state == "created"


def test_a_form_with_errors_shows_them_next_to_the_fields_and_completes_nothing(client, carol, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    response = act(client, order.task, "complete", **{**VALID, "f-amount": "9000", "f-note": "far too long for this"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Must be at most 5000." in body
    assert "At most 20 characters." in body
    assert 'value="9000"' in body
    assert refreshed(order.task).state == "created"


def test_a_completed_form_writes_typed_variables_and_the_instance_moves_on(client, carol, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    response = act(client, order.task, "complete", **VALID)
    assert response.status_code == 302
    assert response["Location"] == reverse("tasklist:inbox")
    task = refreshed(order.task)
    assert (task.state, task.completed_by) == ("completed", "carol")
    values = dict(Variable.objects.filter(instance=order.instance).values_list("name", "value"))
    assert values["amount"] == 300
    assert values["approved"] is True
    assert values["shipBy"] == "2030-05-01"
    assert values["channel"] == "courier"
    assert UserTask.objects.get(instance=order.instance, element_id="ship").state == "created"
    assert ElementInstance.objects.get(instance=order.instance, element_id="approve").state == "completed"


def test_a_double_submit_gets_a_clear_message_and_no_second_completion(client, carol, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    act(client, order.task, "complete", **VALID)
    response = act(client, order.task, "complete", **{**VALID, "f-amount": "7"})
    assert response.status_code == 409
    assert "already completed by you" in response.content.decode()
    assert (
        AuditEvent.objects.filter(
            type="user_task_completed", element_instance_key=order.task.element_instance_key
        ).count()
        == 1
    )
    assert Variable.objects.get(instance=order.instance, name="amount").value == 300


def test_completing_a_task_reassigned_meanwhile_is_refused_with_a_clear_message(client, carol, erin, frank, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    client.force_login(frank)
    act(client, order.task, "assign", assignee="erin")
    client.force_login(carol)
    response = act(client, order.task, "complete", held_by="carol", **VALID)
    assert response.status_code == 409
    assert "reassigned to erin meanwhile" in response.content.decode()
    assert refreshed(order.task).state == "created"


def test_a_task_without_form_completes_with_the_generic_editor(client, grace, carol, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    act(client, order.task, "complete", **VALID)
    ship = UserTask.objects.get(instance=order.instance, element_id="ship")
    client.force_login(grace)
    act(client, ship, "claim")
    assert client.get(url(ship)).context["task_form"].flavour == "generic"
    act(client, ship, "complete", **{"f-amount": "301", "new-name": "tracking", "new-value": '"TRK-1"'})
    values = dict(Variable.objects.filter(instance=order.instance).values_list("name", "value"))
    assert (values["amount"], values["tracking"]) == (301, "TRK-1")
    assert UserTask.objects.get(key=ship.key).state == "completed"


def test_history_shows_created_claimed_assigned_completed_and_comments(client, carol, erin, order):
    client.force_login(carol)
    act(client, order.task, "claim")
    act(client, order.task, "comment", text="checking stock")
    act(client, order.task, "assign", assignee="erin")
    client.force_login(erin)
    act(client, order.task, "complete", **VALID)
    history = client.get(url(order.task)).context["history"]
    assert [e.what for e in history] == ["Created", "Claimed", "Comment", "Assigned", "Completed"]
    assert history[3].detail == "to erin (was carol)"


def test_masked_variables_are_shown_masked_and_never_prefilled(client, carol, root, order):
    MaskedVariable.objects.create(bpmn_process_id="order-approval", name="card")
    MaskedVariable.objects.create(bpmn_process_id="order-approval", name="amount")
    client.force_login(carol)
    act(client, order.task, "claim")
    response = client.get(url(order.task))
    body = response.content.decode()
    assert "4111" not in body
    assert "••••••" in body
    assert response.context["task_form"].fields[0].display == ""
    client.force_login(root)
    assert "4111 1111 1111 1111" in client.get(url(order.task)).content.decode()


def test_boundary_timer_shows_as_an_sla_countdown(client, carol, order):
    client.force_login(carol)
    response = client.get(url(order.task))
    assert [t.element_id for t in response.context["sla_timers"]] == ["sla"]
    assert "fires in 3" in response.content.decode()


def test_an_overdue_task_is_marked(client, carol, order):
    UserTask.objects.filter(key=order.task.key).update(due_date=timezone.now() - dt.timedelta(hours=2))
    client.force_login(carol)
    body = client.get(url(order.task)).content.decode()
    assert "overdue" in body
    assert "late)" in body


def test_the_path_to_the_task_is_shown(client, carol, order):
    client.force_login(carol)
    path = client.get(url(order.task)).context["path"]
    assert [(s.element_id, s.current) for s in path] == [("start", False), ("approve", True)]


def test_an_unknown_action_changes_nothing(client, carol, order):
    client.force_login(carol)
    assert act(client, order.task, "explode").status_code == 302
    assert refreshed(order.task).assignee == ""
