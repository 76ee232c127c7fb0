"""Tasklist settings of a process: whether users may start it from Tasklist."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ..exceptions import NotFound
from ..models import AuditEvent, ProcessDefinition
from ._command import actor_name, now


def set_process_startable(bpmn_process_id: str, startable: bool, *, actor: Any) -> int:
    """Mark every version of a process startable from Tasklist (or not); Tasklist starts
    the latest version of a process any version of which is marked. Audited without an
    instance. Returns the number of versions changed."""
    with transaction.atomic():
        versions = ProcessDefinition.objects.select_for_update().filter(bpmn_process_id=bpmn_process_id)
        if not versions.exists():
            raise NotFound(f"process {bpmn_process_id} not found")
        changed = versions.exclude(startable_in_tasklist=startable).update(startable_in_tasklist=startable)
        if changed:
            AuditEvent.objects.create(
                type="process_startable_changed",
                actor=actor_name(actor),
                data={"process": bpmn_process_id, "startable_in_tasklist": startable},
                created_at=now(),
            )
        return changed
