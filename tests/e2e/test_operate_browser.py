"""Operate in a real browser (Debian Chromium via Playwright) against a live server.

An operator finds an order by its business key, sees where its token waits, fixes
the variable that broke it, retries the incident and watches the token move on
without reloading; then retries 50 incidents in one batch and watches the progress
bar finish. Jobs and batch chunks run in the test thread, as a worker would run
them (the live server thread shares the database). Screenshots of the main pages:
tests/e2e/artifacts/operate-*.png.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from orchestration import services
from orchestration.models import BatchOperation, Incident, Job, ProcessInstance
from orchestration.services.batches import create_batch, run_batch_chunk
from orchestration.tasks import execute_job

from .conftest import ARTIFACTS, CHROMIUM

ORDER_PROCESS = Path(__file__).resolve().parents[2] / "orchestration" / "demo" / "processes" / "order-process.bpmn"
PASSWORD = "olga-pass-5521"
VIEWPORT = {"width": 1360, "height": 900}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _no_backoff(settings):
    """A failed attempt may run again at once (the retries are what the tests are about, not the waiting)."""
    settings.ORCHESTRATION = {**getattr(settings, "ORCHESTRATION", {}), "RETRY_BACKOFF_SECONDS": 0}


def _operator() -> User:
    user = User.objects.create_user(username="olga", password=PASSWORD)
    user.groups.add(Group.objects.get(name="operator"))
    return user


def _login(page, base: str, next_url: str, username: str = "olga", password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}{next_url}*")


def _deploy_orders() -> None:
    services.deploy(ORDER_PROCESS.read_bytes(), actor="test", resource_name=ORDER_PROCESS.name)


def _start_order(business_key: str, **variables) -> ProcessInstance:
    variables = {"orderId": business_key, "total": 120, **variables}
    return services.start_instance(
        "order-process", business_key=business_key, variables=variables, actor="test", dispatch=False
    )


def _run_due_jobs() -> int:
    """Run every due handler job here, round after round, until none is left; how many ran."""
    ran = 0
    for _ in range(10):
        due = Q(retry_at__isnull=True) | Q(retry_at__lte=timezone.now())
        keys = list(Job.objects.filter(due, internal=True, state=Job.State.ACTIVATABLE).values_list("key", flat=True))
        if not keys:
            break
        for key in keys:
            execute_job(key, worker="e2e-worker")
        ran += len(keys)
    return ran


def _collect_errors(page) -> list[str]:
    """What a user would find in the browser console: script errors and failed requests."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(f"{msg.text} {msg.location}") if msg.type == "error" else None)
    return errors


def _expect_settled(page, selector: str) -> None:
    """Wait until htmx has settled what it swapped in: until then (htmx's 20 ms settle delay) the new
    forms are not wired to htmx yet, and a click as fast as a test's would submit the plain HTML form."""
    from playwright.sync_api import expect

    expect(page.locator(f"{selector}.htmx-added")).to_have_count(0)


def _mark_page(page) -> None:
    """A flag on window that a reload would lose: the assertions after it prove the page updated in place."""
    page.evaluate("window.__e2eNoReload = true")


def _assert_not_reloaded(page) -> None:
    assert page.evaluate("window.__e2eNoReload === true"), "the page was reloaded"


def _expect_token(page, element_id: str, *, waits: bool = True, incident: bool = False, timeout: int = 5_000) -> None:
    """Where the token waits, as the page shows it: the diagram's highlighted element
    (``bpmn-active``, with ``bpmn-incident`` when it is stuck) and the "where it waits" panel."""
    from playwright.sync_api import expect

    count = 1 if waits else 0
    shape = page.locator(f'#diagram svg g[data-element-id="{element_id}"]')
    expect(shape).to_have_count(1)
    expect(shape.and_(page.locator(".bpmn-active"))).to_have_count(count, timeout=timeout)
    expect(shape.and_(page.locator(".bpmn-incident"))).to_have_count(1 if incident else 0, timeout=timeout)
    expect(page.locator("#waiting tbody tr", has_text=element_id)).to_have_count(count, timeout=timeout)


