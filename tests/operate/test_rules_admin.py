"""Administrators keep per-process rules and masked variables in the Django admin
(/admin/); a rule added there applies on the next request, and only staff reach the screens."""

from __future__ import annotations

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.urls import reverse

from orchestration.models import MaskedVariable, ProcessPermission

ADD_RULE = reverse("admin:orchestration_processpermission_add")


def _superuser() -> User:
    return User.objects.create_superuser("root", "root@example.com", "root-pass-8812")


def test_a_view_deny_added_in_the_admin_hides_the_process_from_the_group(client, world, bob):
    group = Group.objects.create(name="outsourced-support")
    bob.groups.add(group)
    instance_page = reverse("operate:instance", args=[world.waiting.key])
    client.force_login(bob)
    assert client.get(instance_page).status_code == 200

    client.force_login(_superuser())
    form = client.get(ADD_RULE)
    assert form.status_code == 200
    assert "order" in form.content.decode()  # the help text names the deployed process ids
    response = client.post(
        ADD_RULE,
        {"group": group.pk, "bpmn_process_id": "order", "capability": "view"},  # "allow" unticked: a deny
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = ProcessPermission.objects.get()
    assert (rule.group, rule.bpmn_process_id, rule.capability, rule.allow) == (group, "order", "view", False)
    assert LogEntry.objects.get().object_repr == "deny view on order for outsourced-support"

    client.force_login(bob)
    assert client.get(instance_page).status_code == 404


def test_a_duplicate_rule_is_refused_with_a_message(client, db):
    group = Group.objects.create(name="team")
    ProcessPermission.objects.create(group=group, bpmn_process_id="kyc", capability="repair", allow=False)
    client.force_login(_superuser())
    response = client.post(ADD_RULE, {"group": group.pk, "bpmn_process_id": "kyc", "capability": "repair"})
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert ProcessPermission.objects.count() == 1


def test_masked_variables_list_who_may_read_them(client, db):
    auditors = Group.objects.create(name="auditors")
    card = MaskedVariable.objects.create(bpmn_process_id="", name="cardNumber")
    card.visible_to.add(auditors)
    MaskedVariable.objects.create(bpmn_process_id="kyc", name="passport")
    client.force_login(_superuser())
    body = client.get(reverse("admin:orchestration_maskedvariable_changelist")).content.decode()
    assert "every process" in body and "auditors" in body and "admins only" in body


def test_operators_and_support_do_not_reach_the_rule_screens(client, alice, bob):
    for user in (alice, bob):
        client.force_login(user)
        response = client.get(ADD_RULE)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
        response = client.post(ADD_RULE, {"group": 1, "bpmn_process_id": "order", "capability": "view"})
        assert response.status_code == 302
    assert ProcessPermission.objects.count() == 0


def test_the_admin_role_with_staff_status_keeps_the_rules(client, db):
    """The demo's admin (admin group + is_staff) opens both screens and adds a rule."""
    user = User.objects.create_user("ada", password="ada-pass-1234", is_staff=True)
    user.groups.add(Group.objects.get(name="admin"))
    client.force_login(user)
    assert client.get(reverse("admin:orchestration_maskedvariable_changelist")).status_code == 200
    group = Group.objects.create(name="contractors")
    response = client.post(ADD_RULE, {"group": group.pk, "bpmn_process_id": "kyc", "capability": "repair"})
    assert response.status_code == 302
    assert ProcessPermission.objects.filter(group=group, bpmn_process_id="kyc", allow=False).exists()
    # nothing else of the engine is offered there
    assert client.get("/admin/orchestration/processinstance/").status_code == 404
