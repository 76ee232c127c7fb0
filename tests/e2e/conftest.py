"""Shared fixtures for the browser tests (Debian Chromium via Playwright against pytest-django's live server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# The groups the data migrations create (0002_roles, 0008_worker_role, 0011_tasklist_access).
ROLE_GROUPS = ("support", "operator", "approver", "admin", "worker", "lead")


@pytest.fixture(autouse=True)
def role_groups(transactional_db) -> None:
    """Put the migrations' groups back: a transactional test run earlier flushes every table, groups included."""
    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def chromium(monkeypatch):
    """A headless Debian Chromium, closed after the test."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are plain sync code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def celery_outbox(monkeypatch) -> dict[str, list[str]]:
    """Celery messages the services send, kept here instead of in Redis; the test runs the work itself.

    The live server is a thread of this process, so the patch covers its requests too.
    """
    from orchestration import tasks

    sent: dict[str, list[str]] = {"run_job": [], "run_batch_chunk": []}
    monkeypatch.setattr(tasks.run_job, "delay", lambda key: sent["run_job"].append(key))
    monkeypatch.setattr(tasks.run_batch_chunk, "delay", lambda key: sent["run_batch_chunk"].append(key))
    return sent
