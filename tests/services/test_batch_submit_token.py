"""create_batch with a submit token: a resent submit returns the first batch; concurrent submits
of one person are serialized on their user row, so only one batch is made. Also the API's
Idempotency-Key header and the human names of migration kinds."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from rest_framework.test import APIClient

from orchestration.models import BatchItem, BatchOperation
from orchestration.services import batches
from orchestration.services.migration_kinds import kind_label
from tests.operate.engine_world import deploy_shop, start_waiting


@pytest.fixture
def operator(db) -> User:
    user = User.objects.create_user("olga", password="pw")
    user.groups.add(Group.objects.get_or_create(name="operator")[0])  # a transactional test flushes the seeded groups
    return user


@pytest.fixture
def waiting(db):
    deploy_shop()
    return [start_waiting(f"ORD-{n}") for n in range(3)]


@pytest.mark.django_db
def test_the_same_token_twice_returns_the_first_batch(operator, waiting):
    first = batches.create_batch("suspend", {"process": "shop"}, actor=operator, dispatch=False, submit_token="t-1")
    again = batches.create_batch("suspend", {"process": "shop"}, actor=operator, dispatch=False, submit_token="t-1")

    assert again.key == first.key and again.already_submitted is True
    assert not getattr(first, "already_submitted", False)
    assert BatchOperation.objects.count() == 1 and BatchItem.objects.count() == 3
    assert first.params["submit_token"] == "t-1"


@pytest.mark.django_db
def test_different_tokens_or_no_token_make_separate_batches(operator, waiting):
    for token in ("t-1", "t-2", "", ""):
        batches.create_batch("suspend", {"process": "shop"}, actor=operator, dispatch=False, submit_token=token)
    assert BatchOperation.objects.count() == 4


@pytest.mark.django_db
def test_a_token_longer_than_200_characters_is_refused(operator, waiting):
    from orchestration.exceptions import InvalidInput

    with pytest.raises(InvalidInput):
        batches.create_batch("suspend", {"process": "shop"}, actor=operator, dispatch=False, submit_token="x" * 201)
    assert not BatchOperation.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submits_with_one_token_create_one_batch(operator, waiting):
    barrier = threading.Barrier(2)
    results: list[object] = []

    def submit() -> None:
        try:
            barrier.wait(timeout=10)
            batch = batches.create_batch(
                "suspend", {"process": "shop"}, actor=operator, dispatch=False, submit_token="double-click"
            )
            results.append((batch.key, getattr(batch, "already_submitted", False)))
        except Exception as exc:  # surfaced by the assertion below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(results) == 2 and not any(isinstance(r, Exception) for r in results), results
    assert BatchOperation.objects.count() == 1
    key = BatchOperation.objects.get().key
    assert sorted(results, key=lambda r: r[1]) == [(key, False), (key, True)]
    assert BatchItem.objects.filter(batch_id=key).count() == 3


@pytest.mark.django_db
def test_the_api_returns_the_first_batch_for_a_repeated_idempotency_key(operator, waiting):
    api = APIClient()
    api.force_authenticate(operator)
    body = {"kind": "suspend", "filter": {"processId": "shop"}, "reason": ""}

    first = api.post("/api/v1/batches", body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    again = api.post("/api/v1/batches", body, format="json", HTTP_IDEMPOTENCY_KEY="key-1")
    other = api.post("/api/v1/batches", body, format="json", HTTP_IDEMPOTENCY_KEY="key-2")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201), first.content
    assert again.json()["key"] == first.json()["key"] != other.json()["key"]
    assert BatchOperation.objects.count() == 2


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        ("exclusiveGateway", "exclusive gateway"),
        ("message receiveTask", "receive task (message)"),
        ("timer boundaryEvent", "boundary event (timer)"),
        ("signal intermediateCatchEvent", "intermediate catch event (signal)"),
        ("job task", "job task"),
        ("job worker user task", "job worker user task"),
        ("event subprocess", "event subprocess"),
        ("subProcess", "subprocess"),
        ("job task (parallel multi-instance)", "job task (parallel multi-instance)"),
        ("message receiveTask (sequential multi-instance)", "receive task (message, sequential multi-instance)"),
        ("someNewThing", "some new thing"),
    ],
)
def test_migration_kinds_have_human_names(kind, label):
    assert kind_label(kind) == label
