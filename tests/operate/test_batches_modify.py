"""The bulk form's Modify: instruction rows from the pinned version's model, preview, submit, personas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from orchestration import services
from orchestration.models import AuditEvent, BatchOperation, ElementInstance, ProcessInstance
from orchestration.services import batches

pytestmark = pytest.mark.django_db

MODEL = Path(__file__).resolve().parents[1] / "services" / "fixtures" / "batch_modify.bpmn"
PINNED = {"process": "bulk-modify", "version": "1"}
NEW = "/operate/batches/new/"


@pytest.fixture
def waiting(db) -> list[ProcessInstance]:
    """Four instances of bulk-modify v1 whose tokens wait at Task_A."""
    services.deploy(MODEL.read_text(), actor="admin")
    return [services.start_instance("bulk-modify", business_key=f"ORD-{n}", actor="test") for n in range(4)]


def options(html: str, name: str) -> list[str]:
    """The option values of the select called `name`."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no select {name}"
    return re.findall(r'<option value="([^"]*)"', select.group(1))


def tokens(instance: ProcessInstance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


def move_post(**extra) -> dict[str, str]:
    return {
        **PINNED,
        "kind": "modify",
        "reason": "gateway down",
        "op_1": "move",
        "from_1": "Task_A",
        "to_1": "Task_B",
    } | extra


def test_the_form_offers_instruction_rows_from_the_pinned_versions_model(client, alice, waiting):
    client.force_login(alice)
    response = client.get(NEW, {**PINNED, "kind": "modify"})
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["preview"].count == 4
    assert "Start batch for 4 instances" in html
    assert "bulk-modify v1</strong>, applied in order" in html
    assert options(html, "op_1") == ["", "move", "cancel", "start_before", "start_after"]
    # A: where a token can wait; B: where a token can be started
    assert options(html, "from_3") == ["", "Task_A", "Task_B"]
    assert options(html, "to_1") == ["", "End_1", "End_Late", "Task_A", "Task_B"]
    assert "Task_A (Charge)" in html


def test_modify_without_a_pinned_version_explains_and_links_each_version(client, alice, waiting):
    client.force_login(alice)
    response = client.get(NEW, {"process": "bulk-modify", "kind": "modify"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "pins one process version" in html
    assert 'name="op_1"' not in html and "Start batch" not in html
    (link,) = re.findall(r'href="([^"]*version=1[^"]*)"', html)
    assert "process=bulk-modify" in link and "kind=modify" in link


def test_submitting_creates_the_modify_batch_and_its_page_shows_the_instructions(client, alice, waiting):
    client.force_login(alice)
    response = client.post(NEW, move_post(op_2="start_after", to_2="Task_B", variables_2='{"late": true}'))

    batch = BatchOperation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("operate:batch", args=[batch.key])
    assert (batch.kind, batch.total, batch.created_by, batch.reason) == ("modify", 4, "alice", "gateway down")
    assert batch.params["instructions"] == [
        {"op": "move", "from": "Task_A", "to": "Task_B"},
        {"op": "start_after", "element": "Task_B", "variables": {"late": True}},
    ]
    assert "version=1" in batch.filter_query

    batches.run_batch_chunk(batch.key, dispatch=False)
    assert all(tokens(i) == ["Task_B"] for i in waiting)
    # the token started after Task_B went on to the end event
    ended = ElementInstance.objects.filter(instance__in=waiting, element_id="End_1", state="completed")
    assert ended.count() == 4
    assert AuditEvent.objects.filter(type="instance_modified", actor="alice").count() == 4
    page = client.get(reverse("operate:batch", args=[batch.key])).content.decode()
    assert "move <code>Task_A</code> → <code>Task_B</code>" in page
    assert "start after <code>Task_B</code> with <code>late</code>" in page


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"reason": ""}, "A reason is required for this action."),
        ({"to_1": ""}, "Choose the element to start at (B)."),
        ({"op_1": "cancel", "from_1": "", "to_1": ""}, "Choose the element whose tokens to take (A)."),
        ({"op_1": ""}, "Choose at least one instruction."),
        ({"to_1": "Late_B"}, "Select a valid choice."),
        ({"op_1": "cancel", "to_1": "", "variables_1": '{"a": 1}'}, "Cancel starts no token"),
    ],
)
def test_an_incomplete_form_is_shown_again_with_the_problem_and_starts_nothing(client, alice, waiting, change, problem):
    client.force_login(alice)
    response = client.post(NEW, move_post(**change))
    assert response.status_code == 400
    assert problem in response.content.decode()
    assert not BatchOperation.objects.exists()
    assert all(tokens(i) == ["Task_A"] for i in waiting)


def test_a_crafted_post_without_a_version_is_refused_by_the_service(client, alice, waiting):
    client.force_login(alice)
    response = client.post(NEW, move_post(version=""))
    assert response.status_code == 400
    assert "pins one process version" in response.content.decode()
    assert not BatchOperation.objects.exists()


def test_support_may_see_batches_but_not_start_a_modify(client, bob, waiting):
    client.force_login(bob)
    assert client.get(NEW, {**PINNED, "kind": "modify"}).status_code == 403
    assert client.post(NEW, move_post()).status_code == 403
    assert client.get(reverse("operate:batches")).status_code == 200
    assert not BatchOperation.objects.exists()


@pytest.mark.parametrize("persona", ["carol", "dave"])
def test_users_without_operate_access_get_a_403(client, request, waiting, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(NEW, {**PINNED, "kind": "modify"}).status_code == 403
    assert client.post(NEW, move_post()).status_code == 403
    assert not BatchOperation.objects.exists()


def test_anonymous_users_are_sent_to_the_login_page(client, waiting):
    response = client.post(NEW, move_post())
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not BatchOperation.objects.exists()


def test_the_instance_list_offers_modify_when_a_version_is_filtered(client, alice, bob, waiting):
    client.force_login(alice)
    pinned = client.get(reverse("operate:instances"), PINNED).content.decode()
    assert "Modify tokens of all matching…" in pinned
    (href,) = re.findall(r'href="([^"]*kind=modify)"', pinned)
    assert href.startswith(NEW) and "version=1" in href
    unpinned = client.get(reverse("operate:instances"), {"process": "bulk-modify"}).content.decode()
    assert "Modify tokens of all matching…" not in unpinned
    client.force_login(bob)
    assert "Modify tokens of all matching…" not in client.get(reverse("operate:instances"), PINNED).content.decode()
