from __future__ import annotations

import pytest
from django.urls import reverse

URL = reverse("operate:home")

pytestmark = pytest.mark.django_db


def test_logged_out_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave):
    client.force_login(dave)
    assert client.get(URL).status_code == 403


def test_support_sees_counts_per_process_version(client, bob, world):
    client.force_login(bob)
    response = client.get(URL)
    assert response.status_code == 200
    rows = {(d.bpmn_process_id, d.version): d for d in response.context["counts"].rows}
    assert rows[("order", 1)].active_count == 1
    assert rows[("order", 2)].active_count == 1
    assert rows[("order", 2)].completed_count == 1
    assert rows[("order", 2)].open_incident_count == 1
    assert rows[("refund", 1)].cancelled_count == 1
    totals = response.context["counts"].totals
    assert (totals.active, totals.completed, totals.cancelled, totals.open_incidents) == (2, 1, 1, 1)


def test_operator_sees_open_incidents_grouped_by_fingerprint(client, alice, world, make_incident):
    make_incident(world.waiting, "HTTP 502 from payment gateway after 99 ms")
    client.force_login(alice)
    response = client.get(URL)
    assert response.status_code == 200
    groups = response.context["incident_groups"]
    assert len(groups) == 1
    assert groups[0].count == 2
    assert groups[0].instance_count == 2
    assert groups[0].fingerprint == "HTTP <n> from payment gateway after <n> ms"
    assert "HTTP &lt;n&gt; from payment gateway" in response.content.decode()


def test_dashboard_is_calm_when_nothing_has_run(client, bob):
    client.force_login(bob)
    response = client.get(URL)
    assert b"No instances yet" in response.content
    assert b"No open incidents" in response.content


def test_dashboard_query_count_does_not_grow_with_rows(client, bob, world, django_assert_max_num_queries):
    client.force_login(bob)
    with django_assert_max_num_queries(8):
        client.get(URL)


def test_forbidden_page_shows_the_servers_reason_instead_of_a_generic_role_list(client, carol):
    client.force_login(carol)
    response = client.get(URL)
    assert response.status_code == 403
    body = response.content.decode()
    assert "You need the support, operator or admin role to use Operate." in body
    assert "Ask an administrator for the role you need" not in body


def test_forbidden_page_without_a_reason_falls_back_to_the_role_hint(rf, carol):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    request = rf.get(URL)
    request.user = carol
    response = permission_denied(request, PermissionDenied())
    assert response.status_code == 403
    assert "Ask an administrator for the role you need" in response.content.decode()
