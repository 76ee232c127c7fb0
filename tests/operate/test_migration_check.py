"""The migration page past AUTO_CHECK_LIMIT selected instances: the eligibility report scans
every one of them, so it runs only on an explicit "Check eligibility" (not on every select
change), and the page says so; below the limit it is checked on every change as before."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from operate import migration as migration_page
from orchestration import services

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "services" / "fixtures"


def deploy(name: str):
    (definition,) = services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="admin").definitions
    return definition


@pytest.fixture
def large(db, monkeypatch):
    """Three active instances of v1, over a limit of two."""
    v1, v2 = deploy("migration_page_v1"), deploy("migration_page_v2")
    for n in range(3):
        services.start_instance(definition=v1, business_key=f"A-{n}", variables={"path": "a"}, actor="test")
    monkeypatch.setattr(migration_page, "AUTO_CHECK_LIMIT", 2)
    return v1, v2


def url(v1, **query) -> str:
    query_string = "&".join(f"{k}={v}" for k, v in query.items())
    return reverse("operate:process_migrate", args=[v1.key]) + (f"?{query_string}" if query else "")


def test_a_large_selection_is_not_checked_until_the_user_asks(client, alice, large):
    v1, v2 = large
    client.force_login(alice)

    response = client.get(url(v1, target=v2.key))

    body = response.content.decode()
    assert response.status_code == 200 and response.context["report"] is None
    assert "not checked yet" in body and "3 active instances of v1 are selected" in body
    assert 'name="check" value="1"' in body  # the button, in the mapping form (works without JavaScript)
    assert "Start migration batch" not in body  # nothing runs unchecked


def test_check_eligibility_shows_the_report_and_the_run_form(client, alice, large):
    v1, v2 = large
    client.force_login(alice)

    response = client.get(url(v1, target=v2.key, check=1))

    report = response.context["report"]
    assert (report.total, report.eligible.count) == (3, 3)
    body = response.content.decode()
    assert "not checked yet" not in body and "Start migration batch" in body


def test_a_select_change_does_not_check_a_large_selection(client, alice, large):
    v1, v2 = large
    client.force_login(alice)
    form = {"target": str(v2.key), "edited": "1", "map-route": "route", "map-Task_A": "Task_A", "map-Task_C": ""}

    response = client.get(url(v1), form, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="migration-plan")

    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<div id="migration-plan">')
    assert "not checked yet" in body and "can migrate with this mapping" not in body


def test_support_may_check_a_large_selection_but_not_run_it(client, bob, large):
    v1, v2 = large
    client.force_login(bob)

    response = client.get(url(v1, target=v2.key, check=1))

    assert response.status_code == 200 and response.context["report"].total == 3
    assert "Start migration batch" not in response.content.decode()


def test_users_without_a_role_cannot_check(client, dave, large):
    v1, v2 = large
    client.force_login(dave)
    assert client.get(url(v1, target=v2.key, check=1)).status_code in (403, 404)
