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

Modify needs a filter that pins one process version (its instructions name
elements of that model): see services.batch_modify.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import QueryDict

from .. import access
from ..exceptions import DomainError, InvalidInput, InvalidState, NotFound
from ..instance_search import (
    InstanceFilter,
    check_masked_conditions,
    filter_instances,
    open_incident_exists,
    parse_filter,
)
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


def _is_person(actor: Any) -> bool:
    """A user (per-process rules apply), not the system or a script (a name)."""
    return actor is not None and not isinstance(actor, str)


def _selection(kind: str, filters: InstanceFilter, hidden: Collection[str] = ()):
    # hidden: a search match among them does not roll up to its (visible) root case
    instances = filter_instances(filters, hidden=hidden)
    if kind in (
        Kind.CANCEL,
        Kind.SET_VARIABLES,
        Kind.SUSPEND,
        Kind.RESUME,
        Kind.MIGRATE,
        Kind.RETRY_INCIDENTS,
        Kind.MODIFY,
    ):
        instances = instances.filter(state=ProcessInstance.State.ACTIVE)
    return instances


def preview_batch(
    kind: str,
    filter_params: InstanceFilter | Mapping[str, Any],
    *,
    sample_size: int = 10,
    hidden: Collection[str] = (),
) -> Preview:
    """The exact number of instances a batch would select now, and the newest few of them
    (each with ``has_open_incident``, so the sample shows the state badge the instance list shows).
    ``hidden``: the reader's hidden process ids (``access.hidden_processes``)."""
    selection = _selection(kind, _filter(filter_params), hidden)
    sample = list(
        selection.select_related("definition")
        .annotate(has_open_incident=open_incident_exists())
        .order_by("-started_at", "-key")[:sample_size]
    )
    return Preview(count=selection.count(), sample=sample)


def batch_filter(batch: BatchOperation) -> dict[str, list[str]]:
    """The instance-list filter a batch was made with (its stored query string), as create_batch takes it."""
    query = QueryDict(batch.filter_query)
    return {name: query.getlist(name) for name in query}


def count_rest_of_canary(canary: BatchOperation, *, hidden: Collection[str] = ()) -> int:
    """How many instances "migrate the rest" of a canary migration would take now: its filter run
    again (what the canary moved is off the source version; what reached the filter since is in)."""
    return preview_batch(Kind.MIGRATE, batch_filter(canary), sample_size=0, hidden=hidden).count


def _check_params(
    kind: str, params: dict[str, Any], filters: InstanceFilter | None = None, *, actor: Any = None
) -> dict[str, Any]:
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
            target_definition = ProcessDefinition.objects.get(key=target)
        except (ProcessDefinition.DoesNotExist, ValueError, TypeError, ValidationError):
            raise InvalidInput("migrate needs an existing target definition") from None
        if _is_person(actor):
            # the instances land in the target's process: the actor must be able to repair it
            # (a hidden one is refused exactly as an unknown key)
            if access.hides_process(actor, target_definition.bpmn_process_id):
                raise InvalidInput("migrate needs an existing target definition")
            access.check_change(actor, target_definition.bpmn_process_id, what="the target process")
        params["target_definition"] = str(target)
        if params.get("instructions") is not None:
            # a mapping edited by hand names elements of one source version: check every row now
            from .migration_mapping import plan_from_mapping

            if not params.get("source_definition"):
                raise InvalidInput("migrate instructions need the source definition they map from")
            if not isinstance(params["instructions"], (list, tuple)):
                raise InvalidInput("migrate instructions are a list of [source, target] element id pairs")
            plan = plan_from_mapping(params["source_definition"], target, params["instructions"])
            params["source_definition"] = str(plan.source_definition_key)
            params["instructions"] = [[source, target_id] for source, target_id in plan.instructions]
    if kind == Kind.MODIFY:
        from .batch_modify import check_params as check_modify_params

        # the filter pins the version whose elements the instructions name
        params = check_modify_params(params, filters)
    return params


