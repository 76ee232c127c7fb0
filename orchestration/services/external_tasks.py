"""External tasks (Camunda 7 style): fetch-and-lock by topics, complete with local variables,
unlock, set retries.

These extend services/jobs.py for external workers: a job whose type has no
Python handler is an external task and its type is the topic.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q

from ..exceptions import InvalidInput, InvalidState, NotFound
from ..models import AuditEvent, Incident, Job, Variable
from ._command import actor_name, check_variables, instance_command, now
from .incidents import resolve_incident
from .jobs import complete_job

MAX_TASKS = 1000


@dataclass(frozen=True)
class TopicFilter:
    """One topic of a fetch-and-lock request and what its tasks must match."""

    topic: str
    lock_seconds: float
    business_key: str | None = None
    bpmn_process_ids: tuple[str, ...] = ()
    definition_keys: tuple[uuid.UUID, ...] = ()
    process_variables: dict[str, Any] = field(default_factory=dict)

    def query(self) -> Q:
        q = Q(type=self.topic)
        if self.business_key is not None:
            q &= Q(business_key=self.business_key)
        if self.bpmn_process_ids:
            q &= Q(bpmn_process_id__in=self.bpmn_process_ids)
        if self.definition_keys:
            q &= Q(definition_id__in=self.definition_keys)
        for name, value in self.process_variables.items():
            # a process-scope variable with exactly this value (scope key = instance key)
            q &= Q(
                Exists(
                    Variable.objects.filter(
                        instance_id=OuterRef("instance_id"), scope_key=OuterRef("instance_id"), name=name, value=value
                    )
                )
            )
        return q


def _open_jobs(topics: list[TopicFilter], exclude_process_ids: Collection[str] = ()):
    moment = now()
    query = Q()
    for topic in topics:
        query |= topic.query()
    jobs = (
        Job.objects.filter(state=Job.State.ACTIVATABLE, internal=False, instance__suspended=False)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=moment))
        .filter(query)
    )
    return jobs.exclude(bpmn_process_id__in=sorted(exclude_process_ids)) if exclude_process_ids else jobs


def topics_with_work(topic_names: set[str]) -> set[str]:
    """Which of these topics have a task to fetch now (one cheap query; long polling asks this)."""
    if not topic_names:
        return set()
    moment = now()
    return set(
        Job.objects.filter(type__in=topic_names, state=Job.State.ACTIVATABLE, internal=False, instance__suspended=False)
        .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=moment))
        .values_list("type", flat=True)
        .distinct()
    )


def fetch_and_lock(
    worker: str,
    topics: list[TopicFilter],
    *,
    max_tasks: int,
    use_priority: bool = False,
    exclude_process_ids: Collection[str] = (),
) -> list[Job]:
    """Lock up to max_tasks external tasks of the given topics for a worker (SKIP LOCKED: workers never collide).

    ``exclude_process_ids``: processes whose tasks this worker must not be handed (a
    per-process rule, ``access.activation_excluded``); they stay fetchable for others."""
    if not worker:
        raise InvalidInput("a workerId is required")
    if max_tasks < 0 or max_tasks > MAX_TASKS:
        raise InvalidInput(f"maxTasks must be between 0 and {MAX_TASKS}")
    if not topics or max_tasks == 0:
        return []
    order = ("-priority", "created_at") if use_priority else ("created_at",)
    moment = now()
    by_topic = {t.topic: t for t in topics}
    with transaction.atomic():
        rows = list(
            _open_jobs(topics, exclude_process_ids)
            .order_by(*order)
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("key", "type")[:max_tasks]
        )
        if not rows:
            return []
        groups: dict[str, list[uuid.UUID]] = {}
        for key, job_type in rows:
            groups.setdefault(job_type, []).append(key)
        for job_type, keys in groups.items():
            Job.objects.filter(key__in=keys, state=Job.State.ACTIVATABLE).update(
                state=Job.State.LOCKED,
                lock_owner=worker[:255],
                lock_expires_at=moment + timedelta(seconds=by_topic[job_type].lock_seconds),
                attempts=F("attempts") + 1,
                updated_at=moment,
            )
        jobs = {
            j.key: j for j in Job.objects.filter(key__in=[k for k, _ in rows]).select_related("instance", "definition")
        }
    return [jobs[key] for key, _ in rows if key in jobs]


def _get_job(job_key: uuid.UUID | str) -> Job:
    try:
        return Job.objects.get(key=job_key)
    except (Job.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(f"job {job_key} not found") from None


def complete_external_task(
    job_key: uuid.UUID | str,
    *,
    actor: Any,
    worker: str | None,
    variables: dict[str, Any] | None = None,
    local_variables: dict[str, Any] | None = None,
) -> None:
    """Complete an external task; local variables are set on the task's own scope first (they end with it)."""
    local_variables = check_variables(local_variables, "local variables")
    job = _get_job(job_key)
    with transaction.atomic():
        if local_variables:
            with instance_command(job.instance_id, actor=actor) as cmd:
                if job.element_instance_key not in cmd.ws.elements:
                    raise InvalidState(f"job {job.key}: its element instance is no longer active")
                cmd.runner.set_variables(job.element_instance_key, local_variables)
        complete_job(job.key, variables, actor=actor, worker=worker)


