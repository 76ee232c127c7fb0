"""The instance list's filters, sorting, search roll-up, saved views and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from orchestration.instance_search import InstanceFilter, VariableCondition, parse_filter
from orchestration.models import ElementInstance, Incident, ProcessInstance, SavedView, Variable

URL = reverse("operate:instances")
EXPORT = reverse("operate:instances_export")

pytestmark = pytest.mark.django_db


def keys_of(response) -> list[str]:
    assert response.status_code == 200, response
    return [i.business_key for i in response.context["page"].instances]


def var(instance, name, value):
    from orchestration.store import value_text

    Variable.objects.update_or_create(
        instance=instance, scope_key=instance.key, name=name, defaults={"value": value, "value_text": value_text(value)}
    )


@pytest.fixture
def shop(world, make_instance):
    """Instances with amounts, customers and dates on top of the shared world."""
    now = timezone.now()
    rows = {}
    for key, amount, customer, day in [
        ("S-1", 50, "Acme Corp", "2024-01-10"),
        ("S-2", 150, "Globex", "2024-02-20"),
        ("S-3", 250, "Acme Inc", "2024-03-30"),
    ]:
        instance = make_instance(world.order_v2, key, started_at=now - dt.timedelta(hours=1))
        var(instance, "amount", amount)
        var(instance, "customer", customer)
        var(instance, "due", day)
        rows[key] = instance
    return rows


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"v": "amount = 150"}, ["S-2"]),
        ({"v": "amount != 150"}, ["S-3", "S-1"]),
        ({"v": "amount > 100"}, ["S-3", "S-2"]),
        ({"v": "amount < 100"}, ["S-1"]),
        ({"v": "amount > 99.5"}, ["S-3", "S-2"]),
        ({"v": "customer contains acme"}, ["S-3", "S-1"]),
        ({"v": "customer CONTAINS Inc"}, ["S-3"]),
        ({"v": "due > 2024-02-01"}, ["S-3", "S-2"]),
        ({"v": ["amount > 100", "customer contains Acme"]}, ["S-3"]),
        ({"v": ["amount > 100", "customer contains Acme"], "vmode": "and"}, ["S-3"]),
        ({"v": ["amount < 100", "customer = Globex"], "vmode": "or"}, ["S-2", "S-1"]),
        ({"v": ["amount > 1000", "customer = Nobody"], "vmode": "or"}, []),
        ({"v": "missing = 1"}, []),
    ],
)
def test_variable_conditions_filter_with_and_or(client, bob, shop, query, expected):
    client.force_login(bob)
    assert keys_of(client.get(URL, query)) == expected


def test_a_number_condition_ignores_text_values_instead_of_failing(client, bob, shop):
    var(shop["S-1"], "amount", "fifty")
    client.force_login(bob)
    assert keys_of(client.get(URL, {"v": "amount > 10"})) == ["S-3", "S-2"]


def test_version_filter(client, bob, world):
    client.force_login(bob)
    assert keys_of(client.get(URL, {"process": "order", "version": "1"})) == ["ORD-1001"]
    assert keys_of(client.get(URL, {"process": "order", "version": "2"})) == ["ORD-2001", "ORD-1002"]


def test_suspended_state_filter(client, bob, world):
    ProcessInstance.objects.filter(key=world.waiting.key).update(suspended=True)
    client.force_login(bob)
    assert keys_of(client.get(URL, {"state": "suspended"})) == ["ORD-1001"]


def test_element_where_a_token_waits(client, bob, world):
    client.force_login(bob)
    assert keys_of(client.get(URL, {"element": "approve"})) == ["ORD-1001"]
    # a completed element instance does not count
    assert keys_of(client.get(URL, {"element": "start"})) == []


def test_error_message_filter_looks_at_open_incidents_only(client, bob, world, make_incident):
    make_incident(world.waiting, "card declined", state=Incident.State.RESOLVED)
    client.force_login(bob)
    assert keys_of(client.get(URL, {"error": "payment GATEWAY"})) == ["ORD-1002"]
    assert keys_of(client.get(URL, {"error": "declined"})) == []


def test_parent_filter_lists_called_instances(client, bob, world, make_instance):
    make_instance(world.refund, "CHILD-1", parent=world.waiting, root_key=world.waiting.key)
    client.force_login(bob)
    assert keys_of(client.get(URL, {"parent": str(world.waiting.key)})) == ["CHILD-1"]


def test_date_ranges_on_start_and_end(client, bob, world, make_instance):
    make_instance(world.order_v1, "OLD-1", started_at=dt.datetime(2023, 5, 1, 12, tzinfo=dt.UTC))
    make_instance(world.order_v1, "OLD-2", state="completed", started_at=dt.datetime(2023, 5, 3, 12, tzinfo=dt.UTC))
    client.force_login(bob)
    assert keys_of(client.get(URL, {"started_from": "2023-05-01", "started_to": "2023-05-01"})) == ["OLD-1"]
    assert keys_of(client.get(URL, {"started_to": "2023-12-31"})) == ["OLD-2", "OLD-1"]
    assert keys_of(client.get(URL, {"ended_from": "2023-05-03", "ended_to": "2023-05-03"})) == ["OLD-2"]


def test_search_rolls_child_instances_up_to_their_root_case(client, bob, world, make_instance):
    child = make_instance(world.refund, "", parent=world.waiting, root_key=world.waiting.key)
    Variable.objects.create(instance=child, scope_key=child.key, name="refundId", value="R-77", value_text="R-77")
    other = make_instance(world.refund, "", parent=world.failing, root_key=world.failing.key)
    Variable.objects.create(instance=other, scope_key=other.key, name="refundId", value="R-77", value_text="R-77")
    client.force_login(bob)
    assert keys_of(client.get(URL, {"q": "refundId=R-77"})) == ["ORD-1002", "ORD-1001"]
    # one match: the root case opens directly
    Variable.objects.filter(instance=other).delete()
    response = client.get(URL, {"q": "refundId=R-77"})
    assert response["Location"] == reverse("operate:instance", args=[world.waiting.key])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"version": "zero"}, "version"),
        ({"v": "amount ~ 3"}, "v"),
        ({"vmode": "xor"}, "vmode"),
        ({"started_from": "last tuesday"}, "started_from"),
        ({"parent": "not-a-key"}, "parent"),
        ({"sort": "random"}, "sort"),
    ],
)
def test_bad_filter_values_are_form_errors(client, bob, world, query, field):
    client.force_login(bob)
    response = client.get(URL, query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert keys_of(response) == []


def test_every_filter_is_in_the_url_of_the_next_page(client, bob, world, make_instance):
    for n in range(55):
        instance = make_instance(world.order_v2, f"P-{n:02}")
        var(instance, "amount", n)
    client.force_login(bob)
    query = {"process": "order", "version": "2", "v": "amount > -1", "sort": "business_key"}
    response = client.get(URL, query)
    next_url = response.context["next_url"]
    for part in ("process=order", "version=2", "v=amount", "sort=business_key", "after="):
        assert part in next_url


@pytest.mark.parametrize("sort", ["business_key", "-business_key", "ended", "-ended", "started"])
def test_sorting_with_keyset_pagination_walks_every_row_once_in_order(client, bob, world, make_instance, sort):
    start = timezone.now() - dt.timedelta(days=2)
    for n in range(110):
        state = "completed" if n % 3 else "active"
        make_instance(
            world.order_v1, f"K-{(n * 37) % 110:03}", state=state, started_at=start + dt.timedelta(seconds=n // 2)
        )
    client.force_login(bob)
    seen, rows = [], []
    response = client.get(URL, {"business_key": "K-", "sort": sort})
    while True:
        rows += response.context["page"].instances
        if not response.context["next_url"]:
            break
        response = client.get(URL + response.context["next_url"])
    seen = [r.business_key for r in rows]
    assert len(seen) == len(set(seen)) == 110
    if sort.endswith("business_key"):
        assert seen == sorted(seen, reverse=sort.startswith("-"))
    if sort.endswith("ended"):
        ended = [r.ended_at for r in rows if r.ended_at]
        assert ended == sorted(ended, reverse=sort.startswith("-"))
        assert all(r.ended_at is None for r in rows[len(ended) :])  # nulls last


def test_parse_filter_reads_conditions_and_defaults():
    filters = parse_filter({"v": ["a = 1", "b contains x y"], "vmode": "OR"})
    assert filters.variables == (VariableCondition("a", "=", "1"), VariableCondition("b", "contains", "x y"))
    assert filters.variables_mode == "or" and filters.sort == "-started"
    assert InstanceFilter(q="x").is_search_only and not InstanceFilter(q="x", state="active").is_search_only


def test_filtered_list_has_a_query_budget(
    client, alice, world, make_instance, make_incident, django_assert_max_num_queries
):
    for n in range(40):
        instance = make_instance(world.order_v2, f"MANY-{n}")
        var(instance, "amount", n)
        make_incident(instance, "boom")
        ElementInstance.objects.create(
            instance=instance, element_id="charge", element_type="serviceTask", started_at=timezone.now()
        )
    client.force_login(alice)
    query = {
        "process": "order",
        "state": "incident",
        "v": ["amount > 3", "amount < 100"],
        "element": "charge",
        "error": "boom",
    }
    with django_assert_max_num_queries(9):
        response = client.get(URL, query)
    assert len(response.context["page"].instances) == 36


# -- bulk entry --------------------------------------------------------------------


def test_operators_get_the_bulk_link_for_a_filter_support_does_not(client, alice, bob, world):
    client.force_login(alice)
    body = client.get(URL, {"state": "incident"}).content.decode()
    assert reverse("operate:batch_new") + "?state=incident" in body
    client.force_login(bob)
    assert reverse("operate:batch_new") not in client.get(URL, {"state": "incident"}).content.decode()


# -- saved views -------------------------------------------------------------------


def test_saving_a_view_keeps_the_filter_and_lists_it(client, bob, world):
    client.force_login(bob)
    response = client.post(
        reverse("operate:saved_view_create"),
        {"name": "Stuck orders", "query": "process=order&state=incident&after=zzz"},
    )
    view = SavedView.objects.get()
    assert (view.owner, view.query) == (bob, "process=order&state=incident")
    assert response["Location"] == f"{URL}?process=order&state=incident"
    listed = client.get(URL).context["saved_views"]
    assert [v.name for v in listed] == ["Stuck orders"]


def test_a_view_shared_with_a_group_is_listed_for_its_members_only(client, alice, bob, carol, world):
    support = Group.objects.get(name="support")
    client.force_login(bob)
    client.post(reverse("operate:saved_view_create"), {"name": "Mine", "query": "state=active"})
    client.post(
        reverse("operate:saved_view_create"),
        {"name": "Team", "query": "state=incident", "shared_with_group": support.pk},
    )
    other_support = alice.__class__.objects.create_user("erin", password="pw")
    other_support.groups.add(support)
    client.force_login(other_support)
    assert [v.name for v in client.get(URL).context["saved_views"]] == ["Team"]
    client.force_login(alice)  # an operator, not in the support group
    assert client.get(URL).context["saved_views"] == []


def test_only_the_owner_deletes_a_saved_view(client, alice, bob, world):
    client.force_login(bob)
    client.post(reverse("operate:saved_view_create"), {"name": "Mine", "query": "state=active"})
    view = SavedView.objects.get()
    client.force_login(alice)
    client.post(reverse("operate:saved_view_delete", args=[view.id]))
    assert SavedView.objects.exists()
    client.force_login(bob)
    client.post(reverse("operate:saved_view_delete", args=[view.id]))
    assert not SavedView.objects.exists()


def test_saved_views_need_a_role(client, dave):
    client.force_login(dave)
    assert client.post(reverse("operate:saved_view_create"), {"name": "x", "query": ""}).status_code == 403


# -- CSV ------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_csv_export_has_the_chosen_columns_and_variables_of_the_filtered_list(client, bob, shop):
    client.force_login(bob)
    response = client.get(
        EXPORT,
        {"v": "amount > 100", "col": ["business_key", "process", "version", "state"], "variables": "amount, customer"},
    )
    rows = read_csv(response)
    assert rows[0] == ["Business key", "Process", "Version", "State", "amount", "customer"]
    assert rows[1:] == [
        ["S-3", "order", "2", "active", "250", "Acme Inc"],
        ["S-2", "order", "2", "active", "150", "Globex"],
    ]
    assert response["Content-Disposition"].startswith('attachment; filename="instances-')


def test_csv_export_defaults_and_json_values(client, bob, world):
    client.force_login(bob)
    rows = read_csv(client.get(EXPORT, {"business_key": "ORD-1001", "variables": "customer,orderId"}))
    assert rows[0][:2] == ["Instance key", "Business key"]
    assert rows[1][0] == str(world.waiting.key)
    assert rows[1][-2:] == ['{"name": "<script>x</script>"}', "ORD-1001"]


def test_csv_export_streams_every_row_past_one_slice(client, bob, world, make_instance, monkeypatch):
    from operate import instance_list

    monkeypatch.setattr(instance_list, "_SLICE", 7)
    for n in range(20):
        make_instance(world.order_v1, f"CSV-{n:02}")
    client.force_login(bob)
    rows = read_csv(client.get(EXPORT, {"business_key": "CSV-", "col": "business_key"}))
    assert sorted(r[0] for r in rows[1:]) == [f"CSV-{n:02}" for n in range(20)]


def test_csv_export_needs_a_role(client, dave):
    client.force_login(dave)
    assert client.get(EXPORT).status_code == 403
    client.logout()
    assert client.get(EXPORT)["Location"].startswith("/accounts/login/")