def test_operator_finds_an_order_fixes_its_variable_retries_the_incident_and_watches_it_move_on(
    live_server, chromium, celery_outbox
):
    from playwright.sync_api import expect

    _deploy_orders()
    for key in ("ORD-4522", "ORD-4524"):
        _start_order(key, card="ok")
    order = _start_order("ORD-4523", card="declined")
    _run_due_jobs()
    incident = Incident.objects.get(instance=order, state=Incident.State.OPEN)
    assert incident.element_id == "charge-payment"
    _operator()
    base = live_server.url

    page = chromium.new_context(viewport=VIEWPORT).new_page()
    errors = _collect_errors(page)
    _login(page, base, "/operate/")
    page.fill("#topsearch", "ORD-4523")
    page.press("#topsearch", "Enter")
    page.wait_for_url(f"{base}/operate/instances/{order.key}/")
    expect(page.locator("h1")).to_contain_text("ORD-4523")
    _expect_token(page, "charge-payment", incident=True)
    expect(page.locator("#incidents")).to_contain_text("card declined for order ORD-4523")
    page.screenshot(path=str(ARTIFACTS / "operate-instance-incident.png"), full_page=True)
    _mark_page(page)

    page.click("#actions summary:has-text('Edit a variable')")
    page.fill("#id_variable-name", "card")
    page.fill("#id_variable-value", '"ok"')
    page.fill("#id_variable-reason", "customer sent a new card")
    page.click("#actions button:has-text('Save variable')")
    expect(page.locator("#actions .note")).to_have_text("Variable saved.")
    _expect_settled(page, "#actions")
    assert order.variables.get(name="card").value == "ok"

    page.click("#actions button:has-text('Retry')")
    expect(page.locator("#actions .note")).to_contain_text("Incident resolved")
    incident.refresh_from_db()
    assert (incident.state, incident.resolved_by) == (Incident.State.RESOLVED, "olga")
    assert len(celery_outbox["run_job"]) == 1  # the job went back to the workers

    # the worker runs the job again; the open page follows without a reload
    assert _run_due_jobs() == 1
    _expect_token(page, "wait-dispatch", timeout=15_000)
    _expect_token(page, "charge-payment", waits=False)
    expect(page.locator("#title .badge")).to_have_text(["active"])  # the incident badge went with it
    expect(page.locator("#variables")).to_contain_text("paymentId")
    _assert_not_reloaded(page)
    page.screenshot(path=str(ARTIFACTS / "operate-instance-moved-on.png"), full_page=True)

    assert order.variables.get(name="paymentId").value.startswith("PAY-")
    assert errors == []