def unlock_job(job_key: uuid.UUID | str, *, actor: Any) -> Job:
    """Release a job's lock so any worker may fetch it again (no failure is recorded)."""
    job = _get_job(job_key)
    moment = now()
    with transaction.atomic():
        updated = Job.objects.filter(key=job.key, state=Job.State.LOCKED).update(
            state=Job.State.ACTIVATABLE, lock_owner="", lock_expires_at=None, updated_at=moment
        )
        if updated:
            AuditEvent.objects.create(
                instance_key=job.instance_id,
                type="job_unlocked",
                element_id=job.element_id,
                element_instance_key=job.element_instance_key,
                actor=actor_name(actor),
                data={"job": str(job.key), "worker": job.lock_owner},
                created_at=moment,
            )
    return _get_job(job.key)


def set_job_retries(job_key: uuid.UUID | str, retries: int, *, actor: Any) -> Job:
    """Set a job's retries. More than zero on a failed job resolves its incident (the job runs again);
    zero on an open job raises an incident, as Camunda 7 does."""
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise InvalidInput("retries must be a number >= 0")
    job = _get_job(job_key)
    if job.state == Job.State.FAILED:
        if retries == 0:
            return job
        incident = Incident.objects.filter(job_id=job.key, state=Incident.State.OPEN).first()
        if incident is not None:
            resolve_incident(incident.key, actor=actor, retries=retries)
            Job.objects.filter(key=job.key).update(retries=retries)
            return _get_job(job.key)
        Job.objects.filter(key=job.key).update(state=Job.State.ACTIVATABLE, retries=retries, retry_at=None)
        return _get_job(job.key)
    if job.state not in (Job.State.ACTIVATABLE, Job.State.LOCKED):
        raise InvalidState(f"job {job.key} is {job.state}")
    if retries > 0:
        with instance_command(job.instance_id, actor=actor, allow_suspended=True) as cmd:
            Job.objects.filter(key=job.key).update(retries=retries, updated_at=cmd.now)
            cmd.runner.audit(
                "job_retries_set", job.element_id, job.element_instance_key, {"job": str(job.key), "retries": retries}
            )
        return _get_job(job.key)
    with instance_command(job.instance_id, actor=actor, allow_suspended=True) as cmd:
        ei = cmd.ws.elements.get(job.element_instance_key)
        if ei is None:
            raise InvalidState(f"job {job.key}: its element instance is no longer active")
        Job.objects.filter(key=job.key).update(
            state=Job.State.FAILED, retries=0, retry_at=None, lock_owner="", lock_expires_at=None, updated_at=cmd.now
        )
        cmd.runner.audit(
            "job_retries_set", job.element_id, job.element_instance_key, {"job": str(job.key), "retries": 0}
        )
        cmd.runner.raise_incident(
            ei,
            "job_no_retries",
            job.error_message or f"job {job.type} has no retries left (set to 0 by {cmd.actor})",
            job.error_details,
            job_key=job.key,
        )
    return _get_job(job.key)


__all__ = [
    "TopicFilter",
    "complete_external_task",
    "fetch_and_lock",
    "set_job_retries",
    "topics_with_work",
    "unlock_job",
]
