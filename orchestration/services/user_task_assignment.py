"""Human tasks: claim, unclaim, assign, delegate, comment, dates, and completion by the
assignee (plain complete is in user_tasks.py).

Each runs inside the instance lock, so a claim never races a completion, and is audited.
Who may call which is decided by the caller through ``orchestration.access`` (may_*_task);
these functions check only the task's state.

Note: this module was first written for the native API (/api/v1) and accidentally
overwritten by the Camunda 7 layer's work; the three public names are kept, with
signatures that accept the assignee positionally or as `assignee=`/`user_id=`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..exceptions import InvalidInput, InvalidState, NotFound
from ..models import AuditEvent, TaskComment, TaskDelegation, UserTask
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
    if event != "user_task_delegated":
        # any other change of hands ends an open delegation
        TaskDelegation.objects.filter(task_id=task.key, resolved_at__isnull=True).update(resolved_at=moment)
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


def _audit(task: UserTask, event: str, actor: Any, data: dict, moment: dt.datetime) -> None:
    AuditEvent.objects.create(
        instance_key=task.instance_id,
        type=event,
        element_id=task.element_id,
        element_instance_key=task.element_instance_key,
        actor=actor_name(actor),
        data={"task": str(task.key), **data},
        created_at=moment,
    )


def delegate_user_task(task_key: uuid.UUID | str, delegate: str, *, actor: Any) -> UserTask:
    """The assignee (the owner) hands the task to ``delegate`` and gets it back when the
    delegate returns it (``resolve_user_task_delegation``)."""
    if not delegate or len(delegate) > 150:
        raise InvalidInput("a delegate user id of at most 150 characters is required")
    with transaction.atomic():
        task = _open_task(task_key)
        if not task.assignee:
            raise InvalidState(f"task '{task.name or task.element_id}' has no assignee to delegate for; claim it first")
        if task.assignee == delegate:
            raise InvalidInput("a task cannot be delegated to its assignee")
        open_delegation = TaskDelegation.objects.filter(task_id=task.key, resolved_at__isnull=True).first()
        if open_delegation is not None:
            raise InvalidState(
                f"task '{task.name or task.element_id}' is already delegated to {open_delegation.delegate}"
            )
        moment = now()
        TaskDelegation.objects.create(task=task, owner=task.assignee, delegate=delegate, created_at=moment)
        return _assign(task, delegate, "user_task_delegated", actor, {"owner": task.assignee})


def resolve_user_task_delegation(task_key: uuid.UUID | str, *, actor: Any) -> UserTask:
    """The delegate returns the task to its owner."""
    with transaction.atomic():
        task = _open_task(task_key)
        delegation = TaskDelegation.objects.filter(task_id=task.key, resolved_at__isnull=True).first()
        if delegation is None:
            raise InvalidState(f"task '{task.name or task.element_id}' is not delegated")
        TaskDelegation.objects.filter(key=delegation.key).update(resolved_at=now())
        return _assign(
            task, delegation.owner, "user_task_delegation_resolved", actor, {"delegate": delegation.delegate}
        )


def open_delegation_of(task: UserTask) -> TaskDelegation | None:
    return TaskDelegation.objects.filter(task_id=task.key, resolved_at__isnull=True).first()


def comment_on_user_task(task_key: uuid.UUID | str, text: str, *, actor: Any) -> TaskComment:
    """A comment on a task in any state (a note after completion is still history)."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput("a comment needs some text")
    if len(text) > 4000:
        raise InvalidInput("a comment has at most 4000 characters")
    with transaction.atomic():
        try:
            task = UserTask.objects.get(key=task_key)
        except (UserTask.DoesNotExist, ValueError, TypeError, ValidationError):
            raise NotFound(f"user task {task_key} not found") from None
        lock_instance(task.instance_id)
        moment = now()
        comment = TaskComment.objects.create(task=task, author=actor_name(actor), text=text, created_at=moment)
        _audit(task, "user_task_commented", actor, {"comment": str(comment.key)}, moment)
        return comment


def set_user_task_dates(
    task_key: uuid.UUID | str,
    *,
    due_date: dt.datetime | None,
    follow_up_date: dt.datetime | None,
    actor: Any,
) -> UserTask:
    """Set (or clear, with None) the due and follow-up dates of an open task."""
    for value in (due_date, follow_up_date):
        if value is not None and (value.tzinfo is None or value.utcoffset() is None):
            raise InvalidInput("dates must be timezone-aware")
    with transaction.atomic():
        task = _open_task(task_key)
        if task.due_date == due_date and task.follow_up_date == follow_up_date:
            return task
        UserTask.objects.filter(key=task.key).update(due_date=due_date, follow_up_date=follow_up_date)
        data = {
            "due_date": due_date.isoformat() if due_date else None,
            "follow_up_date": follow_up_date.isoformat() if follow_up_date else None,
            "previous_due_date": task.due_date.isoformat() if task.due_date else None,
            "previous_follow_up_date": task.follow_up_date.isoformat() if task.follow_up_date else None,
        }
        _audit(task, "user_task_dates_changed", actor, data, now())
        task.due_date, task.follow_up_date = due_date, follow_up_date
        return task


def complete_assigned_user_task(
    task_key: uuid.UUID | str, *, actor: Any, assignee: str, variables: dict[str, Any] | None = None
) -> UserTask:
    """Complete a task as its assignee, in one transaction: a task completed meanwhile, or
    reassigned since the form was opened, is an InvalidState with a message for people."""
    from .user_tasks import complete_user_task

    with transaction.atomic():
        try:
            task = UserTask.objects.get(key=task_key)
        except (UserTask.DoesNotExist, ValueError, TypeError, ValidationError):
            raise NotFound(f"user task {task_key} not found") from None
        lock_instance(task.instance_id)
        task = UserTask.objects.get(key=task.key)
        label = task.name or task.element_id
        if task.state == UserTask.State.COMPLETED:
            who = "you" if task.completed_by == assignee else (task.completed_by or "someone else")
            raise InvalidState(f"Task '{label}' was already completed by {who}; nothing was submitted twice.")
        if task.state != UserTask.State.CREATED:
            raise InvalidState(f"Task '{label}' is {task.state}; it can no longer be completed.")
        if task.assignee != assignee:
            holder = f"reassigned to {task.assignee}" if task.assignee else "unclaimed"
            raise InvalidState(f"Task '{label}' was {holder} meanwhile; your form was not submitted.")
        return complete_user_task(task.key, actor=actor, variables=variables)


@dataclass
class BulkResult:
    done: list[uuid.UUID] = field(default_factory=list)
    refused: dict[uuid.UUID, str] = field(default_factory=dict)


def bulk_assign_user_tasks(
    task_keys: Iterable[uuid.UUID], assignee: str, *, actor: Any, claim: bool = False
) -> BulkResult:
    """Assign (or claim, which refuses tasks someone holds) many tasks: one transaction per
    task, in its instance's lock, so one refusal does not undo the others."""
    result = BulkResult()
    for key in task_keys:
        try:
            if claim:
                claim_user_task(key, assignee, actor=actor)
            else:
                assign_user_task(key, assignee, actor=actor)
        except (InvalidState, InvalidInput, NotFound) as exc:
            result.refused[key] = exc.message
        else:
            result.done.append(key)
    return result


__all__ = [
    "BulkResult",
    "assign_user_task",
    "bulk_assign_user_tasks",
    "claim_user_task",
    "comment_on_user_task",
    "complete_assigned_user_task",
    "delegate_user_task",
    "open_delegation_of",
    "resolve_user_task_delegation",
    "set_user_task_dates",
    "unclaim_user_task",
]
