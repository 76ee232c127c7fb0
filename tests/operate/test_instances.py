from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

URL = reverse("operate:instances")

pytestmark = pytest.mark.django_db


def keys_of(response) -> list[str]:
    return [i.business_key for i in response.context["page"].instances]


def test_logged_out_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave):
    client.force_login(dave)
    assert client.get(URL).status_code == 403


def test_support_sees_every_instance_newest_first(client, bob, world):
    client.force_login(bob)
    response = client.get(URL)
    assert response.status_code == 200
    assert keys_of(response) == ["REF-1", "ORD-2001", "ORD-1002", "ORD-1001"]
    assert reverse("operate:instance", args=[world.waiting.key]) in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"process": "order"}, ["ORD-2001", "ORD-1002", "ORD-1001"]),
        ({"process": "refund"}, ["REF-1"]),
        ({"state": "active"}, ["ORD-1002", "ORD-1001"]),
        ({"state": "completed"}, ["ORD-2001"]),
        ({"state": "cancelled"}, ["REF-1"]),
        ({"state": "incident"}, ["ORD-1002"]),
        ({"business_key": "ORD-1"}, ["ORD-1002", "ORD-1001"]),
        ({"business_key": "ORD-1001"}, ["ORD-1001"]),
        ({"process": "order", "state": "active", "business_key": "ORD-100"}, ["ORD-1002", "ORD-1001"]),
        ({"fingerprint": "HTTP <n> from payment gateway after <n> ms"}, ["ORD-1002"]),
    ],
)
def test_filters_narrow_the_list(client, alice, world, query, expected):
    client.force_login(alice)
    assert keys_of(client.get(URL, query)) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("ORD-", ["ORD-2001", "ORD-1002", "ORD-1001"]),
        ("ORD-100", ["ORD-1002", "ORD-1001"]),
        ("orderId=nothing", []),
        ("nobody", []),
    ],
)
def test_search_box_matches_business_key_prefix_or_variable(client, bob, world, q, expected):
    client.force_login(bob)
    assert keys_of(client.get(URL, {"q": q})) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [("ORD-2001", "completed"), ("orderId=ORD-1002", "failing"), ("orderId = ORD-1001", "waiting")],
)
def test_a_search_matching_exactly_one_case_opens_it(client, bob, world, q, expected):
    client.force_login(bob)
    response = client.get(URL, {"q": q})
    assert response.status_code == 302
    assert response["Location"] == reverse("operate:instance", args=[getattr(world, expected).key])


def test_search_box_finds_an_instance_by_its_key(client, bob, world):
    client.force_login(bob)
    response = client.get(URL, {"q": str(world.completed.key)})
    assert response["Location"] == reverse("operate:instance", args=[world.completed.key])


def test_a_single_match_with_other_filters_stays_on_the_list(client, bob, world):
    client.force_login(bob)
    assert keys_of(client.get(URL, {"q": "ORD-2001", "state": "completed"})) == ["ORD-2001"]


def test_empty_result_says_nothing_matches(client, bob, world):
    client.force_login(bob)
    assert b"No instance matches these filters" in client.get(URL, {"q": "nobody"}).content


def test_unknown_state_is_a_form_error_not_a_crash(client, bob, world):
    client.force_login(bob)
    response = client.get(URL, {"state": "exploded"})
    assert response.status_code == 200
    assert keys_of(response) == []
    assert response.context["form"].errors


def test_keyset_pagination_walks_every_instance_once_keeping_filters(client, bob, world, make_instance):
    start = timezone.now() - dt.timedelta(days=1)
    for n in range(120):
        # pairs share a start time, so the key breaks the tie
        make_instance(world.order_v1, f"BULK-{n:03}", started_at=start + dt.timedelta(seconds=n // 2))
    client.force_login(bob)
    seen: list[str] = []
    response = client.get(URL, {"business_key": "BULK-"})
    pages = 1
    while True:
        seen += keys_of(response)
        next_url = response.context["next_url"]
        if not next_url:
            break
        assert "business_key=BULK-" in next_url
        response = client.get(URL + next_url)
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120
    assert seen[0] == "BULK-119" or seen[0] == "BULK-118"


def test_a_broken_page_position_is_reported(client, bob, world):
    client.force_login(bob)
    response = client.get(URL, {"after": "yesterday"})
    assert b"Not a valid page position" in response.content


def test_htmx_request_gets_only_the_results_partial(client, bob, world):
    client.force_login(bob)
    response = client.get(URL, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'id="results"' in body
    assert "<html" not in body


def test_list_query_count_does_not_grow_with_rows(
    client, alice, world, make_instance, make_incident, django_assert_max_num_queries
):
    for n in range(40):
        instance = make_instance(world.order_v2, f"MANY-{n}")
        make_incident(instance, "boom")
    client.force_login(alice)
    with django_assert_max_num_queries(7):
        response = client.get(URL)
    assert len(response.context["page"].instances) == 44
