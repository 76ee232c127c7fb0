"""Resolve incidents: retry the job (after optional variable fixes) or re-run the failed step."""

from __future__ import annotations

import uuid
from typing import Any

from ..exceptions import InvalidState, NotFound
from ..models import Incident, Job
from ._command import check_variables, dispatch_jobs, instance_command


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
        Incident.objects.filter(key=incident.key).update(state=Incident.State.RESOLVED, resolved_at=cmd.now, resolved_by=cmd.actor)
        cmd.ws.instance.incident_delta -= 1
        if variables:
            cmd.runner.set_variables(cmd.ws.root_scope, variables)
            cmd.runner.audit("variables_updated", data={"scope": str(cmd.ws.root_scope), "variables": sorted(variables), "reason": "incident resolution"})
        cmd.runner.audit("incident_resolved", incident.element_id, incident.element_instance_key, {"incident": str(incident.key)})
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
        elif incident.element_instance_key in cmd.ws.elements:
            cmd.runner.retry(incident.element_instance_key)
    return Incident.objects.get(key=incident.key)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
