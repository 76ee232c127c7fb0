"""Jobs: claim (Celery handlers), activate (external workers), complete, fail, throw error, extend lock."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q

from ..conf import setting
from ..engine.mechanics import timers as timer_mechanics
from ..exceptions import InvalidInput, InvalidState, NotFound
from ..models import Job, ProcessInstance
from ._command import actor_name, check_variables, dispatch_jobs, instance_command, now


def _get_job(job_key: uuid.UUID | str) -> Job:
    try:
        return Job.objects.get(key=job_key)
    except (Job.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(f"job {job_key} not found") from None


def claim_job(job_key: uuid.UUID | str, *, worker: str, lock_seconds: int | None = None) -> Job | None:
    """Lock one job for a handler with a conditional UPDATE. None if someone else has it or it is done.

    One statement: UPDATE ... FROM (skip suspended instances) ... RETURNING the row.
    """
    try:
        key = uuid.UUID(str(job_key))
    except ValueError:
        raise NotFound(f"job {job_key} not found") from None
    moment = now()
    lock_seconds = lock_seconds or setting("JOB_LOCK_SECONDS")
    columns = [f.column for f in Job._meta.concrete_fields]
    job_table = connection.ops.quote_name(Job._meta.db_table)
    instance_table = connection.ops.quote_name(ProcessInstance._meta.db_table)
    returning = ", ".join(f"{job_table}.{connection.ops.quote_name(c)}" for c in columns)
    sql = (
        f"UPDATE {job_table} SET state = %s, lock_owner = %s, lock_expires_at = %s, attempts = attempts + 1, updated_at = %s "
        f"FROM {instance_table} "
        f"WHERE {job_table}.key = %s AND {job_table}.state = %s "
        f"AND ({job_table}.retry_at IS NULL OR {job_table}.retry_at <= %s) "
        f"AND {instance_table}.key = {job_table}.instance_id AND NOT {instance_table}.suspended "
        f"RETURNING {returning}"
    )
    params = [
        Job.State.LOCKED,
        worker[:255],
        moment + timedelta(seconds=lock_seconds),
        moment,
        key if connection.vendor == "postgresql" else key.hex,
        Job.State.ACTIVATABLE,
        moment,
    ]
    # One statement: in autocommit it commits by itself (no BEGIN/COMMIT round trips).
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    converters = connection.ops.get_db_converters
    values = []
    for field, value in zip(Job._meta.concrete_fields, row, strict=False):
        expression = field.get_col(Job._meta.db_table)
        for converter in converters(expression) + field.get_db_converters(connection):
            value = converter(value, expression, connection)
        values.append(value)
    return Job.from_db(connection.alias, [f.attname for f in Job._meta.concrete_fields], values)


def models_f(name: str):
    from django.db.models import F

    return F(name)


def activate_jobs(
    job_type: str,
    *,
    worker: str,
    max_jobs: int = 10,
    lock_seconds: int | None = None,
    business_key: str | None = None,
    bpmn_process_ids: list[str] | None = None,
    exclude_process_ids: Collection[str] = (),
) -> list[Job]:
    """Fetch and lock up to max_jobs activatable jobs of a type for an external worker.

    ``exclude_process_ids``: processes whose jobs this worker must not be handed (a
    per-process rule, ``access.activation_excluded``); they stay activatable for others."""
    if max_jobs < 1 or max_jobs > 1000:
        raise InvalidInput("max_jobs must be between 1 and 1000")
    lock_seconds = lock_seconds or setting("JOB_LOCK_SECONDS")
    moment = now()
    with transaction.atomic():
        candidates = (
            Job.objects.filter(type=job_type, state=Job.State.ACTIVATABLE, instance__suspended=False)
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=moment))
            .order_by("-priority", "created_at")
        )
        if business_key is not None:
            candidates = candidates.filter(business_key=business_key)
        if bpmn_process_ids:
            candidates = candidates.filter(bpmn_process_id__in=bpmn_process_ids)
        if exclude_process_ids:
            candidates = candidates.exclude(bpmn_process_id__in=sorted(exclude_process_ids))
        keys = list(candidates.select_for_update(skip_locked=True).values_list("key", flat=True)[:max_jobs])
        if not keys:
            return []
        Job.objects.filter(key__in=keys, state=Job.State.ACTIVATABLE).update(
            state=Job.State.LOCKED,
            lock_owner=worker[:255],
            lock_expires_at=moment + timedelta(seconds=lock_seconds),
            attempts=models_f("attempts") + 1,
            updated_at=moment,
        )
        return list(Job.objects.filter(key__in=keys, lock_owner=worker[:255]).select_related("instance"))


def _open_job(cmd, job_key) -> Job:
    job = Job.objects.get(key=job_key)
    if job.state == Job.State.COMPLETED:
        raise InvalidState(f"job {job.key} is already completed")
    if job.state == Job.State.CANCELLED:
        raise InvalidState(f"job {job.key} was cancelled: its element is no longer waiting for it")
    if job.state not in (Job.State.ACTIVATABLE, Job.State.LOCKED):
        raise InvalidState(f"job {job.key} is {job.state}")
    if job.element_instance_key not in cmd.ws.elements:
        raise InvalidState(f"job {job.key}: its element instance is no longer active")
    return job


def complete_job(
    job_key: uuid.UUID | str,
    variables: dict[str, Any] | None = None,
    *,
    actor: Any,
    worker: str | None = None,
    dispatch: bool = True,
    instance_key: uuid.UUID | None = None,
    run_local: bool = False,
) -> list[uuid.UUID]:
    """Complete a job and continue its instance. Returns the new internal jobs' keys.

    With dispatch=False the caller (a worker running an instance's jobs in a row)
    takes responsibility for running the returned jobs; the sweeper covers a crash.
    With run_local=True, jobs of local handlers that this step creates run here,
    in the same transaction (see handlers.handler(local=True)).
    """
    variables = check_variables(variables)
    if instance_key is None:
        job = _get_job(job_key)
        if job.state == Job.State.COMPLETED:
            raise InvalidState(f"job {job.key} is already completed")
        instance_key = job.instance_id
    with instance_command(instance_key, actor=actor, dispatch=dispatch) as cmd:
        job = _open_job(cmd, job_key)
        if worker is not None and job.state == Job.State.LOCKED and job.lock_owner and job.lock_owner != worker:
            raise InvalidState(f"job {job.key} is locked by another worker")
        Job.objects.filter(key=job.key).update(state=Job.State.COMPLETED, updated_at=cmd.now, lock_expires_at=None)
        _satisfied(cmd, job)
        cmd.runner.audit(
            "job_completed", job.element_id, job.element_instance_key, {"job": str(job.key), "worker": worker or ""}
        )
        cmd.runner.complete_element(job.element_instance_key, variables)
        if run_local:
            run_local_jobs(cmd, worker or actor_name(actor))
    return cmd.internal_jobs


class HandlerFailed(Exception):
    """A local handler raised inside complete_job_locally; the command was rolled back."""

    def __init__(self, original: BaseException):
        self.original = original
        super().__init__(str(original))


def complete_job_locally(job: Job, *, worker: str) -> list[uuid.UUID]:
    """Run a claimed job of a local handler inside its instance's command, then its
    local successors: one transaction, no separate read of the variables.

    A handler exception rolls the command back and comes out as HandlerFailed, so
    the caller records the failure the usual way (fail_job / throw_job_error).
    """
    from ..engine.mechanics.variables import context_for
    from ..handlers import JobContext, get_handler

    func = get_handler(job.type)
    if func is None:
        raise InvalidState(f"no handler for job type {job.type}")
    with instance_command(job.instance_id, actor=worker, dispatch=False) as cmd:
        # We hold the instance lock and claimed the job: it is ours unless its element
        # ended meanwhile (then the job was cancelled) or the lock expired (then the
        # conditional UPDATE below finds nothing).
        ei = cmd.ws.elements.get(job.element_instance_key)
        if ei is None or not ei.is_active:
            raise InvalidState(f"job {job.key}: its element instance is no longer active")
        variables = context_for(cmd.ws, ei)
        variables.pop("__business_key__", None)
        context = JobContext(
            key=job.key,
            type=job.type,
            instance_key=job.instance_id,
            business_key=job.business_key,
            bpmn_process_id=job.bpmn_process_id,
            element_id=job.element_id,
            retries=job.retries,
            attempt=job.attempts,
            headers=dict(job.headers or {}),
            variables=variables,
        )
        try:
            result = func(context)
            if result is not None and not isinstance(result, dict):
                raise TypeError(
                    f"handler for {job.type} returned {type(result).__name__}, expected a dict of variables or None"
                )
            result = check_variables(result or {})
        except Exception as exc:  # noqa: BLE001 - reported by the caller after rollback
            raise HandlerFailed(exc) from exc
        done = Job.objects.filter(key=job.key, state=Job.State.LOCKED, lock_owner=worker[:255]).update(
            state=Job.State.COMPLETED, updated_at=cmd.now, lock_expires_at=None
        )
        if not done:
            raise InvalidState(f"job {job.key} is no longer locked by {worker}")
        _satisfied(cmd, job)
        cmd.runner.audit(
            "job_completed", job.element_id, ei.key, {"job": str(job.key), "worker": worker, "local": True}
        )
        cmd.runner.complete_element(ei.key, result)
        run_local_jobs(cmd, worker)
    return cmd.internal_jobs


def _satisfied(cmd, job: Job) -> None:
    """The element's job is done: ending the element need not close it again."""
    ei = cmd.ws.elements.get(job.element_instance_key)
    if ei is not None and "job" in ei.payload.get("waits", ()):
        ei.payload["waits"].remove("job")
        ei.is_dirty = True


def run_local_jobs(cmd, worker: str) -> None:
    """Caller holds the instance lock. Run new jobs of local handlers now, in this command.

    A local handler that raises or returns something odd is left alone: its job is
    created as usual and runs (and fails, and retries) through the normal path.
    """
    from ..engine.mechanics.variables import context_for
    from ..handlers import JobContext, get_handler, is_local

    budget = setting("INLINE_JOB_CHAIN")
    tried: set[uuid.UUID] = set()
    while budget > 0:
        spec = next(
            (s for s in cmd.ws.new_jobs if not s.completed_by and s.key not in tried and is_local(s.type)), None
        )
        if spec is None:
            return
        tried.add(spec.key)
        ei = cmd.ws.elements.get(spec.element_instance_key)
        func = get_handler(spec.type)
        if ei is None or not ei.is_active or func is None:
            continue
        context = context_for(cmd.ws, ei)
        context.pop("__business_key__", None)
        job_context = JobContext(
            key=spec.key,
            type=spec.type,
            instance_key=cmd.ws.instance.key,
            business_key=cmd.ws.instance.business_key,
            bpmn_process_id=cmd.ws.instance.bpmn_process_id,
            element_id=spec.element_id,
            retries=spec.retries,
            attempt=1,
            headers=dict(spec.headers),
            variables=context,
        )
        try:
            result = func(job_context)
            result = check_variables(result or {})
        except Exception:  # noqa: BLE001 - the normal path will run it again and record the failure
            continue
        budget -= 1
        spec.completed_by = worker
        if "job" in ei.payload.get("waits", ()):
            ei.payload["waits"].remove("job")
        cmd.runner.audit(
            "job_completed", spec.element_id, ei.key, {"job": str(spec.key), "worker": worker, "local": True}
        )
        cmd.runner.complete_element(ei.key, result)


def backoff_for(job: Job) -> timedelta:
    if job.retry_time_cycle:
        try:
            interval = job.retry_time_cycle.split("/")[-1]
            return timer_mechanics.parse_duration(interval).delta
        except Exception:  # noqa: BLE001 - a bad cycle falls back to exponential backoff
            pass
    base = setting("RETRY_BACKOFF_SECONDS")
    cap = setting("RETRY_BACKOFF_MAX_SECONDS")
    failures = max(job.attempts, 1)
    return timedelta(seconds=min(cap, base * (2 ** (failures - 1))))


def fail_job(
    job_key: uuid.UUID | str,
    *,
    actor: Any,
    retries: int | None = None,
    error_message: str = "",
    error_details: str = "",
    retry_backoff: timedelta | None = None,
    worker: str | None = None,
) -> Job:
    """Record a failed attempt: retry later with backoff, or raise an incident when no retries are left."""
    job = _get_job(job_key)
    # a worker that held the job before the instance was suspended may still report its failure
    with instance_command(job.instance_id, actor=actor, allow_suspended=True) as cmd:
        job = _open_job(cmd, job.key)
        remaining = job.retries - 1 if retries is None else retries
        remaining = max(remaining, 0)
        job.retries = remaining
        job.error_message = (error_message or "")[:10000]
        job.error_details = (error_details or "")[:100000]
        job.lock_owner = ""
        job.lock_expires_at = None
        cmd.runner.audit(
            "job_failed",
            job.element_id,
            job.element_instance_key,
            {"job": str(job.key), "retries": remaining, "message": job.error_message[:500]},
        )
        if remaining > 0:
            job.state = Job.State.ACTIVATABLE
            job.retry_at = cmd.now + (retry_backoff if retry_backoff is not None else backoff_for(job))
        else:
            job.state = Job.State.FAILED
            job.retry_at = None
            ei = cmd.ws.elements[job.element_instance_key]
            cmd.runner.raise_incident(
                ei,
                "job_no_retries",
                job.error_message or f"job {job.type} failed with no retries left",
                job.error_details,
                job_key=job.key,
            )
        job.save(
            update_fields=[
                "retries",
                "error_message",
                "error_details",
                "lock_owner",
                "lock_expires_at",
                "state",
                "retry_at",
                "updated_at",
            ]
        )
    return job


def throw_job_error(
    job_key: uuid.UUID | str,
    code: str,
    *,
    actor: Any,
    message: str = "",
    variables: dict[str, Any] | None = None,
) -> None:
    """A worker reports a business error: it goes to the nearest catching element, else an incident."""
    if not code:
        raise InvalidInput("an error code is required")
    variables = check_variables(variables)
    job = _get_job(job_key)
    with instance_command(job.instance_id, actor=actor) as cmd:
        job = _open_job(cmd, job.key)
        Job.objects.filter(key=job.key).update(
            state=Job.State.ERROR_THROWN, error_message=f"{code}: {message}"[:10000], updated_at=cmd.now
        )
        cmd.runner.audit(
            "job_error_thrown",
            job.element_id,
            job.element_instance_key,
            {"job": str(job.key), "code": code, "message": message},
        )
        if variables:
            ei = cmd.ws.elements[job.element_instance_key]
            cmd.runner.set_variables(ei.key, variables)
        cmd.runner.throw_error(job.element_instance_key, code, message, job_key=job.key)


def extend_job_lock(job_key: uuid.UUID | str, *, worker: str, seconds: int) -> Job:
    if seconds <= 0:
        raise InvalidInput("the lock extension must be positive")
    moment = now()
    updated = Job.objects.filter(key=job_key, state=Job.State.LOCKED, lock_owner=worker).update(
        lock_expires_at=moment + timedelta(seconds=seconds), updated_at=moment
    )
    if not updated:
        job = _get_job(job_key)
        raise InvalidState(f"job {job.key} is {job.state} and not locked by {worker}")
    return _get_job(job_key)


def requeue_job(job_key: uuid.UUID | str) -> None:
    dispatch_jobs([uuid.UUID(str(job_key))])


__all__ = [
    "activate_jobs",
    "actor_name",
    "claim_job",
    "complete_job",
    "extend_job_lock",
    "fail_job",
    "throw_job_error",
]
