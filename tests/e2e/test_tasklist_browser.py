"""Tasklist in a real browser (Debian Chromium via Playwright) against a live server.

An approver logs in, filters the inbox, claims a task, submits its form with a
validation error, corrects it and completes it; a support user then sees in Operate
that the instance moved on to the next task. Screenshots: tests/e2e/artifacts/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from orchestration import services
from orchestration.models import UserTask

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
FIXTURE = Path(__file__).resolve().parent.parent / "tasklist" / "fixtures" / "order_approval.bpmn"
CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
]


def _user(username: str, password: str, role: str) -> User:
    user = User.objects.create_user(username=username, password=password)
    user.groups.add(Group.objects.get(name=role))
    return user


def _login(page, base: str, username: str, password: str, next_url: str) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_url}*")


@pytest.mark.django_db(transaction=True)
def test_approver_completes_a_task_in_the_browser_and_support_sees_the_instance_move_on(live_server, monkeypatch):
    from playwright.sync_api import expect, sync_playwright

    services.deploy(FIXTURE.read_text(), actor="test", resource_name="order_approval.bpmn")
    services.start_instance(
        "order-approval", variables={"customer": "Globex", "amount": 80}, business_key="ORD-100", actor="test"
    )
    target = services.start_instance(
        "order-approval", variables={"customer": "ACME", "amount": 250}, business_key="ORD-200", actor="test"
    )
    _user("carol", "carol-pass-2931", "approver")
    _user("bob", "bob-pass-2931", "support")
    ARTIFACTS.mkdir(exist_ok=True)
    base = live_server.url
    # Playwright's sync API runs an event loop in this thread; the ORM checks below are plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            page = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
            _login(page, base, "carol", "carol-pass-2931", "/tasklist/")
            expect(page.locator("#tasks tbody tr")).to_have_count(2)

            page.fill("#id_business_key", "ORD-2")
            page.click("#filter-form button[type=submit]")
            rows = page.locator("#tasks tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("ORD-200")
            expect(rows.first).to_contain_text("in 3")  # the SLA boundary timer's countdown
            page.screenshot(path=str(ARTIFACTS / "1-inbox-filtered.png"), full_page=True)

            rows.first.locator("a").first.click()
            page.click("button:has-text('Claim')")
            expect(page.locator("#assignee")).to_contain_text("carol")
            expect(page.locator("#field-amount")).to_have_value("250")

            page.fill("#field-amount", "9000")
            page.check("#field-approved")
            page.fill("#field-note", "ship with the blue box, please")
            page.click("button:has-text('Complete')")
            expect(page.locator("#field-amount-error")).to_have_text("Must be at most 5000.")
            expect(page.locator("#field-note-error")).to_have_text("At most 20 characters.")
            page.screenshot(path=str(ARTIFACTS / "2-form-with-errors.png"), full_page=True)
            assert UserTask.objects.get(instance=target, element_id="approve").state == "created"

            page.fill("#field-amount", "300")
            page.fill("#field-note", "blue box")
            page.select_option("#field-channel", "courier")
            page.click("button:has-text('Complete')")
            page.wait_for_url(f"{base}/tasklist/")
            expect(page.locator(".messages")).to_contain_text("completed")
            page.screenshot(path=str(ARTIFACTS / "3-completed.png"), full_page=True)

            support = browser.new_context(viewport={"width": 1360, "height": 900}).new_page()
            _login(support, base, "bob", "bob-pass-2931", f"/operate/instances/{target.key}/")
            expect(support.locator("body")).to_contain_text("ship")
            support.screenshot(path=str(ARTIFACTS / "4-operate-moved-on.png"), full_page=True)
        finally:
            browser.close()

    done = UserTask.objects.get(instance=target, element_id="approve")
    assert (done.state, done.completed_by) == ("completed", "carol")
    assert UserTask.objects.get(instance=target, element_id="ship").state == "created"
    assert target.variables.get(name="amount").value == 300
    assert os.path.exists(ARTIFACTS / "4-operate-moved-on.png")
