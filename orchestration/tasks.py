"""Celery tasks: thin adapters that take keys, are idempotent, and call services."""

from __future__ import annotations

import logging
import socket
import traceback
import uuid
from datetime import timedelta

from celery import shared_task
from django.db.models import F, Q

from . import services
from .conf import setting
from .exceptions import DomainError, InvalidState, NotFound
from .handlers import BpmnErrorRaised, JobContext, get_handler, is_local
from .models import ElementInstance, Job, Variable
from .services._command import now
from .services.jobs import HandlerFailed, complete_job_locally

log = logging.getLogger(__name__)
WORKER_NAME = f"celery@{socket.gethostname()}"


def job_variables(job: Job) -> dict:
    """Variables visible from the job's element instance (its scope chain, innermost wins)."""
    rows = list(Variable.objects.filter(instance_id=job.instance_id).values_list("scope_key", "name", "value"))
    root = job.instance_id
    if all(scope == root for scope, _, _ in rows):
        return {name: value for _, name, value in rows}
    chain = [job.element_instance_key]
    current = job.element_instance_key
    for _ in range(100):
        parent = ElementInstance.objects.filter(key=current).values_list("scope_key", flat=True).first()
        if not parent:
            break
        chain.append(parent)
        current = parent
    chain.append(root)
    rank = {scope: i for i, scope in enumerate(chain)}
    result: dict = {}
    for scope, name, value in sorted(rows, key=lambda r: -rank.get(r[0], -1)):
        if scope in rank:
            result[name] = value
    return result


def _record_failure(job: Job, exc: BaseException, worker: str) -> list[uuid.UUID]:
    """A handler raised: a BPMN error goes to its catch, anything else is a failed attempt."""
    if isinstance(exc, BpmnErrorRaised):
        try:
            services.throw_job_error(job.key, exc.code, actor=worker, message=exc.message, variables=exc.variables)
        except (InvalidState, NotFound) as inner:
            log.info("job %s: error not thrown: %s", job.key, inner)
        return []
    try:
        services.fail_job(
            job.key,
            actor=worker,
            retries=job.retries - 1,
            error_message=f"{type(exc).__name__}: {exc}",
            error_details="".join(traceback.format_exception(exc)),
        )
    except (InvalidState, NotFound) as inner:
        log.info("job %s: failure not recorded: %s", job.key, inner)
    return []


def execute_job(job_key: str | uuid.UUID, *, worker: str = WORKER_NAME) -> list[uuid.UUID]:
    """Claim and run one job with its handler. Returns new internal jobs not yet dispatched."""
    job = services.claim_job(job_key, worker=worker)
    if job is None:
        return []
    if job.attempts > setting("MAX_DISPATCH_ATTEMPTS"):
        services.fail_job(
            job.key,
            actor="system",
            retries=0,
            error_message=f"job was claimed {job.attempts - 1} times without finishing (did its handler crash the worker?)",
        )
        return []
    func = get_handler(job.type)
    if func is None:
        # The handler is gone (deployment without it): leave the job to external workers.
        Job.objects.filter(key=job.key).update(
            state=Job.State.ACTIVATABLE, internal=False, lock_owner="", lock_expires_at=None
        )
        return []
    if is_local(job.type):
        try:
            return complete_job_locally(job, worker=worker)
        except HandlerFailed as failed:
            return _record_failure(job, failed.original, worker)
        except (InvalidState, NotFound) as exc:
            log.info("job %s: not completed: %s", job.key, exc)
            return []
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
        variables=job_variables(job),
    )
    try:
        result = func(context)
    except Exception as exc:  # noqa: BLE001 - any handler failure is a failed attempt
        return _record_failure(job, exc, worker)
    if result is not None and not isinstance(result, dict):
        services.fail_job(
            job.key,
            actor=worker,
            retries=0,
            error_message=f"handler for {job.type} returned {type(result).__name__}, expected a dict of variables or None",
        )
        return []
    try:
        return services.complete_job(
            job.key,
            result or {},
            actor=worker,
            worker=worker,
            dispatch=False,
            instance_key=job.instance_id,
            run_local=True,
        )
    except (InvalidState, NotFound) as exc:
        log.info("job %s: not completed: %s", job.key, exc)
        return []
    except DomainError as exc:
        services.fail_job(job.key, actor=worker, retries=job.retries - 1, error_message=exc.message)
        return []


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(self, job_key: str) -> None:
    """Run a job, then the instance's next jobs in this worker (one inline, the rest dispatched)."""
    # The node name (`-n`/`--hostname`) tells workers on one machine apart in
    # lock owners and the audit trail; the default is celery@<host>.
    worker = self.request.hostname or WORKER_NAME
    budget = setting("INLINE_JOB_CHAIN")
    pending = [job_key]
    while pending and budget > 0:
        budget -= 1
        follow_ups = execute_job(pending.pop(0), worker=worker)
        if follow_ups:
            pending.append(str(follow_ups[0]))
            for key in follow_ups[1:]:
                run_job.delay(str(key))
    for key in pending:
        run_job.delay(key)


@shared_task(ignore_result=True)
def fire_due_timers() -> int:
    fired = 0
    for key in services.claim_due_timers():
        try:
            if services.fire_timer(key):
                fired += 1
        except Exception:  # noqa: BLE001 - one broken timer must not stop the others
            log.exception("timer %s failed to fire; it will be retried", key)
    return fired


@shared_task(ignore_result=True)
def sweep_jobs() -> dict[str, int]:
    """Expire locks of dead workers, re-dispatch lost or backed-off internal jobs, release stuck timers."""
    from .services.timers import release_stuck_timers

    moment = now()
    expired = list(
        Job.objects.filter(state=Job.State.LOCKED, lock_expires_at__lt=moment).values_list("key", "internal")[:1000]
    )
    if expired:
        # dispatched_at=None: the message that ran this job was consumed by a worker
        # that is gone, so internal jobs are re-sent by this sweep, not 30 s later.
        Job.objects.filter(key__in=[k for k, _ in expired], state=Job.State.LOCKED, lock_expires_at__lt=moment).update(
            state=Job.State.ACTIVATABLE, lock_owner="", lock_expires_at=None, dispatched_at=None, updated_at=moment
        )
    stale = moment - timedelta(seconds=setting("REDISPATCH_AFTER_SECONDS"))
    due = list(
        Job.objects.filter(internal=True, state=Job.State.ACTIVATABLE, instance__suspended=False)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=moment))
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=stale) | Q(dispatched_at__lt=F("retry_at")))
        .values_list("key", flat=True)[:1000]
    )
    if due:
        Job.objects.filter(key__in=due).update(dispatched_at=moment)
        for key in due:
            run_job.delay(str(key))
    released = release_stuck_timers()
    return {"expired_locks": len(expired), "dispatched": len(due), "released_timers": released}


@shared_task(ignore_result=True)
def broadcast_signal_task(name: str, variables: dict | None = None, actor: str = "system") -> int:
    """Broadcast a signal from a worker (API callers that should not wait for every receiver)."""
    return services.broadcast_signal(name, actor=actor, variables=variables or {})


@shared_task(acks_late=True, ignore_result=True)
def run_batch_chunk(batch_key: str) -> None:
    """Process the next chunk of a bulk operation; the service sends the next one after commit."""
    from .services.batches import run_batch_chunk as run_chunk

    try:
        run_chunk(batch_key)
    except NotFound:
        log.info("batch %s: not found (deleted?)", batch_key)
