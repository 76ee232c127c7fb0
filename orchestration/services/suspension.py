"""Suspend and resume a process instance.

While an instance is suspended nothing moves it on by itself: its jobs are
neither claimed by handlers nor activated for external workers, its timers do
not fire, and commands that move tokens (complete a job, correlate a message,
complete a user task, fire a timer, trigger) are refused with InvalidState by
`_command.instance_command`. Operators may still cancel it, set variables,
modify or migrate it. On resume, due timers fire at the next timer sweep (they
stayed SCHEDULED) and internal jobs are dispatched again after commit.

Not here: suspending a whole definition, and suspending called child instances
with their parent.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q

from ..exceptions import InvalidState
from ..models import Job, ProcessInstance, Timer
from ._command import dispatch_jobs, instance_command


def suspend_instance(instance_key: uuid.UUID | str, *, actor: Any, reason: str = "") -> ProcessInstance:
    with instance_command(instance_key, actor=actor, allow_suspended=True) as cmd:
        if cmd.instance.suspended:
            raise InvalidState(f"process instance {cmd.instance.key} is already suspended")
        ProcessInstance.objects.filter(key=cmd.instance.key).update(suspended=True, updated_at=cmd.now)
        cmd.instance.suspended = True
        cmd.runner.audit("instance_suspended", data={"reason": reason} if reason else {})
    return cmd.instance


def resume_instance(instance_key: uuid.UUID | str, *, actor: Any, reason: str = "") -> ProcessInstance:
    with instance_command(instance_key, actor=actor, allow_suspended=True) as cmd:
        if not cmd.instance.suspended:
            raise InvalidState(f"process instance {cmd.instance.key} is not suspended")
        ProcessInstance.objects.filter(key=cmd.instance.key).update(suspended=False, updated_at=cmd.now)
        cmd.instance.suspended = False
        # A timer claimed just before the suspension and refused while firing would
        # otherwise wait for the stuck-timer sweep: give it back to the next claim.
        Timer.objects.filter(instance_id=cmd.instance.key, state=Timer.State.FIRING).update(
            state=Timer.State.SCHEDULED, claimed_at=None
        )
        # Internal jobs were skipped by the sweeper while suspended: send the due ones
        # now (after commit), as store.save does for new jobs; backed-off ones are
        # left to the sweeper, which sends them when retry_at passes.
        due = list(
            Job.objects.filter(instance_id=cmd.instance.key, internal=True, state=Job.State.ACTIVATABLE)
            .filter(Q(retry_at__isnull=True) | Q(retry_at__lte=cmd.now))
            .values_list("key", flat=True)
        )
        if due:
            Job.objects.filter(key__in=due).update(dispatched_at=cmd.now, updated_at=cmd.now)
            if cmd.dispatch:
                dispatch_jobs(due)
        cmd.runner.audit(
            "instance_resumed",
            data={"redispatched_jobs": len(due), **({"reason": reason} if reason else {})},
        )
    return cmd.instance
