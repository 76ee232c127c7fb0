"""A rule that takes "view" away on a process hides it everywhere in Operate.

bob is support (read only) and alice an operator. ``hidden_from`` adds a rule to a user's
group denying "view" on "order": then "order" does not exist for them anywhere (lists,
search, CSV, dashboard, incidents, processes, batches, migration, diagram API: left out,
or 404 as for an unknown key), while "refund" stays as it was. A user without rules pays
no extra query on the main pages, and a rule costs none either (it comes with the groups).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orchestration.models import BatchOperation, ProcessPermission
from orchestration.services import batches

INSTANCES = reverse("operate:instances")


def hidden_from(user, process_id: str = "order"):
    group, _ = Group.objects.get_or_create(name=f"no-{process_id}")
    user.groups.add(group)
    ProcessPermission.objects.create(group=group, bpmn_process_id=process_id, capability="view", allow=False)
    return user


@pytest.fixture
def blind_bob(bob):
    return hidden_from(bob)


def keys_listed(response) -> set[str]:
    return {i.business_key for i in response.context["page"].instances}


def test_the_instance_list_leaves_out_a_hidden_process(client, world, blind_bob, alice):
    client.force_login(blind_bob)
    response = client.get(INSTANCES)
    assert keys_listed(response) == {"REF-1"}
    assert "ORD-1001" not in response.content.decode()
    assert response.context["process_ids"] == ["refund"]
    assert keys_listed(client.get(INSTANCES, {"process": "order"})) == set()
    client.force_login(alice)
    assert keys_listed(client.get(INSTANCES)) == {"ORD-1001", "ORD-1002", "ORD-2001", "REF-1"}


def test_a_search_does_not_open_or_list_a_hidden_instance(client, world, blind_bob):
    client.force_login(blind_bob)
    for q in ("ORD-1001", str(world.waiting.key), "orderId=ORD-1001"):
        response = client.get(INSTANCES, {"q": q})
        assert response.status_code == 200, q
        assert keys_listed(response) == set(), q


def test_a_search_does_not_roll_up_to_a_visible_case_through_a_hidden_child(
    client, world, blind_bob, bob, alice, make_instance
):
    root = make_instance(world.refund, "REF-ROOT")
    make_instance(world.order_v1, "ORD-CHILD", parent=root, root_key=root.key)
    client.force_login(alice)
    assert keys_listed(client.get(INSTANCES, {"q": "ORD-CHILD", "state": "active"})) == {"REF-ROOT"}
    client.force_login(blind_bob)
    assert keys_listed(client.get(INSTANCES, {"q": "ORD-CHILD", "state": "active"})) == set()
    # the root itself is still found by its own key
    assert keys_listed(client.get(INSTANCES, {"q": "REF-ROOT", "state": "active"})) == {"REF-ROOT"}


def test_a_hidden_instance_is_404_like_an_unknown_key(client, world, blind_bob, alice):
    client.force_login(blind_bob)
    url = reverse("operate:instance", args=[world.waiting.key])
    assert client.get(url).status_code == 404
    assert client.get(url, {"partial": "diagram"}).status_code == 404
    assert client.get(reverse("operate:instance", args=[world.cancelled.key])).status_code == 200
    client.force_login(alice)
    assert client.get(url).status_code == 200


def test_an_operator_cannot_act_on_a_hidden_instance(client, world, alice):
    hidden_from(alice)
    client.force_login(alice)
    response = client.post(reverse("operate:instance_suspend", args=[world.waiting.key]))
    assert response.status_code == 404
    world.waiting.refresh_from_db()
    assert world.waiting.suspended is False


def test_a_visible_child_does_not_link_its_hidden_caller(client, world, blind_bob, make_instance):
    child = make_instance(world.refund, "REF-CHILD", parent=world.waiting, root_key=world.waiting.key)
    client.force_login(blind_bob)
    response = client.get(reverse("operate:instance", args=[child.key]))
    assert response.status_code == 200
    assert str(world.waiting.key) not in response.content.decode()


def test_the_csv_export_leaves_out_a_hidden_process(client, world, blind_bob):
    client.force_login(blind_bob)
    response = client.get(reverse("operate:instances_export"), {"col": ["business_key", "process"]})
    body = b"".join(response.streaming_content).decode()
    assert "REF-1" in body
    assert "ORD-" not in body


def test_the_dashboard_counts_nothing_of_a_hidden_process(client, world, bob):
    client.force_login(bob)
    before = client.get(reverse("operate:home"))
    assert "HTTP 502" in before.content.decode()
    assert before.context["counts"].totals.active == 2
    client.force_login(hidden_from(bob))
    response = client.get(reverse("operate:home"))
    assert {d.bpmn_process_id for d in response.context["counts"].rows} == {"refund"}
    assert response.context["counts"].totals.active == 0
    assert response.context["incident_groups"] == []
    assert "HTTP 502" not in response.content.decode()


def test_processes_and_their_pages_are_404_for_a_hidden_process(client, world, blind_bob):
    client.force_login(blind_bob)
    response = client.get(reverse("operate:processes"))
    assert [p.bpmn_process_id for p in response.context["processes"]] == ["refund"]
    for name in ("process", "process_diff", "process_migrate"):
        assert client.get(reverse(f"operate:{name}", args=[world.order_v1.key])).status_code == 404, name
    diff = reverse("operate:process_diff", args=[world.refund.key])
    assert client.get(diff, {"against": str(world.order_v2.key)}).status_code == 404
    assert client.get(reverse("operate:process", args=[world.refund.key])).status_code == 200


def test_the_incidents_board_leaves_out_a_hidden_process(client, world, blind_bob, make_incident):
    make_incident(world.cancelled, "refund service timeout")
    client.force_login(blind_bob)
    response = client.get(reverse("operate:incidents"))
    messages = [g.example_message for g in response.context["groups"]]
    assert messages == ["refund service timeout"]
    assert "HTTP 502" not in response.content.decode()


def test_a_batch_touching_a_hidden_process_is_404_and_not_listed(client, world, alice, blind_bob):
    hidden = batches.create_batch("suspend", {"process": "order"}, actor=alice, dispatch=False, reason="audit")
    visible = batches.create_batch("suspend", {"process": "refund"}, actor=alice, dispatch=False, reason="audit")
    client.force_login(blind_bob)
    listed = client.get(reverse("operate:batches")).context["batches"]
    assert [b.key for b in listed] == [visible.key]
    assert client.get(reverse("operate:batch", args=[hidden.key])).status_code == 404
    assert client.get(reverse("operate:batch", args=[visible.key])).status_code == 200
    client.force_login(alice)
    assert client.get(reverse("operate:batch", args=[hidden.key])).status_code == 200


def test_a_bulk_preview_over_a_hidden_process_shows_no_count(client, world, alice):
    hidden_from(alice)
    client.force_login(alice)
    response = client.get(reverse("operate:batch_new"), {"kind": "suspend", "process": "order"})
    assert response.context["preview"] is None
    assert "may not change" in response.context["error"]
    response = client.get(reverse("operate:batch_new"), {"kind": "suspend", "state": "active"})
    assert response.context["preview"] is None  # "order" instances are among the selection
    response = client.get(reverse("operate:batch_new"), {"kind": "cancel", "process": "refund"})
    assert response.context["preview"] is not None
    assert not BatchOperation.objects.exists()


def test_the_diagram_api_is_404_for_a_hidden_process(world, blind_bob):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=blind_bob).key}")
    for path in ("", "/xml", "/diagram.svg"):
        assert api.get(f"/api/v1/process-definitions/{world.order_v1.key}{path}").status_code == 404, path
    listed = api.get("/api/v1/process-definitions").json()["items"]
    assert {d["processId"] for d in listed} == {"refund"}
    deployment = f"/api/v1/deployments/{world.order_v1.deployment_id}/diagram.svg"
    assert api.get(deployment).status_code == 404


# -- cost: no query and no condition more ------------------------------------------------------

PAGES = ("operate:home", "operate:instances", "operate:processes", "operate:incidents", "operate:batches")


def count_queries(client, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured), [q["sql"] for q in captured]


@pytest.mark.parametrize("page", PAGES)
def test_a_rule_costs_no_extra_query_on_the_main_pages(client, world, bob, page, django_assert_max_num_queries):
    url = reverse(page)
    client.force_login(bob)
    without_rules, _ = count_queries(client, url)
    client.force_login(hidden_from(bob))
    with django_assert_max_num_queries(without_rules):
        assert client.get(url).status_code == 200


def test_the_instance_query_has_no_rule_condition_for_a_user_without_rules(client, world, bob):
    client.force_login(bob)
    _, sqls = count_queries(client, INSTANCES)
    listing = [sql for sql in sqls if "has_open_incident" in sql]
    assert listing, sqls
    assert all('"bpmn_process_id" IN' not in sql for sql in listing)
    client.force_login(hidden_from(bob))
    _, sqls = count_queries(client, INSTANCES)
    assert any('"bpmn_process_id" IN' in sql for sql in sqls if "has_open_incident" in sql)


# -- batches: steering needs repair on every process a batch touches ------------------------------


@pytest.fixture
def paused_order_batch(world, alice):
    batch = batches.create_batch("suspend", {"process": "order"}, actor=alice, dispatch=False, reason="audit")
    batches.pause_batch(batch.key, actor=alice)
    return batch


def operator_without_repair_on_order():
    otto = User.objects.create_user(username="otto", password="pw")
    otto.groups.add(Group.objects.get(name="operator"))
    group, _ = Group.objects.get_or_create(name="no-repair-order")
    otto.groups.add(group)
    ProcessPermission.objects.create(group=group, bpmn_process_id="order", capability="repair", allow=False)
    return otto


@pytest.mark.parametrize("action", ["batch_resume", "batch_cancel", "batch_retry_failed"])
def test_an_operator_denied_repair_on_its_process_may_not_steer_a_batch(client, world, paused_order_batch, action):
    client.force_login(operator_without_repair_on_order())
    url = reverse(f"operate:{action}", args=[paused_order_batch.key])
    assert client.get(reverse("operate:batch", args=[paused_order_batch.key])).status_code == 200  # may look
    assert client.post(url).status_code == 403
    assert client.post(url, HTTP_HX_REQUEST="true").status_code == 403
    paused_order_batch.refresh_from_db()
    assert paused_order_batch.state == "paused"
    assert paused_order_batch.items.filter(state="pending").count() == 2


def test_an_operator_denied_repair_may_not_pause_a_batch_but_others_may(client, world, paused_order_batch, alice):
    batches.resume_batch(paused_order_batch.key, actor=alice)
    client.force_login(operator_without_repair_on_order())
    assert client.post(reverse("operate:batch_pause", args=[paused_order_batch.key])).status_code == 403
    paused_order_batch.refresh_from_db()
    assert paused_order_batch.state == "running"
    client.force_login(alice)
    assert client.post(reverse("operate:batch_pause", args=[paused_order_batch.key])).status_code == 302
    paused_order_batch.refresh_from_db()
    assert paused_order_batch.state == "paused"


def test_a_hidden_batch_cannot_be_steered(client, world, paused_order_batch, alice):
    hidden_from(alice)
    client.force_login(alice)
    assert client.post(reverse("operate:batch_resume", args=[paused_order_batch.key])).status_code == 404
    paused_order_batch.refresh_from_db()
    assert paused_order_batch.state == "paused"


def test_the_bulk_preview_does_not_roll_up_through_a_hidden_child(client, world, alice, make_instance):
    root = make_instance(world.refund, "REF-ROOT")
    make_instance(world.order_v1, "ORD-CHILD", parent=root, root_key=root.key)
    params = {"kind": "suspend", "q": "ORD-CHILD"}
    client.force_login(alice)
    assert client.get(reverse("operate:batch_new"), params).context["preview"].count == 1
    hidden_from(alice)
    client.force_login(alice)
    response = client.get(reverse("operate:batch_new"), params)
    assert response.context["preview"].count == 0
    assert "REF-ROOT" not in response.content.decode()


# -- the migration page -----------------------------------------------------------------------------


def test_the_migration_page_does_not_name_a_hidden_instance(client, world, blind_bob, alice):
    url = reverse("operate:process_migrate", args=[world.refund.key])
    client.force_login(alice)
    assert "runs on order" in client.get(url, {"instance": str(world.waiting.key)}).context["error"]
    client.force_login(blind_bob)
    response = client.get(url, {"instance": str(world.waiting.key)})
    assert response.status_code == 200
    assert response.context["error"] == f"Instance {world.waiting.key} not found."
    assert response.context["report"] is None
    assert "ORD-1001" not in response.content.decode()
