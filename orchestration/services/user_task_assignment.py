"""Human tasks: claim, unclaim and assign (complete is in user_tasks.py).

Each runs inside the instance lock, so a claim never races a completion, and is audited.

Note: this module was first written for the native API (/api/v1) and accidentally
overwritten by the Camunda 7 layer's work; the three public names are kept, with
signatures that accept the assignee positionally or as `assignee=`/`user_id=`.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..exceptions import InvalidInput, InvalidState, NotFound
from ..models import AuditEvent, UserTask
from ._command import actor_name, lock_instance, now


def _open_task(task_key: uuid.UUID | str) -> UserTask:
    try:
        task = UserTask.objects.get(key=task_key)
    except (UserTask.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(f"user task {task_key} not found") from None
    lock_instance(task.instance_id)
    task = UserTask.objects.get(key=task.key)
    if task.state != UserTask.State.CREATED:
        raise InvalidState(f"task '{task.name or task.element_id}' is {task.state}")
    return task


def _assign(task: UserTask, assignee: str, event: str, actor: Any, extra: dict | None = None) -> UserTask:
    moment = now()
    previous = task.assignee
    UserTask.objects.filter(key=task.key).update(assignee=assignee)
    AuditEvent.objects.create(
        instance_key=task.instance_id,
        type=event,
        element_id=task.element_id,
        element_instance_key=task.element_instance_key,
        actor=actor_name(actor),
        data={"task": str(task.key), "assignee": assignee, "previous": previous, **(extra or {})},
        created_at=moment,
    )
    task.assignee = assignee
    return task


def claim_user_task(
    task_key: uuid.UUID | str,
    assignee: str | None = None,
    *,
    actor: Any,
    user_id: str | None = None,
) -> UserTask:
    """Claim for a user (the actor when none is given); a task claimed by someone else is refused,
    claiming your own again is a no-op."""
    user_id = assignee or user_id or actor_name(actor)
    if not user_id or len(user_id) > 150:
        raise InvalidInput("a user id of at most 150 characters is required")
    with transaction.atomic():
        task = _open_task(task_key)
        if task.assignee == user_id:
            return task
        if task.assignee:
            raise InvalidState(f"Task '{task.key}' is already claimed by someone else.")
        return _assign(task, user_id, "user_task_claimed", actor)


def unclaim_user_task(task_key: uuid.UUID | str, *, actor: Any) -> UserTask:
    with transaction.atomic():
        task = _open_task(task_key)
        if not task.assignee:
            return task
        return _assign(task, "", "user_task_unclaimed", actor)


def assign_user_task(
    task_key: uuid.UUID | str,
    assignee: str | None = None,
    *,
    actor: Any,
    user_id: str | None = None,
) -> UserTask:
    """Assign to a user (replacing any assignee), or clear the assignee with None / ""."""
    user_id = assignee or user_id or ""
    if len(user_id) > 150:
        raise InvalidInput("a user id has at most 150 characters")
    with transaction.atomic():
        task = _open_task(task_key)
        if task.assignee == user_id:
            return task
        return _assign(task, user_id, "user_task_assigned", actor)


__all__ = ["assign_user_task", "claim_user_task", "unclaim_user_task"]
