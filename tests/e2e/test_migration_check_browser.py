"""A migration selection past AUTO_CHECK_LIMIT in a real browser: the page says the report
has not been checked, "Check eligibility" runs it (with or without JavaScript), and the run
form appears with it. Also the duration legend naming its sample.

Screenshots: tests/e2e/artifacts/migration-check-*.png, process-duration-legend.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from operate import migration as migration_page
from orchestration import services

from .conftest import ARTIFACTS

FIXTURES = Path(__file__).resolve().parents[1] / "services" / "fixtures"
PASSWORD = "mira-pass-5521"
VIEWPORT = {"width": 1360, "height": 900}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _world():
    User.objects.create_user(username="mira", password=PASSWORD).groups.add(Group.objects.get(name="operator"))
    v1, v2 = (
        services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="test").definitions[0]
        for name in ("migration_page_v1", "migration_page_v2")
    )
    for n in range(8):
        path = "c" if n % 4 == 0 else "a"
        services.start_instance(definition=v1, business_key=f"CLM-{n:02}", variables={"path": path}, actor="test")
    return v1, v2


def _login(page, live_server, url: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/?next={url}")
    page.fill("#id_username", "mira")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{url}*")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_large_selection_is_checked_on_request(live_server, chromium, monkeypatch, javascript):
    monkeypatch.setattr(migration_page, "AUTO_CHECK_LIMIT", 4)
    v1, _ = _world()
    page = chromium.new_page(viewport=VIEWPORT, java_script_enabled=javascript)
    _login(page, live_server, f"/operate/processes/{v1.key}/migrate/")

    assert "not checked yet" in page.locator("#eligibility").inner_text()
    assert page.locator("#run").count() == 0
    shot = "js" if javascript else "nojs"
    page.screenshot(path=str(ARTIFACTS / f"migration-check-pending-{shot}.png"), full_page=True)

    page.select_option("select[name='map-Task_C']", "Task_B")
    if javascript:  # htmx re-renders the plan on the change, still without the report
        page.wait_for_function("document.querySelector('select[name=\"map-Task_C\"]').value === 'Task_B'")
        assert "not checked yet" in page.locator("#eligibility").inner_text()
    page.click("text=Check eligibility")
    page.wait_for_selector("#eligibility .count-line")

    assert page.locator("#eligibility .count-line").inner_text().startswith("8 of 8")
    assert page.locator("#run").is_visible()
    page.screenshot(path=str(ARTIFACTS / f"migration-check-done-{shot}.png"), full_page=True)


def test_the_duration_legend_names_its_sample(live_server, chromium):
    v1, _ = _world()
    page = chromium.new_page(viewport=VIEWPORT)
    _login(page, live_server, f"/operate/processes/{v1.key}/?overlay=duration")

    assert "over the newest 20,000 completed element instances" in page.locator(".diagram-legend").inner_text()
    page.screenshot(path=str(ARTIFACTS / "process-duration-legend.png"), full_page=True)
