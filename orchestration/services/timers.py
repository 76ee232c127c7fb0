"""Timers: claim due ones in batches (SKIP LOCKED) and fire each in its instance's transaction."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q

from ..conf import setting
from ..engine.mechanics import timers as timer_mechanics
from ..exceptions import NotFound
from ..models import Timer
from ._command import instance_command, now


def claim_due_timers(limit: int | None = None) -> list[uuid.UUID]:
    """Mark up to `limit` due timers FIRING and return their keys (skipping rows others hold).

    Timers of suspended instances stay SCHEDULED: they fire (late) once the
    instance is resumed. Start timers have no instance and are never skipped.
    """
    limit = limit or setting("TIMER_BATCH")
    moment = now()
    with transaction.atomic():
        keys = list(
            # of=("self",): lock only timer rows (FOR UPDATE may not touch the outer join's nullable side)
            Timer.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(state=Timer.State.SCHEDULED, due_at__lte=moment)
            .filter(Q(instance__isnull=True) | Q(instance__suspended=False))
            .order_by("due_at")
            .values_list("key", flat=True)[:limit]
        )
        if keys:
            Timer.objects.filter(key__in=keys, state=Timer.State.SCHEDULED).update(
                state=Timer.State.FIRING, claimed_at=moment
            )
    return keys


def fire_timer(timer_key: uuid.UUID | str, *, actor: Any = "timer") -> bool:
    """Fire one claimed timer. Returns False when it was cancelled meanwhile."""
    timer = Timer.objects.filter(key=timer_key).first()
    if timer is None:
        raise NotFound(f"timer {timer_key} not found")
    if timer.instance_id is None:
        return _fire_start_timer(timer, actor)
    with instance_command(timer.instance_id, actor=actor) as cmd:
        timer = Timer.objects.get(key=timer.key)
        if timer.state != Timer.State.FIRING or not cmd.runner.is_waiting(timer.element_instance_key):
            if timer.state == Timer.State.FIRING:
                Timer.objects.filter(key=timer.key).update(state=Timer.State.CANCELLED)
            return False
        Timer.objects.filter(key=timer.key).update(state=Timer.State.FIRED, fired_at=cmd.now)
        lateness_ms = int((cmd.now - timer.due_at).total_seconds() * 1000)
        cmd.runner.audit(
            "timer_fired",
            timer.element_id,
            timer.element_instance_key,
            {"timer": str(timer.key), "late_ms": lateness_ms},
        )
        cmd.runner.trigger(timer.element_instance_key, timer.element_id, {})
    return True


def _fire_start_timer(timer: Timer, actor: Any) -> bool:
    from .instances import start_instance

    with transaction.atomic():
        timer = Timer.objects.select_for_update().select_related("definition").get(key=timer.key)
        if timer.state != Timer.State.FIRING:
            return False
        moment = now()
        Timer.objects.filter(key=timer.key).update(state=Timer.State.FIRED, fired_at=moment)
        if timer.repetitions != 0 and timer.cycle:
            Timer.objects.create(
                definition=timer.definition,
                element_id=timer.element_id,
                due_at=timer_mechanics.next_of_cycle(timer.cycle, timer.due_at, moment),
                repetitions=timer.repetitions - 1 if timer.repetitions > 0 else -1,
                cycle=timer.cycle,
                created_at=moment,
            )
        start_instance(definition=timer.definition, start_element_id=timer.element_id, actor=actor)
    return True


def release_stuck_timers(older_than_seconds: float = 60) -> int:
    """Timers claimed by a process that died before firing them go back to SCHEDULED."""
    from datetime import timedelta

    cutoff = now() - timedelta(seconds=older_than_seconds)
    return Timer.objects.filter(state=Timer.State.FIRING, claimed_at__lt=cutoff).update(
        state=Timer.State.SCHEDULED, claimed_at=None
    )
