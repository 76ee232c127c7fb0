"""Fixes from the user review of bulk operations, the migration page and the instance list:
a double submit makes one batch, bulk migrate points at the migration page, the preview shows
the incident badge, the migration page's diagrams, unmapped reasons and kind names, and the
instance list's count, conditions and bulk link."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from operate import views
from orchestration import services
from orchestration.models import BatchOperation

from .engine_world import deploy_shop, start_failing, start_waiting

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "services" / "fixtures"
NEW = reverse("operate:batch_new")


@pytest.fixture
def shop(db):
    return deploy_shop()


def submit_token(response) -> str:
    match = re.search(r'name="submit_token" value="([0-9a-f]+)"', response.content.decode())
    assert match, "the confirm form carries a one-time submit token"
    return match.group(1)


# -- 1. a double submit creates one batch -------------------------------------------------


def test_two_posts_of_one_confirm_form_create_one_batch_and_the_second_says_so(client, alice, shop):
    for n in range(3):
        start_failing(f"ORD-{n}")
    client.force_login(alice)
    token = submit_token(client.get(NEW, {"state": "incident"}))
    form = {"kind": "retry_incidents", "state": "incident", "reason": "gateway back", "submit_token": token}

    first = client.post(NEW, form)
    second = client.post(NEW, form)

    batch = BatchOperation.objects.get()
    assert batch.total == 3 and batch.params["submit_token"] == token
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("operate:batch", args=[batch.key])
    texts = [str(m) for m in get_messages(second.wsgi_request)]
    assert any("already submitted" in text for text in texts)


def test_each_rendered_form_gets_its_own_token_so_two_forms_make_two_batches(client, alice, shop):
    start_waiting("ORD-1")
    client.force_login(alice)
    tokens = [submit_token(client.get(NEW, {"kind": "suspend", "process": "shop"})) for _ in range(2)]
    assert tokens[0] != tokens[1]

    for token in tokens:
        response = client.post(NEW, {"kind": "suspend", "process": "shop", "submit_token": token})
        assert response.status_code == 302

    assert BatchOperation.objects.count() == 2


def test_a_token_is_per_person_another_operator_with_the_same_token_gets_a_new_batch(client, alice, shop):
    from django.contrib.auth.models import Group, User

    other = User.objects.create_user("erin", password="pw")
    other.groups.add(Group.objects.get(name="operator"))
    start_waiting("ORD-1")
    form = {"kind": "suspend", "process": "shop", "submit_token": "0123abcd"}
    for user in (alice, other):
        client.force_login(user)
        assert client.post(NEW, form).status_code == 302
    assert sorted(BatchOperation.objects.values_list("created_by", flat=True)) == ["alice", "erin"]


def test_support_cannot_submit_even_with_a_token(client, bob, shop):
    start_waiting("ORD-1")
    client.force_login(bob)
    response = client.post(NEW, {"kind": "suspend", "process": "shop", "submit_token": "abc"})
    assert response.status_code == 403
    assert not BatchOperation.objects.exists()


# -- 2. bulk migrate points at the migration page -----------------------------------------


def deploy(name: str):
    (definition,) = services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="admin").definitions
    return definition


@pytest.fixture
def claims(db):
    return deploy("migration_page_v1"), deploy("migration_page_v2")


def start_claim(v1, business_key: str):
    return services.start_instance(definition=v1, business_key=business_key, variables={"path": "a"}, actor="test")


def test_bulk_migrate_with_a_pinned_version_links_to_its_migration_page_with_the_filter(client, alice, claims):
    v1, v2 = claims
    start_claim(v1, "CLM-1")
    client.force_login(alice)

    response = client.get(NEW, {"kind": "migrate", "process": "claims", "version": "1", "business_key": "CLM"})

    url = response.context["migration_url"]
    parts = urlsplit(url)
    assert parts.path == reverse("operate:process_migrate", args=[v1.key])
    assert parse_qs(parts.query) == {"target": [str(v2.key)], "business_key": ["CLM"]}
    body = response.content.decode()
    assert url.replace("&", "&amp;") in body and "migration page" in body
    assert 'name="target"' in body  # the automatic mapping stays one select away
    # the link opens the page with the same selection
    page = client.get(url)
    assert page.status_code == 200 and page.context["target"] == v2
    assert page.context["selection"].shown_params == [("business_key", "CLM")]


def test_bulk_migrate_without_a_version_explains_how_to_get_the_mapping(client, alice, claims):
    v1, _ = claims
    start_claim(v1, "CLM-1")
    client.force_login(alice)

    response = client.get(NEW, {"kind": "migrate", "process": "claims"})

    assert response.context["migration_url"] == ""
    body = response.content.decode()
    assert "filter the" in body and "by process and version" in body
    assert reverse("operate:process_migrate", args=[v1.key]) not in body


def test_other_kinds_show_no_migration_note(client, alice, claims):
    v1, _ = claims
    start_claim(v1, "CLM-1")
    client.force_login(alice)
    response = client.get(NEW, {"kind": "suspend", "process": "claims", "version": "1"})
    assert response.context["migration_url"] == "" and "migrate-note" not in response.content.decode()


# -- 5. the preview sample shows the incident badge ---------------------------------------


def test_the_preview_sample_shows_the_incident_badge_as_the_instance_list_does(client, alice, shop):
    start_failing("ORD-1")
    start_waiting("ORD-2")
    client.force_login(alice)

    response = client.get(NEW, {"process": "shop"})

    sample = {i.business_key: i.has_open_incident for i in response.context["preview"].sample}
    assert sample == {"ORD-1": True, "ORD-2": False}
    rows = re.findall(r"<tr>.*?</tr>", response.content.decode(), re.S)
    failing = next(row for row in rows if "ORD-1<" in row)
    waiting = next(row for row in rows if "ORD-2<" in row)
    assert 'class="badge state-incident">incident' in failing
    assert "state-incident" not in waiting


# -- 3. the migration page ---------------------------------------------------------------


def migrate_page(v1, **query) -> str:
    return reverse("operate:process_migrate", args=[v1.key]) + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_the_migration_page_stacks_both_diagrams_full_width_with_a_readable_minimum(client, alice, claims):
    v1, v2 = claims
    start_claim(v1, "CLM-1")
    client.force_login(alice)

    response = client.get(migrate_page(v1, target=v2.key))

    body = response.content.decode()
    assert 'class="migration-diagrams"' in body and "chart-row migration-diagrams" not in body
    for name in ("source_diagram", "target_diagram"):
        diagram = response.context[name]
        width = float(re.search(r'<svg[^>]* width="([0-9.]+)"', diagram["svg"]).group(1))
        assert diagram["min_width"] == round(width * 0.7) > 0
        assert f"--diagram-min-width: {diagram['min_width']}px" in body
    assert "viewBox=" in response.context["source_diagram"]["svg"]


def test_the_kind_column_shows_human_names(client, alice, claims):
    v1, v2 = claims
    start_claim(v1, "CLM-1")
    client.force_login(alice)

    response = client.get(migrate_page(v1, target=v2.key))

    kinds = {row.element.id: row.kind for row in response.context["rows"]}
    assert kinds == {"route": "exclusive gateway", "Task_A": "job task", "Task_C": "job task"}
    assert "exclusiveGateway" not in re.search(
        r'<table class="grid mapping">.*?</table>', response.content.decode(), re.S
    ).group(0)


def test_a_row_set_to_unmapped_says_so_in_the_eligibility_reason(client, alice, claims):
    v1, v2 = claims
    start_claim(v1, "CLM-1")
    client.force_login(alice)

    response = client.get(
        migrate_page(v1, target=v2.key, edited="1", **{"map-route": "route", "map-Task_A": "", "map-Task_C": ""})
    )

    report = response.context["report"]
    assert report.eligible.count == 0
    (group,) = report.blocked
    assert group.problems == ("Task_A: you left it unmapped; tokens there cannot move",)
    assert "Task_A: you left it unmapped; tokens there cannot move" in response.content.decode()


# -- 4. the instance list ---------------------------------------------------------------


INSTANCES = reverse("operate:instances")


def test_no_bulk_action_is_offered_when_nothing_matches(client, alice, world):
    client.force_login(alice)
    bulk = reverse("operate:batch_new")

    nothing = client.get(INSTANCES, {"business_key": "NOPE"})
    some = client.get(INSTANCES, {"business_key": "ORD"})

    assert nothing.context["matching"] == 0 and bulk not in nothing.content.decode()
    assert "match-count" not in nothing.content.decode()
    assert some.context["matching"] == 3 and bulk in some.content.decode()


def test_two_empty_condition_rows_when_none_is_set_and_one_more_after_the_set_ones(client, bob, world):
    client.force_login(bob)

    empty = client.get(INSTANCES)
    one = client.get(INSTANCES, {"v": ["orderId = ORD-1001", ""]})

    assert empty.context["conditions"] == ["", ""]
    assert empty.content.decode().count('name="v"') == 2
    assert one.context["conditions"] == ["orderId = ORD-1001", ""]
    assert [i.business_key for i in one.context["page"].instances] == ["ORD-1001"]


def test_the_two_empty_rows_combine_with_or(client, bob, world):
    client.force_login(bob)
    response = client.get(INSTANCES, {"v": ["orderId = ORD-1001", "orderId = ORD-1002"], "vmode": "or"})
    assert sorted(i.business_key for i in response.context["page"].instances) == ["ORD-1001", "ORD-1002"]
    assert response.context["match_count"] == "2"


def test_a_small_result_shows_its_exact_count(client, bob, world):
    client.force_login(bob)
    response = client.get(INSTANCES, {"process": "order"})
    assert (response.context["match_count"], response.context["match_count_rest"]) == ("3", "instances match")
    assert "<strong>3</strong> instances match this filter." in response.content.decode()


def test_a_large_result_is_counted_only_up_to_the_cap(client, bob, make_definition, make_instance, monkeypatch):
    definition = make_definition("bulk", 1)
    started = timezone.now() - dt.timedelta(hours=1)
    for n in range(55):
        make_instance(definition, f"B-{n:03}", started_at=started + dt.timedelta(seconds=n))
    client.force_login(bob)

    exact = client.get(INSTANCES, {"process": "bulk"})
    monkeypatch.setattr(views, "MATCH_COUNT_CAP", 20)
    capped = client.get(INSTANCES, {"process": "bulk"})
    second_page = client.get(capped.context["next_url"].replace("?", INSTANCES + "?", 1))

    assert exact.context["matching"] == 55 and exact.context["match_count"] == "55"
    assert capped.context["matching"] == 21 and capped.context["match_count"] == "20+"
    assert "<strong>20+</strong> instances match" in capped.content.decode()
    assert second_page.context["match_count"] == "20+"  # the count is of the filter, not of the page


def test_the_match_count_is_one_bounded_query(bob, make_definition, make_instance, django_assert_num_queries):
    from orchestration import selectors
    from orchestration.instance_search import parse_filter

    definition = make_definition("bulk", 1)
    for n in range(7):
        make_instance(definition, f"B-{n}")
    filters = parse_filter({"process": ["bulk"]})
    with django_assert_num_queries(1) as captured:
        assert selectors.count_instances_capped(filters, cap=5) == 6
    assert "LIMIT 6" in captured.captured_queries[0]["sql"]
    assert selectors.count_instances_capped(filters, cap=100) == 7
