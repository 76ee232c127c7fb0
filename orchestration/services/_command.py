"""Plumbing shared by every command: lock, load, run, save, dispatch after commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import access, store
from ..bpmn.model import Process
from ..conf import setting
from ..engine.runner import Runner
from ..engine.state import WorkingSet
from ..exceptions import InvalidInput, InvalidState, NotFound, VariablesTooLarge
from ..models import ProcessDefinition, ProcessInstance
from ..nul import nul_position
from ..units import human_size
from .deployments import definition_by_key, process_for


def actor_name(actor: Any) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return access.actor_name(actor)


def now() -> datetime:
    return timezone.now()


def check_variables(variables: Any, what: str = "variables") -> dict[str, Any]:
    """Variables must be a JSON object within the size limit."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise InvalidInput(f"{what} must be a JSON object of name -> value")
    for name in variables:
        if not isinstance(name, str) or not name or len(name) > 255:
            raise InvalidInput(f"variable name {name!r} must be a non-empty string of at most 255 characters")
    where = nul_position(variables)
    if where is not None:
        raise InvalidInput(f"{what} may not contain NUL (0x00) characters (PostgreSQL cannot store them): {where}")
    try:
        # allow_nan=False: NaN and Infinity are not JSON (PostgreSQL's jsonb refuses them)
        size = len(json.dumps(variables, separators=(",", ":"), allow_nan=False).encode())
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} must be JSON values: {exc}") from None
    limit = setting("MAX_VARIABLE_BYTES")
    if size > limit:
        raise VariablesTooLarge(f"{what} are {human_size(size)}; the limit is {human_size(limit)}")
    return variables


@dataclass
class Command:
    instance: ProcessInstance
    definition: ProcessDefinition
    process: Process
    ws: WorkingSet
    runner: Runner
    now: datetime
    actor: str
    dispatch: bool = True
    internal_jobs: list[uuid.UUID] = field(default_factory=list)


def lock_instance(instance_key: uuid.UUID | str) -> ProcessInstance:
    try:
        return ProcessInstance.objects.select_for_update().get(key=instance_key)
    except (ProcessInstance.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(f"process instance {instance_key} not found") from None


@contextmanager
def instance_command(
    instance_key: uuid.UUID | str,
    *,
    actor: Any,
    require_active: bool = True,
    dispatch: bool = True,
    allow_suspended: bool = False,
) -> Iterator[Command]:
    """Run a command on one instance: caller code runs inside the lock, then state is saved.

    A suspended instance refuses commands that move tokens; operator commands
    that may run on it (cancel, set variables, resume, modify, migrate) pass
    allow_suspended=True.
    """
    with transaction.atomic():
        instance = lock_instance(instance_key)
        if require_active and instance.state != ProcessInstance.State.ACTIVE:
            raise InvalidState(f"process instance {instance.key} is {instance.state}")
        if instance.suspended and not allow_suspended:
            raise InvalidState(f"process instance {instance.key} is suspended; resume it first")
        definition = definition_by_key(instance.definition_id)
        process = process_for(definition)
        ws = store.load(instance)
        moment = now()
        cmd = Command(
            instance, definition, process, ws, Runner(process, ws, now=moment), moment, actor_name(actor), dispatch
        )
        yield cmd
        finish(cmd)


def finish(
    cmd: Command,
    *,
    new_instance: bool = False,
    parent: ProcessInstance | None = None,
    parent_element_instance_key: uuid.UUID | None = None,
) -> None:
    """Correlate buffered messages to new subscriptions, save, queue internal jobs after commit."""
    from . import call_activities
    from .messages import correlate_buffered
    from .signals import broadcast_after_commit

    # a last run: conditional events see the variables this command changed
    cmd.runner.run()
    correlate_buffered(cmd)
    broadcast_after_commit(cmd)
    from ..handlers import is_registered

    calls = call_activities.before_save(cmd)

    result = store.save(
        cmd.ws,
        definition=cmd.definition,
        instance=None if new_instance else cmd.instance,
        actor=cmd.actor,
        now=cmd.now,
        is_internal=is_registered,
        parent=parent,
        parent_element_instance_key=parent_element_instance_key,
    )
    cmd.instance = result.instance
    cmd.internal_jobs.extend(result.internal_jobs)
    if cmd.dispatch and result.internal_jobs:
        dispatch_jobs(result.internal_jobs)
    call_activities.after_save(cmd, calls, ended=result.ended)


def dispatch_jobs(job_keys: list[uuid.UUID]) -> None:
    from ..tasks import run_job

    keys = [str(k) for k in job_keys]
    transaction.on_commit(lambda: [run_job.delay(k) for k in keys])
