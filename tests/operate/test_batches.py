"""Bulk operations: frozen selection, chunks run inline here, progress, pause/resume/cancel, retry failed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orchestration import services, tasks
from orchestration.exceptions import InvalidInput, InvalidState
from orchestration.models import AuditEvent, BatchItem, BatchOperation, Incident
from orchestration.services import batches

from .engine_world import deploy_shop, reload, start_failing, start_waiting

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return deploy_shop()


@pytest.fixture
def fifty_incidents(shop):
    return [start_failing(f"ORD-{n:03}")[0] for n in range(50)]


def run_to_end(batch_key, size: int = 20) -> list[batches.ChunkResult]:
    results = []
    for _ in range(100):
        result = batches.run_batch_chunk(batch_key, size=size, dispatch=False)
        results.append(result)
        if result.state != BatchOperation.State.RUNNING or result.remaining == 0:
            break
    return results


# -- the service --------------------------------------------------------------------


def test_fifty_incidents_are_retried_in_chunks_with_progress(alice, fifty_incidents):
    batch = batches.create_batch("retry_incidents", {"state": "incident"}, actor=alice, dispatch=False)
    assert (batch.total, batch.state) == (50, "running")

    first = batches.run_batch_chunk(batch.key, size=20, dispatch=False)
    assert (first.processed, first.remaining, first.state) == (20, 30, "running")
    batch.refresh_from_db()
    assert (batch.succeeded, batch.done, batch.percent) == (20, 20, 40)

    rest = run_to_end(batch.key)
    assert [r.processed for r in rest] == [20, 10]
    batch.refresh_from_db()
    assert (batch.state, batch.succeeded, batch.failed, batch.skipped) == ("completed", 50, 0, 0)
    assert batch.finished_at is not None
    assert not Incident.objects.filter(state="open").exists()
    resolved = AuditEvent.objects.filter(type="incident_resolved")
    assert resolved.count() == 50 and set(resolved.values_list("actor", flat=True)) == {"alice"}
    assert set(BatchItem.objects.filter(batch=batch).values_list("message", flat=True)) == {"retried 1 incident"}


def test_the_selection_is_frozen_when_the_batch_is_submitted(alice, shop):
    before = [start_failing(f"OLD-{n}")[0] for n in range(3)]
    batch = batches.create_batch("retry_incidents", {"state": "incident"}, actor=alice, dispatch=False)
    late, late_incident = start_failing("LATE-1")

    run_to_end(batch.key)

    assert set(batch.items.values_list("instance_key", flat=True)) == {i.key for i in before}
    late_incident.refresh_from_db()
    assert late_incident.state == "open"


def test_retry_with_a_fingerprint_resolves_only_that_group(alice, shop):
    instance, _ = start_failing("ORD-1", message="HTTP 502 from payment gateway after 30 ms")
    other, other_incident = start_failing("ORD-2", message="card declined")
    fingerprint = Incident.objects.get(instance_id=instance.key).fingerprint
    batch = batches.create_batch(
        "retry_incidents",
        {"state": "incident", "fingerprint": fingerprint},
        actor=alice,
        params={"fingerprint": fingerprint},
        dispatch=False,
    )
    run_to_end(batch.key)
    assert batch.total == 1
    other_incident.refresh_from_db()
    assert other_incident.state == "open"


def test_pause_stops_the_chunks_and_resume_continues(alice, shop):
    for n in range(5):
        start_waiting(f"ORD-{n}")
    batch = batches.create_batch("suspend", {"process": "shop"}, actor=alice, dispatch=False, reason="audit")
    batches.run_batch_chunk(batch.key, size=2, dispatch=False)

    batches.pause_batch(batch.key, actor=alice)
    paused = batches.run_batch_chunk(batch.key, size=2, dispatch=False)
    assert (paused.processed, paused.remaining, paused.state) == (0, 3, "paused")
    with pytest.raises(InvalidState):
        batches.pause_batch(batch.key, actor=alice)

    batches.resume_batch(batch.key, actor=alice)
    run_to_end(batch.key, size=2)
    batch.refresh_from_db()
    assert (batch.state, batch.succeeded) == ("completed", 5)
    assert all(reload(i).suspended for i in _instances(batch))


def _instances(batch):
    from orchestration.models import ProcessInstance

    return ProcessInstance.objects.filter(key__in=batch.items.values("instance_key"))


def test_cancel_skips_what_is_still_pending(alice, shop):
    for n in range(4):
        start_waiting(f"ORD-{n}")
    batch = batches.create_batch("cancel", {"process": "shop"}, actor=alice, reason="duplicate orders", dispatch=False)
    batches.run_batch_chunk(batch.key, size=1, dispatch=False)

    batches.cancel_batch(batch.key, actor=alice)
    after = batches.run_batch_chunk(batch.key, size=10, dispatch=False)

    batch.refresh_from_db()
    assert (after.processed, batch.state, batch.succeeded, batch.skipped) == (0, "cancelled", 1, 3)
    assert sorted(_instances(batch).values_list("state", flat=True)) == ["active", "active", "active", "cancelled"]
    reasons = AuditEvent.objects.filter(type="operator_reason").values_list("actor", "data")
    assert [(actor, data["reason"]) for actor, data in reasons] == [("alice", "duplicate orders")]
    with pytest.raises(InvalidState):
        batches.resume_batch(batch.key, actor=alice)


def test_failed_items_are_retried_on_request(alice, shop, monkeypatch):
    instances = [start_waiting(f"ORD-{n}") for n in range(3)]
    broken = instances[1].key
    real = batches._APPLY["suspend"]

    def flaky(batch, key):
        if key == broken:
            raise InvalidState("worker fell over")
        return real(batch, key)

    monkeypatch.setitem(batches._APPLY, "suspend", flaky)
    batch = batches.create_batch("suspend", {"process": "shop"}, actor=alice, dispatch=False)
    run_to_end(batch.key)
    batch.refresh_from_db()
    assert (batch.state, batch.succeeded, batch.failed) == ("completed", 2, 1)
    assert batch.items.get(instance_key=broken).message == "worker fell over"

    monkeypatch.setitem(batches._APPLY, "suspend", real)
    batches.retry_failed_items(batch.key, actor=alice)
    batch.refresh_from_db()
    assert (batch.state, batch.failed, batch.pending) == ("running", 0, 1)
    run_to_end(batch.key)
    batch.refresh_from_db()
    assert (batch.state, batch.succeeded, batch.failed) == ("completed", 3, 0)
    with pytest.raises(InvalidState, match="no failed items"):
        batches.retry_failed_items(batch.key, actor=alice)


def test_items_that_do_not_apply_are_skipped(alice, shop):
    start_waiting("ORD-1")
    suspended = start_waiting("ORD-2")
    services.suspend_instance(suspended.key, actor="test")
    batch = batches.create_batch("suspend", {"process": "shop"}, actor=alice, dispatch=False)
    run_to_end(batch.key)
    batch.refresh_from_db()
    assert (batch.succeeded, batch.skipped) == (1, 1)
    assert batch.items.get(instance_key=suspended.key).message == "already suspended"


def test_set_variables_and_migrate_kinds(alice, shop):
    instance = start_waiting("ORD-1")
    batch = batches.create_batch(
        "set_variables",
        {"process": "shop"},
        actor=alice,
        params={"variables": {"priority": "high"}},
        reason="vip",
        dispatch=False,
    )
    run_to_end(batch.key)
    assert reload(instance).variables.get(name="priority").value == "high"

    v2 = deploy_shop("Shop v2")
    migrate = batches.create_batch(
        "migrate", {"process": "shop"}, actor=alice, params={"target_definition": str(v2.key)}, dispatch=False
    )
    run_to_end(migrate.key)
    assert reload(instance).definition_id == v2.key


@pytest.mark.parametrize(
    ("kind", "params", "reason"),
    [
        ("explode", {}, "x"),
        ("cancel", {}, ""),
        ("set_variables", {}, "x"),
        ("set_variables", {"variables": "not an object"}, "x"),
        ("migrate", {"target_definition": "nope"}, "x"),
    ],
)
def test_invalid_batches_are_refused(alice, shop, kind, params, reason):
    with pytest.raises(InvalidInput):
        batches.create_batch(kind, {}, actor=alice, params=params, reason=reason, dispatch=False)
    assert not BatchOperation.objects.exists()


def test_a_batch_over_nothing_is_completed_at_once(alice, shop):
    batch = batches.create_batch("retry_incidents", {"state": "incident"}, actor=alice, dispatch=False)
    assert (batch.total, batch.state) == (0, "completed")


def test_submitting_sends_the_first_chunk_after_commit_and_each_chunk_the_next(
    alice, shop, monkeypatch, django_capture_on_commit_callbacks
):
    for n in range(3):
        start_failing(f"ORD-{n}")
    sent = []
    monkeypatch.setattr(tasks.run_batch_chunk, "delay", lambda key: sent.append(key))
    with django_capture_on_commit_callbacks(execute=True):
        batch = batches.create_batch("retry_incidents", {"state": "incident"}, actor=alice)
    assert sent == [str(batch.key)]
    with django_capture_on_commit_callbacks(execute=True):
        batches.run_batch_chunk(batch.key, size=2)
    assert sent == [str(batch.key)] * 2
    with django_capture_on_commit_callbacks(execute=True):
        tasks.run_batch_chunk(str(batch.key))  # the Celery task, run in-process
    batch.refresh_from_db()
    assert batch.state == "completed" and sent == [str(batch.key)] * 2


# -- the pages ------------------------------------------------------------------------


def test_preview_shows_the_exact_count_and_a_sample_of_ten(client, alice, shop):
    for n in range(12):
        start_failing(f"ORD-{n:02}")
    client.force_login(alice)
    response = client.get(reverse("operate:batch_new"), {"kind": "retry_incidents", "state": "incident"})
    assert response.status_code == 200
    assert response.context["preview"].count == 12
    assert len(response.context["preview"].sample) == 10
    assert "Start batch for 12 instances" in response.content.decode()


def test_submitting_from_the_preview_creates_the_batch_and_opens_it(client, alice, shop):
    instance, incident = start_failing("ORD-1")
    client.force_login(alice)
    response = client.post(
        reverse("operate:batch_new"),
        {"kind": "retry_incidents", "state": "incident", "fingerprint": incident.fingerprint, "reason": "gateway back"},
    )
    batch = BatchOperation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("operate:batch", args=[batch.key])
    assert (batch.total, batch.created_by, batch.params["fingerprint"]) == (1, "alice", incident.fingerprint)
    assert "fingerprint=" in batch.filter_query


def test_a_bulk_cancel_needs_a_reason(client, alice, shop):
    start_waiting("ORD-1")
    client.force_login(alice)
    response = client.post(reverse("operate:batch_new"), {"kind": "cancel", "process": "shop", "reason": ""})
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert not BatchOperation.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "dave"])
def test_only_operators_submit_batches(client, request, shop, persona):
    start_failing("ORD-1")
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("operate:batch_new"), {"state": "incident"}).status_code == 403
    assert (
        client.post(reverse("operate:batch_new"), {"kind": "retry_incidents", "state": "incident"}).status_code == 403
    )
    assert not BatchOperation.objects.exists()


def test_logged_out_users_are_sent_to_login(client, shop):
    for url in (reverse("operate:batches"), reverse("operate:batch_new")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_support_follows_batches_but_cannot_steer_them(client, alice, bob, shop):
    start_failing("ORD-1")
    batch = batches.create_batch("retry_incidents", {"state": "incident"}, actor=alice, dispatch=False)
    client.force_login(bob)
    listing = client.get(reverse("operate:batches"))
    assert listing.status_code == 200 and "alice" in listing.content.decode()
    page = client.get(reverse("operate:batch", args=[batch.key]))
    assert page.status_code == 200
    assert reverse("operate:batch_pause", args=[batch.key]) not in page.content.decode()
    for name in ("batch_pause", "batch_cancel", "batch_retry_failed"):
        assert client.post(reverse(f"operate:{name}", args=[batch.key])).status_code == 403
    batch.refresh_from_db()
    assert batch.state == "running"


def test_users_without_a_role_see_no_batches(client, alice, dave, shop):
    batch = batches.create_batch("retry_incidents", {}, actor=alice, dispatch=False)
    client.force_login(dave)
    assert client.get(reverse("operate:batches")).status_code == 403
    assert client.get(reverse("operate:batch", args=[batch.key])).status_code == 403


def test_operator_pauses_resumes_and_cancels_from_the_batch_page(client, alice, shop):
    for n in range(3):
        start_waiting(f"ORD-{n}")
    batch = batches.create_batch("suspend", {"process": "shop"}, actor=alice, dispatch=False)
    client.force_login(alice)
    page = reverse("operate:batch", args=[batch.key])
    assert client.post(reverse("operate:batch_pause", args=[batch.key]))["Location"] == page
    batch.refresh_from_db()
    assert batch.state == "paused"
    client.post(reverse("operate:batch_resume", args=[batch.key]))
    batch.refresh_from_db()
    assert batch.state == "running"
    response = client.post(reverse("operate:batch_cancel", args=[batch.key]), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Trigger"] == "batch-changed"
    assert 'id="batch-progress"' in response.content.decode()
    batch.refresh_from_db()
    assert (batch.state, batch.skipped) == ("cancelled", 3)
    again = client.post(reverse("operate:batch_cancel", args=[batch.key]), follow=True)
    assert "is cancelled" in again.content.decode()


def test_after_an_htmx_resume_the_page_polls_the_batch_and_shows_the_new_message(client, alice, shop):
    """The answer to Resume is the progress panel; its poll must ask for the batch page, not the
    resume URL the answer came from (a 405 every 2 s, frozen progress), and carry its own message."""
    for n in range(3):
        start_waiting(f"ORD-{n}")
    batch = batches.create_batch("suspend", {"process": "shop"}, actor=alice, dispatch=False)
    batches.pause_batch(batch.key, actor=alice)
    client.force_login(alice)
    response = client.post(reverse("operate:batch_resume", args=[batch.key]), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert f'hx-get="{reverse("operate:batch", args=[batch.key])}"' in body
    assert "resume" not in body.split('hx-get="', 1)[1].split('"', 1)[0]
    assert "Batch resumed." in body


def test_batch_page_lists_item_results_and_filters_them(client, alice, shop):
    start_failing("ORD-1")
    start_waiting("ORD-2")
    batch = batches.create_batch("retry_incidents", {"process": "shop"}, actor=alice, dispatch=False)
    run_to_end(batch.key)
    client.force_login(alice)
    response = client.get(reverse("operate:batch", args=[batch.key]))
    body = response.content.decode()
    assert "ORD-1" in body and "ORD-2" in body and "no open incident to retry" in body
    skipped = client.get(reverse("operate:batch", args=[batch.key]), {"state": "skipped"})
    assert [i.instance.business_key for i in skipped.context["items"]] == ["ORD-2"]


def test_unknown_batch_is_404(client, alice, shop):
    client.force_login(alice)
    assert client.get("/operate/batches/01234567-89ab-7def-8123-456789abcdef/").status_code == 404


def test_batch_pages_have_a_query_budget(client, alice, shop, django_assert_max_num_queries):
    for n in range(15):
        start_failing(f"ORD-{n}")
    for _ in range(5):
        batch = batches.create_batch("retry_incidents", {"state": "incident"}, actor=alice, dispatch=False)
    client.force_login(alice)
    with django_assert_max_num_queries(6):
        assert client.get(reverse("operate:batches")).status_code == 200
    with django_assert_max_num_queries(7):
        response = client.get(reverse("operate:batch", args=[batch.key]))
    assert len(response.context["items"]) == 15
