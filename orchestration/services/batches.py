"""Bulk operations: select instances by filter, freeze the selection, work through it in chunks.

``create_batch`` resolves the filter to instance keys once, at submit time, and
stores one BatchItem per instance (instances that match later are not added).
``run_batch_chunk`` processes the next pending items; each item runs the
ordinary per-instance service (resolve_incident, cancel_instance, ...) in its
own transaction, together with the item's new state, so an item is applied at
most once even if a chunk message is delivered twice. The Celery task
``orchestration.tasks.run_batch_chunk`` calls it and the next chunk is sent
after commit while the batch runs. There is no size cap: items are written
and processed in bounded slices.

Not here: modify (per-instance instructions do not generalise to a filter).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from ..exceptions import DomainError, InvalidInput, InvalidState, NotFound
from ..instance_search import InstanceFilter, filter_instances, parse_filter
from ..models import BatchItem, BatchOperation, Incident, ProcessDefinition, ProcessInstance
from ._command import actor_name, check_variables, now

CHUNK_SIZE = 100
_INSERT_SLICE = 5000

Kind = BatchOperation.Kind
State = BatchOperation.State
Item = BatchItem.State


@dataclass(frozen=True)
class ChunkResult:
    processed: int
    remaining: int
    state: str


@dataclass(frozen=True)
class Preview:
    count: int
    sample: list[ProcessInstance]


class _Skip(Exception):
    """The item does not apply to this instance (already in the wanted state, nothing to retry)."""


def _filter(filter_params: InstanceFilter | Mapping[str, Any]) -> InstanceFilter:
    return filter_params if isinstance(filter_params, InstanceFilter) else parse_filter(filter_params)


def _selection(kind: str, filters: InstanceFilter):
    instances = filter_instances(filters)
    if kind in (Kind.CANCEL, Kind.SET_VARIABLES, Kind.SUSPEND, Kind.RESUME, Kind.MIGRATE, Kind.RETRY_INCIDENTS):
        instances = instances.filter(state=ProcessInstance.State.ACTIVE)
    return instances


def preview_batch(kind: str, filter_params: InstanceFilter | Mapping[str, Any], *, sample_size: int = 10) -> Preview:
    """The exact number of instances a batch would select now, and the newest few of them."""
    selection = _selection(kind, _filter(filter_params))
    sample = list(selection.select_related("definition").order_by("-started_at", "-key")[:sample_size])
    return Preview(count=selection.count(), sample=sample)


def _check_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    if kind not in Kind.values:
        raise InvalidInput(f"unknown batch kind '{kind}' (expected one of {', '.join(Kind.values)})")
    params = dict(params or {})
    if kind == Kind.SET_VARIABLES:
        if not params.get("variables"):
            raise InvalidInput("set variables needs at least one variable")
        check_variables(params["variables"])
    if kind == Kind.RETRY_INCIDENTS and params.get("variables"):
        check_variables(params["variables"])
    if kind == Kind.MIGRATE:
        target = params.get("target_definition")
        try:
            ProcessDefinition.objects.get(key=target)
        except (ProcessDefinition.DoesNotExist, ValueError, TypeError, ValidationError):
            raise InvalidInput("migrate needs an existing target definition") from None
        params["target_definition"] = str(target)
    return params


def create_batch(
    kind: str,
    filter_params: InstanceFilter | Mapping[str, Any],
    *,
    actor: Any,
    params: dict[str, Any] | None = None,
    reason: str = "",
    dispatch: bool = True,
) -> BatchOperation:
    """Freeze the instances the filter selects now into a running batch; its first chunk is sent after commit."""
    params = _check_params(kind, params or {})
    filters = _filter(filter_params)
    if kind in (Kind.CANCEL, Kind.SET_VARIABLES) and not reason.strip():
        raise InvalidInput("a reason is required for this bulk operation")
    query = filter_params if isinstance(filter_params, Mapping) else {}
    with transaction.atomic():
        batch = BatchOperation.objects.create(
            kind=kind,
            filter_query=urlencode({k: v for k, v in query.items() if v}, doseq=True),
            params=params,
            reason=reason.strip(),
            created_by=actor_name(actor),
            created_at=now(),
        )
        keys = _selection(kind, filters).order_by("started_at", "key").values_list("key", flat=True)
        total = 0
        buffer: list[BatchItem] = []
        for key in keys.iterator(chunk_size=_INSERT_SLICE):
            buffer.append(BatchItem(batch=batch, instance_key=key))
            if len(buffer) >= _INSERT_SLICE:
                BatchItem.objects.bulk_create(buffer)
                total += len(buffer)
                buffer = []
        if buffer:
            BatchItem.objects.bulk_create(buffer)
            total += len(buffer)
        batch.total = total
        if total == 0:
            batch.state = State.COMPLETED
            batch.finished_at = batch.created_at
        batch.save(update_fields=["total", "state", "finished_at", "updated_at"])
        if total and dispatch:
            _dispatch(batch.key)
    return batch


def _dispatch(batch_key: uuid.UUID) -> None:
    from ..tasks import run_batch_chunk as task

    key = str(batch_key)
    transaction.on_commit(lambda: task.delay(key))


def get_batch(batch_key: uuid.UUID | str) -> BatchOperation:
    try:
        return BatchOperation.objects.get(key=batch_key)
    except (BatchOperation.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(f"batch {batch_key} not found") from None


# -- running -------------------------------------------------------------------


def _retry_incidents(batch: BatchOperation, key: uuid.UUID) -> str:
    from .incidents import resolve_incident

    incidents = Incident.objects.filter(instance_id=key, state=Incident.State.OPEN)
    if batch.params.get("fingerprint"):
        incidents = incidents.filter(fingerprint=batch.params["fingerprint"])
    incident_keys = list(incidents.order_by("created_at").values_list("key", flat=True))
    if not incident_keys:
        raise _Skip("no open incident to retry")
    variables = batch.params.get("variables") or None
    for number, incident_key in enumerate(incident_keys):
        # variables once: they are the fix, not something to apply per incident
        resolve_incident(incident_key, actor=batch.created_by, variables=variables if number == 0 else None)
    return f"retried {len(incident_keys)} incident{'s' if len(incident_keys) != 1 else ''}"


def _cancel(batch: BatchOperation, key: uuid.UUID) -> str:
    from .instances import cancel_instance

    cancel_instance(key, actor=batch.created_by, reason=batch.reason or f"batch {batch.key}")
    return "cancelled"


def _set_variables(batch: BatchOperation, key: uuid.UUID) -> str:
    from .instances import set_variables

    set_variables(key, batch.params["variables"], actor=batch.created_by, reason=batch.reason)
    return f"set {', '.join(sorted(batch.params['variables']))}"


def _suspend(batch: BatchOperation, key: uuid.UUID) -> str:
    from .suspension import suspend_instance

    if ProcessInstance.objects.filter(key=key, suspended=True).exists():
        raise _Skip("already suspended")
    suspend_instance(key, actor=batch.created_by, reason=batch.reason)
    return "suspended"


def _resume(batch: BatchOperation, key: uuid.UUID) -> str:
    from .suspension import resume_instance

    if ProcessInstance.objects.filter(key=key, suspended=False).exists():
        raise _Skip("not suspended")
    resume_instance(key, actor=batch.created_by, reason=batch.reason)
    return "resumed"


def _migrate(batch: BatchOperation, key: uuid.UUID) -> str:
    from .migration import generate_plan, migrate_instance

    instance = ProcessInstance.objects.filter(key=key).select_related("definition").first()
    if instance is None:
        raise NotFound("instance not found")
    target = batch.params["target_definition"]
    if str(instance.definition_id) == target:
        raise _Skip("already on the target version")
    plan = generate_plan(instance.definition, target)
    migrate_instance(plan, key, actor=batch.created_by)
    return f"migrated to v{ProcessDefinition.objects.get(key=target).version}"


_APPLY: dict[str, Callable[[BatchOperation, uuid.UUID], str]] = {
    Kind.RETRY_INCIDENTS: _retry_incidents,
    Kind.CANCEL: _cancel,
    Kind.SET_VARIABLES: _set_variables,
    Kind.SUSPEND: _suspend,
    Kind.RESUME: _resume,
    Kind.MIGRATE: _migrate,
}


def _run_item(batch: BatchOperation, item_id: int) -> bool:
    """Apply the batch to one pending item; False when someone else has it or it is done."""
    apply = _APPLY[batch.kind]
    with transaction.atomic():
        item = BatchItem.objects.select_for_update(skip_locked=True).filter(id=item_id, state=Item.PENDING).first()
        if item is None:
            return False
        try:
            with transaction.atomic():
                message = apply(batch, item.instance_key)
        except _Skip as skip:
            item.state, item.message = Item.SKIPPED, str(skip)
        except DomainError as exc:
            item.state, item.message = Item.FAILED, exc.message
        else:
            item.state, item.message = Item.SUCCEEDED, message
        item.processed_at = now()
        item.save(update_fields=["state", "message", "processed_at"])
    return True


def refresh_counts(batch: BatchOperation) -> BatchOperation:
    counts = dict(batch.items.order_by().values_list("state").annotate(n=Count("id")))
    batch.succeeded = counts.get(Item.SUCCEEDED, 0)
    batch.failed = counts.get(Item.FAILED, 0)
    batch.skipped = counts.get(Item.SKIPPED, 0)
    batch.total = sum(counts.values())
    return batch


def run_batch_chunk(batch_key: uuid.UUID | str, *, size: int = CHUNK_SIZE, dispatch: bool = True) -> ChunkResult:
    """Process up to ``size`` pending items of a running batch; send the next chunk while items remain.

    A paused, cancelled or finished batch is left alone (a late message is harmless).
    """
    batch = get_batch(batch_key)
    processed = 0
    if batch.state == State.RUNNING:
        ids = list(batch.items.filter(state=Item.PENDING).order_by("id").values_list("id", flat=True)[:size])
        for item_id in ids:
            # pause/cancel take effect between items, not only between chunks
            if not BatchOperation.objects.filter(key=batch.key, state=State.RUNNING).exists():
                break
            processed += _run_item(batch, item_id)
    with transaction.atomic():
        batch = BatchOperation.objects.select_for_update().get(key=batch.key)
        refresh_counts(batch)
        remaining = batch.pending
        if batch.state == State.RUNNING and remaining == 0:
            batch.state = State.COMPLETED
            batch.finished_at = now()
        batch.save(update_fields=["succeeded", "failed", "skipped", "total", "state", "finished_at", "updated_at"])
        if batch.state == State.RUNNING and dispatch:
            _dispatch(batch.key)
    return ChunkResult(processed=processed, remaining=remaining, state=batch.state)


# -- control -------------------------------------------------------------------


def _transition(batch_key: uuid.UUID | str, allowed: tuple[str, ...], to: str, actor: Any) -> BatchOperation:
    get_batch(batch_key)
    with transaction.atomic():
        batch = BatchOperation.objects.select_for_update().get(key=batch_key)
        if batch.state not in allowed:
            raise InvalidState(f"batch {batch.key} is {batch.state}")
        batch.state = to
        if to == State.CANCELLED:
            batch.finished_at = now()
            # what was not processed will not be: the items say so
            batch.items.filter(state=Item.PENDING).update(
                state=Item.SKIPPED, message=f"batch cancelled by {actor_name(actor)}", processed_at=batch.finished_at
            )
            refresh_counts(batch)
        batch.save()
        if to == State.RUNNING:
            _dispatch(batch.key)
    return batch


def pause_batch(batch_key: uuid.UUID | str, *, actor: Any) -> BatchOperation:
    return _transition(batch_key, (State.RUNNING,), State.PAUSED, actor)


def resume_batch(batch_key: uuid.UUID | str, *, actor: Any) -> BatchOperation:
    return _transition(batch_key, (State.PAUSED,), State.RUNNING, actor)


def cancel_batch(batch_key: uuid.UUID | str, *, actor: Any) -> BatchOperation:
    return _transition(batch_key, (State.RUNNING, State.PAUSED), State.CANCELLED, actor)


def retry_failed_items(batch_key: uuid.UUID | str, *, actor: Any) -> BatchOperation:
    """Put the failed items back to pending and run the batch again (a cancelled one stays cancelled)."""
    get_batch(batch_key)
    with transaction.atomic():
        batch = BatchOperation.objects.select_for_update().get(key=batch_key)
        if batch.state == State.CANCELLED:
            raise InvalidState(f"batch {batch.key} is cancelled")
        again = batch.items.filter(state=Item.FAILED).update(
            state=Item.PENDING, message=f"retry requested by {actor_name(actor)}", processed_at=None
        )
        if not again:
            raise InvalidState(f"batch {batch.key} has no failed items")
        refresh_counts(batch)
        if batch.state == State.COMPLETED:
            batch.state = State.RUNNING
            batch.finished_at = None
        batch.save()
        if batch.state == State.RUNNING:
            _dispatch(batch.key)
    return batch
