from __future__ import annotations

import pytest
from django.urls import reverse

URL = reverse("operate:incidents")

pytestmark = pytest.mark.django_db


def test_logged_out_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave):
    client.force_login(dave)
    assert client.get(URL).status_code == 403


def test_open_incidents_are_grouped_by_fingerprint_and_resolved_ones_left_out(client, bob, world, make_incident):
    make_incident(world.waiting, "HTTP 502 from payment gateway after 7 ms")
    make_incident(world.waiting, "no variable 'amount'", type="expression")
    client.force_login(bob)
    response = client.get(URL)
    assert response.status_code == 200
    groups = {g.fingerprint: g for g in response.context["groups"]}
    assert set(groups) == {"HTTP <n> from payment gateway after <n> ms", "no variable <str>"}
    http = groups["HTTP <n> from payment gateway after <n> ms"]
    assert http.count == 2
    assert {i.instance.business_key for i in http.recent} == {"ORD-1001", "ORD-1002"}
    body = response.content.decode()
    assert reverse("operate:instance", args=[world.failing.key]) in body
    assert "after 31 ms" not in body  # resolved


def test_no_open_incidents_says_so(client, alice):
    client.force_login(alice)
    assert b"No open incidents" in client.get(URL).content


def test_incident_list_query_count_does_not_grow_with_incidents(
    client, alice, world, make_instance, make_incident, django_assert_max_num_queries
):
    for n in range(20):
        instance = make_instance(world.order_v1, f"BULK-{n}")
        make_incident(instance, f"timeout after {n} s")
        make_incident(instance, f"no variable 'x{n}'")
    client.force_login(alice)
    # session, user, groups, then the board: groups + recent, versions, hourly, retrying jobs
    with django_assert_max_num_queries(9):
        response = client.get(URL)
    assert sum(len(g.recent) for g in response.context["groups"]) == 41