def create_batch(
    kind: str,
    filter_params: InstanceFilter | Mapping[str, Any],
    *,
    actor: Any,
    params: dict[str, Any] | None = None,
    reason: str = "",
    dispatch: bool = True,
    limit: int | None = None,
    submit_token: str = "",
) -> BatchOperation:
    """Freeze the instances the filter selects now into a running batch; its first chunk is sent after commit.

    ``limit`` keeps only the first N of the selection (oldest first): a canary batch. It is
    recorded in the params, so the batch page can offer the rest (the same filter without limit).

    ``submit_token`` makes a submit idempotent (a double click, a retried request): when this
    actor already created a batch with the token, that batch is returned (marked with
    ``already_submitted = True``, not stored) and nothing new is created. Submits of one actor
    are serialized by locking the actor's user row, so two concurrent ones cannot both create.
    """
    submit_token = (submit_token or "").strip()
    if len(submit_token) > 200:
        raise InvalidInput("a submit token is at most 200 characters")
    if submit_token:
        with transaction.atomic():
            _lock_actor(actor)
            existing = _submitted_batch(actor, submit_token)
            if existing is not None:
                return existing
            return _create_batch(kind, filter_params, actor, params, reason, dispatch, limit, submit_token)
    return _create_batch(kind, filter_params, actor, params, reason, dispatch, limit, submit_token)


def _lock_actor(actor: Any) -> None:
    """Serialize one person's submits (caller is in a transaction): lock their auth_user row.
    The system or a script (a name, no row) has no row to lock; its tokens are still checked."""
    pk = None if actor is None or isinstance(actor, str) else getattr(actor, "pk", None)
    if pk is not None:
        list(get_user_model().objects.select_for_update().filter(pk=pk).values_list("pk", flat=True))


def _submitted_batch(actor: Any, submit_token: str) -> BatchOperation | None:
    batch = (
        BatchOperation.objects.filter(created_by=actor_name(actor), params__submit_token=submit_token)
        .order_by("created_at")
        .first()
    )
    if batch is not None:
        batch.already_submitted = True
    return batch


def _create_batch(
    kind: str,
    filter_params: InstanceFilter | Mapping[str, Any],
    actor: Any,
    params: dict[str, Any] | None,
    reason: str,
    dispatch: bool,
    limit: int | None,
    submit_token: str,
) -> BatchOperation:
    params = _check_params(kind, params or {}, _filter(filter_params), actor=actor)
    if submit_token:
        params["submit_token"] = submit_token
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InvalidInput("a batch limit is a whole number of at least 1")
        params["limit"] = limit
    filters = _filter(filter_params)
    person = _is_person(actor)
    hidden = access.hidden_processes(actor) if person else frozenset()
    if person:
        check_masked_conditions(filters, actor)  # the batch's total would reveal a masked value
        if hidden and filter_instances(filters).filter(bpmn_process_id__in=sorted(hidden)).exists():
            access.check_processes(actor, hidden)  # refuse, never trim (naming no hidden process)
    if kind in (Kind.CANCEL, Kind.SET_VARIABLES, Kind.MODIFY) and not reason.strip():
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
        # one query selects the keys and their processes: what is frozen is exactly what is checked
        rows = _selection(kind, filters, hidden).order_by("started_at", "key").values_list("key", "bpmn_process_id")
        if limit is not None:
            rows = rows[:limit]
        total = 0
        buffer: list[BatchItem] = []
        checked: set[str] = set()
        processes: set[str] = set()  # stored on the batch: the list hides it from users without these
        for key, process_id in rows.iterator(chunk_size=_INSERT_SLICE):
            processes.add(process_id)
            if person and process_id not in checked:
                # per-process rules: refuse (the transaction rolls back), never trim
                access.check_processes(actor, (process_id,))
                checked.add(process_id)
            buffer.append(BatchItem(batch=batch, instance_key=key))
            if len(buffer) >= _INSERT_SLICE:
                BatchItem.objects.bulk_create(buffer)
                total += len(buffer)
                buffer = []
        if buffer:
            BatchItem.objects.bulk_create(buffer)
            total += len(buffer)
        batch.total = total
        if params.get("target_definition"):  # a migration also touches the process it moves into
            processes.update(
                ProcessDefinition.objects.filter(key=params["target_definition"]).values_list(
                    "bpmn_process_id", flat=True
                )
            )
        batch.process_ids = sorted(processes)
        if total == 0:
            batch.state = State.COMPLETED
            batch.finished_at = batch.created_at
        batch.save(update_fields=["total", "process_ids", "state", "finished_at", "updated_at"])
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
    if batch.params.get("instructions") is not None:
        from .migration_mapping import plan_from_mapping

        # the mapping edited on the migration page, exactly as checked at submit time; an
        # instance not on its source version is refused by migrate_instance (a failed item)
        plan = plan_from_mapping(batch.params["source_definition"], target, batch.params["instructions"])
    else:
        plan = generate_plan(instance.definition, target)
    migrate_instance(plan, key, actor=batch.created_by)
    return f"migrated to v{ProcessDefinition.objects.get(key=target).version}"


