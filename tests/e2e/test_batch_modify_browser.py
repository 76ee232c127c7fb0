"""Bulk modify in a real browser: from the instance list filtered to one version, through the
bulk form's instruction rows, to the batch page; then the same form with JavaScript off.

Screenshots: tests/e2e/artifacts/batch-modify-*.png.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from orchestration import services
from orchestration.models import BatchOperation, ElementInstance
from orchestration.services.batches import run_batch_chunk

from .conftest import ARTIFACTS, CHROMIUM

MODEL = Path(__file__).resolve().parents[1] / "services" / "fixtures" / "batch_modify.bpmn"
PASSWORD = "omar-pass-7713"
VIEWPORT = {"width": 1360, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


def _login(page, base: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", "omar")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_url}*")


def _world() -> list:
    User.objects.create_user(username="omar", password=PASSWORD).groups.add(Group.objects.get(name="operator"))
    services.deploy(MODEL.read_text(), actor="test")
    return [
        services.start_instance("bulk-modify", business_key=f"ORD-{n:02}", actor="test", dispatch=False)
        for n in range(12)
    ]


def _at(instances, element_id: str) -> int:
    return ElementInstance.objects.filter(instance__in=instances, element_id=element_id, state="active").count()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_operator_moves_every_token_of_one_version_from_a_to_b(live_server, chromium, celery_outbox, javascript):
    instances = _world()
    page = chromium.new_page(viewport=VIEWPORT, java_script_enabled=javascript)
    _login(page, live_server.url, "/operate/instances/")

    page.goto(f"{live_server.url}/operate/instances/?process=bulk-modify&version=1")
    page.click("text=Modify tokens of all matching…")
    page.wait_for_selector("select[name=op_1]")
    assert "12" in page.inner_text(".count-line")
    page.select_option("select[name=op_1]", "move")
    page.select_option("select[name=from_1]", "Task_A")
    page.select_option("select[name=to_1]", "Task_B")
    page.fill("input[name=reason]", "payment gateway replaced")
    if javascript:
        page.screenshot(path=str(ARTIFACTS / "batch-modify-form.png"), full_page=True)
    page.click("button:has-text('Start batch for 12 instances')")
    page.wait_for_url("**/operate/batches/*/")

    batch = BatchOperation.objects.get()
    assert (batch.kind, batch.total, batch.created_by) == ("modify", 12, "omar")
    assert celery_outbox["run_batch_chunk"] == [str(batch.key)]
    run_batch_chunk(batch.key, dispatch=False)  # what the worker does with that message
    page.reload()
    assert "completed" in page.inner_text("#batch-progress")
    assert "move Task_A → Task_B" in page.inner_text("#batch-progress")
    if javascript:
        page.screenshot(path=str(ARTIFACTS / "batch-modify-done.png"), full_page=True)
    assert (_at(instances, "Task_A"), _at(instances, "Task_B")) == (0, 12)
    page.close()


def test_modify_without_a_version_offers_one_link_per_version(live_server, chromium, celery_outbox):
    _world()
    page = chromium.new_page(viewport=VIEWPORT, java_script_enabled=False)
    _login(page, live_server.url, "/operate/instances/")
    page.goto(f"{live_server.url}/operate/batches/new/?process=bulk-modify&kind=modify")
    assert "pins one process version" in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "batch-modify-unpinned.png"), full_page=True)
    page.click("a.button:has-text('v1')")
    page.wait_for_selector("select[name=op_1]")
    assert "version=1" in page.url and "kind=modify" in page.url
    page.fill("input[name=reason]", "reroute")
    page.click("button:has-text('Start batch for 12 instances')")  # no instruction chosen: the form says so
    assert "Choose at least one instruction." in page.inner_text("main")
    page.screenshot(path=str(ARTIFACTS / "batch-modify-incomplete.png"), full_page=True)
    assert not BatchOperation.objects.exists()
    page.close()
