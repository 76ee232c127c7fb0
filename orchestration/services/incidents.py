"""Resolve incidents: retry the job (after optional variable fixes) or re-run the failed step."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from .. import notify, store
from ..exceptions import InvalidState, NotFound
from ..models import AuditEvent, Incident, Job, ProcessInstance
from ._command import actor_name, check_variables, dispatch_jobs, instance_command, now


def resolve_incident(
    incident_key: uuid.UUID | str,
    *,
    actor: Any,
    variables: dict[str, Any] | None = None,
    retries: int = 1,
) -> Incident:
    variables = check_variables(variables)
    incident = Incident.objects.filter(key=incident_key).first() if _is_uuid(incident_key) else None
    if incident is None:
        raise NotFound(f"incident {incident_key} not found")
    with instance_command(incident.instance_id, actor=actor) as cmd:
        incident = Incident.objects.get(key=incident.key)
        if incident.state != Incident.State.OPEN:
            raise InvalidState(f"incident {incident.key} is already resolved")
        Incident.objects.filter(key=incident.key).update(
            state=Incident.State.RESOLVED, resolved_at=cmd.now, resolved_by=cmd.actor
        )
        cmd.ws.instance.incident_delta -= 1
        if variables:
            cmd.runner.set_variables(cmd.ws.root_scope, variables)
            cmd.runner.audit(
                "variables_updated",
                data={"scope": str(cmd.ws.root_scope), "variables": sorted(variables), "reason": "incident resolution"},
            )
        cmd.runner.audit(
            "incident_resolved", incident.element_id, incident.element_instance_key, {"incident": str(incident.key)}
        )
        if incident.job_id:
            job = Job.objects.get(key=incident.job_id)
            if job.state in (Job.State.FAILED, Job.State.ERROR_THROWN):
                job.state = Job.State.ACTIVATABLE
                job.retries = max(job.retries, retries, 1)
                job.retry_at = None
                job.attempts = 0
                job.dispatched_at = cmd.now if job.internal else None
                job.save(update_fields=["state", "retries", "retry_at", "attempts", "dispatched_at", "updated_at"])
                if job.internal:
                    dispatch_jobs([job.key])
                else:
                    notify.jobs_created([job.type])
        elif incident.element_instance_key in cmd.ws.elements:
            cmd.runner.retry(incident.element_instance_key)
    return Incident.objects.get(key=incident.key)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def retry_failed_job_incidents(
    instance_keys: Iterable[uuid.UUID],
    *,
    actor: Any,
    fingerprint: str = "",
    retries: int = 1,
) -> dict[uuid.UUID, int]:
    """Retry the open failed-job incidents of many instances in one transaction (bulk retry).

    The same outcome as ``resolve_incident`` without variables on each incident, in
    a fixed number of statements per call instead of one command per incident: lock
    the instances, resolve their incidents, make the jobs activatable again, lower
    the incident counts, append ``incident_resolved`` to each audit log. Nothing of
    the model has to run: a retried job only becomes claimable again.

    Handled here, returned as ``{instance key: incidents retried}`` (0: nothing open
    to retry): active, not suspended instances whose every selected open incident is
    a job failure. Left out, for ``resolve_incident`` to apply one by one with its
    usual errors: instances another command holds right now (SKIP LOCKED: never
    waits, so no deadlock), suspended or ended ones, and incidents of another kind
    (an expression, a called process, ...), which re-run a step.
    """
    keys = sorted(set(instance_keys))
    if not keys:
        return {}
    who = actor_name(actor)
    with transaction.atomic():
        locked = list(
            ProcessInstance.objects.select_for_update(skip_locked=True)
            .filter(key__in=keys, state=ProcessInstance.State.ACTIVE, suspended=False)
            .order_by("key")
            .values_list("key", flat=True)
        )
        if not locked:
            return {}
        incidents = Incident.objects.filter(instance_id__in=locked, state=Incident.State.OPEN)
        if fingerprint:
            incidents = incidents.filter(fingerprint=fingerprint)
        fields = (
            "key",
            "instance_id",
            "element_id",
            "element_instance_key",
            "job_id",
            "job__state",
            "job__internal",
            "job__type",
        )
        by_instance: dict[uuid.UUID, list[_OpenIncident]] = {key: [] for key in locked}
        for row in incidents.values_list(*fields):
            incident = _OpenIncident(*row)
            by_instance[incident.instance_key].append(incident)
        retryable = (Job.State.FAILED, Job.State.ERROR_THROWN)
        done = {
            key: found
            for key, found in by_instance.items()
            if all(i.job_key and i.job_state in retryable for i in found)
        }
        chosen = [r for key in done for r in by_instance[key]]
        if chosen:
            _apply_bulk_retry(chosen, who, max(retries, 1))
    return {key: len(found) for key, found in done.items()}


class _OpenIncident(NamedTuple):
    key: uuid.UUID
    instance_key: uuid.UUID
    element_id: str
    element_instance_key: uuid.UUID | None
    job_key: uuid.UUID | None
    job_state: str | None
    job_internal: bool | None
    job_type: str | None


def _apply_bulk_retry(rows: list[_OpenIncident], actor: str, retries: int) -> None:
    moment = now()
    Incident.objects.filter(key__in=[r.key for r in rows]).update(
        state=Incident.State.RESOLVED, resolved_at=moment, resolved_by=actor
    )
    internal = [r.job_key for r in rows if r.job_internal]
    external = [r.job_key for r in rows if not r.job_internal]
    reopen = {
        "state": Job.State.ACTIVATABLE,
        "retries": Greatest("retries", Value(retries)),
        "retry_at": None,
        "attempts": 0,
        "updated_at": moment,
    }
    if internal:
        Job.objects.filter(key__in=internal).update(dispatched_at=moment, **reopen)
        dispatch_jobs(internal)
    if external:
        Job.objects.filter(key__in=external).update(dispatched_at=None, **reopen)
        notify.jobs_created(r.job_type for r in rows if not r.job_internal)
    resolved: dict[uuid.UUID, int] = {}
    for r in rows:
        resolved[r.instance_key] = resolved.get(r.instance_key, 0) + 1
    by_count: dict[int, list[uuid.UUID]] = {}
    for key, count in resolved.items():
        by_count.setdefault(count, []).append(key)
    for count, keys in by_count.items():
        ProcessInstance.objects.filter(key__in=keys).update(
            incident_count=F("incident_count") - count, updated_at=moment
        )
    store.insert_rows(
        AuditEvent,
        [
            AuditEvent(
                instance_key=r.instance_key,
                type="incident_resolved",
                element_id=r.element_id,
                element_instance_key=r.element_instance_key,
                actor=actor,
                data={"incident": str(r.key)},
                created_at=moment,
            )
            for r in rows
        ],
    )