def _modify(batch: BatchOperation, key: uuid.UUID) -> str:
    from . import batch_modify

    # takes the instance lock first: the token check and the modification see the same state
    why_not = batch_modify.skip_reason(batch, key)
    if why_not:
        raise _Skip(why_not)
    return batch_modify.apply(batch, key)


_APPLY: dict[str, Callable[[BatchOperation, uuid.UUID], str]] = {
    Kind.RETRY_INCIDENTS: _retry_incidents,
    Kind.CANCEL: _cancel,
    Kind.SET_VARIABLES: _set_variables,
    Kind.SUSPEND: _suspend,
    Kind.RESUME: _resume,
    Kind.MIGRATE: _migrate,
    Kind.MODIFY: _modify,
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


def _retry_items_at_once(batch: BatchOperation, ids: list[int]) -> set[int]:
    """Retry a chunk's failed-job incidents in one transaction; the ids of the items it settled.

    What the set-based retry leaves out (an instance busy in another command,
    suspended, ended, or with an incident that is not a failed job) stays pending
    for the one-by-one path, which gives each its usual result or error.
    """
    from .incidents import retry_failed_job_incidents

    with transaction.atomic():
        if not BatchOperation.objects.filter(key=batch.key, state=State.RUNNING).exists():
            return set()
        items = list(
            BatchItem.objects.select_for_update(skip_locked=True)
            .filter(id__in=ids, state=Item.PENDING)
            .only("id", "instance_key")
        )
        retried = retry_failed_job_incidents(
            [item.instance_key for item in items],
            actor=batch.created_by,
            fingerprint=batch.params.get("fingerprint", ""),
        )
        outcome: dict[tuple[str, str], list[int]] = {}
        for item in items:
            count = retried.get(item.instance_key)
            if count is None:
                continue
            if count == 0:
                result = (Item.SKIPPED, "no open incident to retry")
            else:
                result = (Item.SUCCEEDED, f"retried {count} incident{'s' if count != 1 else ''}")
            outcome.setdefault(result, []).append(item.id)
        moment = now()
        for (state, message), item_ids in outcome.items():
            BatchItem.objects.filter(id__in=item_ids).update(state=state, message=message, processed_at=moment)
    return {item_id for item_ids in outcome.values() for item_id in item_ids}


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
        if batch.kind == Kind.RETRY_INCIDENTS and not batch.params.get("variables"):
            handled = _retry_items_at_once(batch, ids)
            processed += len(handled)
            ids = [item_id for item_id in ids if item_id not in handled]
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
