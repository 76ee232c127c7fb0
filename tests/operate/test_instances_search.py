"""The instance list's search box: quoted values, exact business keys among prefixes, shortened keys."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orchestration.instance_search import search_variable

URL = reverse("operate:instances")

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("q", ['orderId="ORD-1002"', "orderId='ORD-1002'", 'orderId = "ORD-1002"'])
def test_a_quoted_variable_value_finds_the_instance(client, bob, world, q):
    client.force_login(bob)
    response = client.get(URL, {"q": q})
    assert response.status_code == 302
    assert response["Location"] == reverse("operate:instance", args=[world.failing.key])


@pytest.mark.parametrize(
    ("q", "expected"),
    [('a="x"', ("a", "x")), ("a='x'", ("a", "x")), ("a=\"x'", ("a", "\"x'")), ('a="', ("a", '"')), ("a=", ("a", ""))],
)
def test_only_matching_quotes_are_stripped(q, expected):
    assert search_variable(q) == expected


@pytest.fixture
def bulk(world, make_instance):
    return {key: make_instance(world.order_v1, key) for key in ("BULK-1", "BULK-10", "BULK-11")}


def test_an_exact_business_key_among_longer_ones_opens_it_with_a_link_to_the_rest(client, bob, bulk):
    client.force_login(bob)
    response = client.get(URL, {"q": "BULK-1"})
    assert response.status_code == 302
    assert response["Location"] == reverse("operate:instance", args=[bulk["BULK-1"].key])
    page = client.get(response["Location"]).content.decode()
    assert f'<a href="{URL}?business_key=BULK-1">Show all starting with BULK-1</a>' in page
    listed = client.get(URL, {"business_key": "BULK-1"})
    assert sorted(i.business_key for i in listed.context["page"].instances) == ["BULK-1", "BULK-10", "BULK-11"]


def test_a_prefix_that_is_nobodys_exact_key_still_lists_the_matches(client, bob, bulk):
    client.force_login(bob)
    response = client.get(URL, {"q": "BULK-"})
    assert response.status_code == 200
    assert len(response.context["page"].instances) == 3


def test_two_instances_with_the_same_exact_key_stay_on_the_list(client, bob, world, bulk, make_instance):
    make_instance(world.order_v2, "BULK-1")
    client.force_login(bob)
    response = client.get(URL, {"q": "BULK-1"})
    assert response.status_code == 200
    assert len(response.context["page"].instances) == 4


def test_an_exact_key_with_other_filters_stays_on_the_list(client, bob, bulk):
    client.force_login(bob)
    response = client.get(URL, {"q": "BULK-1", "state": "active"})
    assert response.status_code == 200


@pytest.mark.parametrize("prefix", ["…", "...", "… "])
def test_a_shortened_key_as_the_list_shows_it_explains_that_the_whole_key_is_needed(client, bob, world, prefix):
    client.force_login(bob)
    response = client.get(URL, {"q": prefix + str(world.completed.key)[-12:]})
    assert response.status_code == 200
    assert response.context["page"].instances == []
    body = response.content.decode()
    assert "is a shortened instance key; search needs the whole key" in body
    assert f'title="{world.completed.key}"' not in body  # nothing listed


def test_the_list_shows_the_whole_key_on_hover_and_keeps_it_in_the_text_for_copying(client, bob, world):
    client.force_login(bob)
    body = client.get(URL).content.decode()
    key = str(world.completed.key)
    assert f'title="{key}"' in body
    # the head is drawn at font-size 0 (static/css/app.css), so a copy takes the whole key
    assert f'<span class="key-head">{key[:-12]}</span>{key[-12:]}</code>' in body