def test_a_live_poll_in_flight_when_the_operator_retries_does_not_overwrite_the_answer(
    live_server, chromium, celery_outbox
):
    """The race behind a flaky run: the page's live poll left before the retry and reached the server
    after it. The poll (sent with the old actions signature) then brought back the actions panel out of
    band and replaced the retry's answer, "Incident resolved", with a panel without it. An action now
    aborts a poll in flight, and a poll waits while an action is in flight."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect

    _deploy_orders()
    order = _start_order("ORD-4601", card="declined")
    _run_due_jobs()
    services.set_variables(order.key, {"card": "ok"}, actor="test", reason="new card")
    _operator()
    base = live_server.url
    page = chromium.new_context(viewport=VIEWPORT).new_page()
    errors = _collect_errors(page)
    _login(page, base, f"/operate/instances/{order.key}/")
    _expect_token(page, "charge-payment", incident=True)
    _mark_page(page)

    held = []  # live polls of the page, kept from the server until the retry has answered

    def hold_polls(route):
        request = route.request
        if request.method == "GET" and request.headers.get("hx-request") and "partial=" not in request.url:
            held.append(route)
        else:
            route.continue_()

    page.route(f"{base}/operate/instances/{order.key}/*", hold_polls)
    page.evaluate("htmx.trigger(document.body, 'instance-changed')")  # what every 3 s (or another action) does
    page.wait_for_function("document.querySelector('#live').classList.contains('htmx-request')")
    assert len(held) == 1

    page.click("#actions button:has-text('Retry')")
    note = page.locator("#actions .note")
    expect(note).to_contain_text("Incident resolved")
    assert Incident.objects.get(instance=order).state == Incident.State.RESOLVED

    # the held poll may reach the server now, after the retry (as it did in the flaky run)
    for route in held:
        try:
            route.continue_()
        except PlaywrightError:
            pass  # the browser dropped it: the retry aborted the poll
    page.unroute(f"{base}/operate/instances/{order.key}/*")
    page.evaluate("htmx.trigger(document.body, 'instance-changed')")  # one more poll, after everything
    _expect_token(page, "charge-payment", incident=False)
    page.wait_for_function("!document.querySelector('#live').classList.contains('htmx-request')")
    expect(note).to_contain_text("Incident resolved")
    expect(page.locator("#actions summary", has_text="Retry incident")).to_have_count(0)
    _assert_not_reloaded(page)
    # htmx logs the aborted poll to the console (htmx:sendAbort, then htmx:afterRequest); nothing else
    aborted = [e for e in errors if e.startswith(("htmx:sendAbort", "htmx:afterRequest"))]
    assert len(aborted) == 2 and errors == aborted, errors


def test_operator_retries_50_incidents_in_one_batch_and_watches_the_progress_bar_finish(
    live_server, chromium, celery_outbox
):
    from playwright.sync_api import expect

    _deploy_orders()
    orders = [_start_order(f"ORD-{5000 + n}", card="declined") for n in range(50)]
    _start_order("ORD-4999", card="ok")  # waits for its message; no incident, not in the batch
    _run_due_jobs()
    assert Incident.objects.filter(state=Incident.State.OPEN).count() == 50
    # the fix every one of them needs, as if the payment provider had been repaired
    for order in orders:
        services.set_variables(order.key, {"card": "ok"}, actor="test", reason="provider fixed")
    _operator()
    base = live_server.url

    page = chromium.new_context(viewport=VIEWPORT).new_page()
    errors = _collect_errors(page)
    _login(page, base, "/operate/incidents/")
    group = page.locator("#incident-groups table.board > tbody > tr:not(.detail-row)", has_text="card declined")
    expect(group).to_have_count(1)
    expect(group.locator("td.num").first).to_have_text("50")
    group.locator("a:has-text('Retry all')").click()

    page.wait_for_url(f"{base}/operate/batches/new/*")
    expect(page.locator(".count-line .big")).to_have_text("50")
    page.screenshot(path=str(ARTIFACTS / "operate-batch-preview.png"), full_page=True)
    page.fill("#id_reason", "payment provider fixed")
    page.click("button:has-text('Start batch for 50 instances')")
    page.wait_for_url(f"{base}/operate/batches/*/")
    batch = BatchOperation.objects.get()
    assert (batch.total, batch.state, batch.created_by) == (50, BatchOperation.State.RUNNING, "olga")
    assert celery_outbox["run_batch_chunk"] == [str(batch.key)]
    expect(page.locator("#batch-progress .progress-text")).to_contain_text("0 / 50")
    _mark_page(page)

    # the Celery worker's part, chunk by chunk, while the page polls
    progress = page.locator("#batch-progress .progress-text")
    for done in (20, 40):
        run_batch_chunk(batch.key, size=20, dispatch=False)
        expect(progress).to_have_text(f"{done} / 50", timeout=10_000)  # the bar moves while the batch runs
        page.screenshot(path=str(ARTIFACTS / f"operate-batch-{done}-of-50.png"))
    result = run_batch_chunk(batch.key, size=20, dispatch=False)
    assert result.state == BatchOperation.State.COMPLETED

    expect(progress).to_have_text("50 / 50", timeout=10_000)
    expect(page.locator("#batch-progress .facts .badge")).to_have_text("completed")
    expect(page.locator("#batch-progress .progress")).to_have_attribute("aria-valuenow", "50")
    expect(page.locator("#items tbody tr .badge", has_text="succeeded")).to_have_count(50)
    _assert_not_reloaded(page)
    page.screenshot(path=str(ARTIFACTS / "operate-batch-done.png"), full_page=True)

    assert Incident.objects.filter(state=Incident.State.OPEN).count() == 0
    assert len(celery_outbox["run_job"]) == 50  # every charge job went back to the workers
    assert _run_due_jobs() == 50
    assert Incident.objects.filter(state=Incident.State.OPEN).count() == 0
    assert errors == []


PAGES = [
    ("dashboard", "/operate/", "#live .tiles"),
    ("instances", "/operate/instances/", "#results table"),
    ("instance", "/operate/instances/{instance}/", "#diagram svg .bpmn-incident"),
    ("incidents", "/operate/incidents/", "#incident-groups table"),
    ("batches", "/operate/batches/", "#batch-list table"),
    ("batch", "/operate/batches/{batch}/", "#batch-progress"),
    ("processes", "/operate/processes/", "table.grid"),
    ("process", "/operate/processes/{definition}/", "#diagram svg"),
]


def test_main_pages_render_for_an_operator_and_are_saved_as_screenshots(live_server, chromium, celery_outbox):
    """Screenshots to look at (tests/e2e/artifacts/operate-page-*.png); the assertions catch blank pages."""
    from playwright.sync_api import expect

    call_command("demo", stdout=io.StringIO())
    for n in range(6):
        _start_order(f"ORD-61{n:02}", card="declined")
    _run_due_jobs()
    stuck = ProcessInstance.objects.get(business_key="ORD-4525")  # the demo's incident
    batch = create_batch(
        BatchOperation.Kind.RETRY_INCIDENTS,
        {"state": "incident", "business_key": "ORD-610"},
        actor="operator",
        reason="screenshot batch",
        dispatch=False,
    )
    run_batch_chunk(batch.key, size=3, dispatch=False)
    _operator()
    base = live_server.url
    keys = {"instance": stuck.key, "batch": batch.key, "definition": stuck.definition_id}

    page = chromium.new_context(viewport=VIEWPORT).new_page()
    errors = _collect_errors(page)
    _login(page, base, "/operate/")
    for number, (name, path, landmark) in enumerate(PAGES, start=1):
        page.goto(base + path.format(**keys))
        expect(page.locator(landmark).first).to_be_visible()
        if name == "dashboard":
            expect(page.locator("#throughput .chart .main-svg").first).to_be_visible()
            expect(page.locator("#durations .chart .main-svg").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / f"operate-page-{number}-{name}.png"), full_page=True)
    assert errors == []
