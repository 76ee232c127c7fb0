from __future__ import annotations

import pytest
from django.urls import reverse

URL = reverse("operate:processes")

pytestmark = pytest.mark.django_db


def test_logged_out_user_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave):
    client.force_login(dave)
    assert client.get(URL).status_code == 403


def test_approver_without_view_role_is_forbidden(client, carol):
    client.force_login(carol)
    assert client.get(URL).status_code == 403


def test_definitions_are_grouped_by_process_id_with_versions_newest_first(client, bob, world):
    client.force_login(bob)
    response = client.get(URL)
    assert response.status_code == 200
    processes = {p.bpmn_process_id: p for p in response.context["processes"]}
    assert [v.version for v in processes["order"].versions] == [2, 1]
    assert processes["order"].totals.active == 2
    assert processes["order"].totals.completed == 1
    assert processes["refund"].totals.cancelled == 1
    assert reverse("operate:process", args=[world.order_v2.key]) in response.content.decode()


def test_process_list_query_count_does_not_grow_with_versions(
    client, alice, make_definition, make_instance, django_assert_max_num_queries
):
    for version in range(1, 16):
        definition = make_definition("invoice", version)
        make_instance(definition, f"INV-{version}")
    client.force_login(alice)
    with django_assert_max_num_queries(6):
        response = client.get(URL)
    assert len(response.context["processes"][0].versions) == 15
