"""The migration page in a real browser: both diagrams and the mapping table, a mapping row
edited (htmx re-checks the eligibility report; without JavaScript the "Check mapping" button
does), then a canary batch and the batch page.

Screenshots: tests/e2e/artifacts/migration-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from orchestration import services
from orchestration.models import BatchOperation

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


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_operator_edits_the_mapping_checks_eligibility_and_starts_a_canary(
    live_server, chromium, celery_outbox, javascript
):
    v1, v2 = _world()
    page = chromium.new_page(viewport=VIEWPORT, java_script_enabled=javascript)
    url = f"/operate/processes/{v1.key}/migrate/"
    page.goto(f"{live_server.url}/accounts/login/?next={url}")
    page.fill("#id_username", "mira")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{url}*")

    assert page.locator("#diagram-source svg").is_visible() and page.locator("#diagram-target svg").is_visible()
    assert page.locator("#eligibility .count-line").inner_text().startswith("6 of 8")
    page.screenshot(path=str(ARTIFACTS / f"migration-page-{'js' if javascript else 'nojs'}.png"), full_page=True)

    page.select_option("select[name='map-Task_C']", "Task_B")
    if not javascript:
        page.click("text=Check mapping")
    page.wait_for_function("document.querySelector('#eligibility .count-line').innerText.startsWith('8 of 8')")
    assert page.locator("select[name='map-Task_C']").input_value() == "Task_B"

    page.check("input[name=canary]")
    page.fill("input[name=canary_size]", "3")
    page.click("text=Start migration batch")
    page.wait_for_url(f"{live_server.url}/operate/batches/**")
    batch = BatchOperation.objects.get()
    assert batch.total == 3 and ["Task_C", "Task_B"] in batch.params["instructions"]
    assert "This is a canary" in page.content()
    page.screenshot(path=str(ARTIFACTS / f"migration-canary-{'js' if javascript else 'nojs'}.png"), full_page=True)
