"""The rules in orchestration.access: roles, per-process narrowing, task rules, masking."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group, User

from orchestration import access
from orchestration.models import MaskedVariable, ProcessPermission, UserTask

from .conftest import make_user

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    """The same user without the per-request caches."""
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("support", {"view"}),
        ("operator", {"view", "repair", "work_jobs"}),
        ("approver", {"work_tasks", "start"}),
        ("admin", set(access.CAPABILITIES)),
        ("worker", {"work_jobs"}),
        ("none", set()),
    ],
)
def test_each_role_grants_exactly_its_capabilities(personas, role, expected):
    user = personas[role]
    assert {c for c in access.CAPABILITIES if access.has_capability(user, c)} == expected


def test_anonymous_and_inactive_users_may_do_nothing(personas):
    inactive = personas["admin"]
    inactive.is_active = False
    for user in (AnonymousUser(), None, inactive):
        assert not any(access.has_capability(user, c) for c in access.CAPABILITIES)


def test_superuser_may_do_everything_even_against_a_deny_rule(db):
    boss = User.objects.create_superuser("boss", password="pw")
    group = Group.objects.create(name="kyc-blocked")
    boss.groups.add(group)
    ProcessPermission.objects.create(group=group, bpmn_process_id="kyc", capability="repair", allow=False)
    assert access.can_repair(fresh(boss), process_id="kyc")


def test_a_deny_rule_narrows_a_role_on_one_process_only(personas):
    payments = Group.objects.create(name="payments-ops")
    personas["operator"].groups.add(payments)
    ProcessPermission.objects.create(group=payments, bpmn_process_id="kyc", capability="repair", allow=False)
    operator = fresh(personas["operator"])
    assert access.can_repair(operator)
    assert access.can_repair(operator, process_id="payments")
    assert not access.can_repair(operator, process_id="kyc")
    assert access.can_view(operator, process_id="kyc")
    assert access.processes_denied(operator, "repair") == {"kyc"}


def test_a_deny_wins_over_an_allow_from_another_group(personas):
    a, b = Group.objects.create(name="a"), Group.objects.create(name="b")
    personas["support"].groups.add(a, b)
    ProcessPermission.objects.create(group=a, bpmn_process_id="kyc", capability="repair", allow=True)
    ProcessPermission.objects.create(group=b, bpmn_process_id="kyc", capability="repair", allow=False)
    assert not access.can_repair(fresh(personas["support"]), process_id="kyc")


def test_an_allow_rule_grants_a_capability_on_one_process_to_a_group_without_the_role(personas):
    reviewers = Group.objects.create(name="kyc-reviewers")
    personas["none"].groups.add(reviewers)
    ProcessPermission.objects.create(group=reviewers, bpmn_process_id="kyc", capability="work_tasks", allow=True)
    user = fresh(personas["none"])
    assert access.can_work_tasks(user, process_id="kyc")
    assert not access.can_work_tasks(user, process_id="payments")
    assert not access.can_work_tasks(user)
    assert access.has_capability_somewhere(user, "work_tasks")


def test_existing_callers_without_process_id_keep_working(personas):
    assert access.can_view(personas["support"]) is True
    assert access.can_repair(personas["support"]) is False
    assert access.can_work_tasks(personas["approver"]) is True
    assert access.can_deploy(personas["admin"]) is True


def task(**fields) -> UserTask:
    fields.setdefault("bpmn_process_id", "order")
    fields.setdefault("state", "created")
    return UserTask(**fields)


def test_task_visibility_is_assignee_candidate_user_or_candidate_group(db):
    carol = make_user("carol", "approver", "finance")
    assert access.may_see_task(carol, task(assignee="carol"))
    assert access.may_see_task(carol, task(candidate_users=["carol"]))
    assert access.may_see_task(carol, task(candidate_groups=["finance"]))
    assert not access.may_see_task(carol, task(candidate_groups=["legal"]))
    assert not access.may_see_task(carol, task(candidate_users=["carolyn"]))


def test_task_visibility_follows_process_rules(db):
    carol = make_user("carol", "approver")
    ProcessPermission.objects.create(
        group=Group.objects.get(name="approver"), bpmn_process_id="kyc", capability="work_tasks"
    )
    assert not access.may_see_task(fresh(carol), task(bpmn_process_id="kyc", candidate_users=["carol"]))


def test_task_action_rules(db):
    carol = make_user("carol", "approver")
    erin = make_user("erin", "approver")
    lead = make_user("frank", "approver", "lead")
    offered = task(candidate_groups=["approver"])
    held = task(candidate_groups=["approver"], assignee="carol")
    done = task(candidate_groups=["approver"], assignee="carol", state="completed")
    assert access.may_claim_task(carol, offered) and not access.may_claim_task(carol, held)
    assert access.may_complete_task(carol, held) and not access.may_complete_task(erin, held)
    assert not access.may_complete_task(carol, done)
    assert access.may_unclaim_task(lead, held) and not access.may_unclaim_task(erin, held)
    assert access.may_assign_task(lead, offered) and not access.may_assign_task(erin, offered)
    assert access.may_delegate_task(carol, held) and not access.may_delegate_task(lead, held)
    assert access.may_edit_task_dates(lead, offered) and not access.may_edit_task_dates(erin, offered)
    assert access.may_comment_task(erin, held)
    assert access.is_task_lead(lead) and not access.is_task_lead(carol)


def test_a_lead_without_a_task_role_is_no_lead(db):
    assert not access.is_task_lead(make_user("olga", "operator", "lead"))


def test_eligible_assignees_are_candidates_who_work_on_tasks(db):
    make_user("carol", "approver", "finance")
    make_user("erin", "approver")
    make_user("alice", "operator", "finance")
    make_user("root", "admin")
    offered = task(candidate_groups=["finance"], candidate_users=["erin"])
    assert [u.username for u in access.eligible_assignees(offered)] == ["carol", "erin", "root"]
    unrestricted = task()
    assert [u.username for u in access.eligible_assignees(unrestricted)] == ["carol", "erin", "root"]


def test_masking_hides_declared_variables_except_from_admins_and_listed_groups(db):
    carol = make_user("carol", "approver")
    auditor = make_user("ada", "support", "auditors")
    root = make_user("root", "admin")
    card = MaskedVariable.objects.create(bpmn_process_id="payments", name="card")
    card.visible_to.add(Group.objects.get(name="auditors"))
    MaskedVariable.objects.create(bpmn_process_id="", name="ssn")
    variables = {"card": "4111", "ssn": "123", "amount": 5}
    assert access.mask_variables(carol, "payments", variables) == {"card": access.MASK, "ssn": access.MASK, "amount": 5}
    assert access.mask_variables(carol, "orders", variables) == {"card": "4111", "ssn": access.MASK, "amount": 5}
    assert access.mask_variables(auditor, "payments", variables) == {"card": "4111", "ssn": access.MASK, "amount": 5}
    assert access.mask_variables(root, "payments", variables) == variables


def test_masking_costs_one_query_per_process_per_request(db, django_assert_num_queries):
    carol = make_user("carol", "approver")
    MaskedVariable.objects.create(bpmn_process_id="payments", name="card")
    access.group_names_of(carol)
    access.roles_of(carol)
    with django_assert_num_queries(2):  # the rows, and their visible_to groups
        for _ in range(10):
            access.mask_variables(carol, "payments", {"card": 1})
