"""Human tasks: complete (claim/assign come with the Tasklist issue)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from ..exceptions import InvalidState, NotFound
from ..models import UserTask
from ._command import check_variables, instance_command


def complete_user_task(task_key: uuid.UUID | str, *, actor: Any, variables: dict[str, Any] | None = None) -> UserTask:
    """Complete a task exactly once: a second submit gets a clear InvalidState."""
    variables = check_variables(variables)
    try:
        task = UserTask.objects.get(key=task_key)
    except (UserTask.DoesNotExist, ValueError, ValidationError):
        raise NotFound(f"user task {task_key} not found") from None
    if task.state == UserTask.State.COMPLETED:
        # a double submit gets the same answer whether or not the instance has ended since
        raise InvalidState(f"task '{task.name}' was already completed by {task.completed_by or 'someone else'}")
    with instance_command(task.instance_id, actor=actor) as cmd:
        task = UserTask.objects.get(key=task.key)
        if task.state == UserTask.State.COMPLETED:
            raise InvalidState(f"task '{task.name}' was already completed by {task.completed_by or 'someone else'}")
        if task.state != UserTask.State.CREATED or task.element_instance_key not in cmd.ws.elements:
            raise InvalidState(f"task '{task.name}' is no longer open ({task.state})")
        UserTask.objects.filter(key=task.key).update(
            state=UserTask.State.COMPLETED, completed_at=cmd.now, completed_by=cmd.actor
        )
        cmd.runner.audit(
            "user_task_completed",
            task.element_id,
            task.element_instance_key,
            {"task": str(task.key), "variables": sorted(variables)},
        )
        cmd.runner.complete_element(task.element_instance_key, variables)
    return UserTask.objects.get(key=task.key)
