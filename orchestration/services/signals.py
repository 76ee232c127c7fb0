"""Signals: broadcast to every open subscription, and to signal start events.

A signal reaches every instance that waits for it (catch events, boundary
events, event-based gateways, event subprocess starts), each in its own
command under its own lock; each delivery consumes that subscription (a
non-interrupting boundary or event subprocess opens a new one). Signal start
events of the latest version of each process start one instance each.

A signal thrown inside an instance is broadcast after that instance's
transaction commits, so receivers never see a state that was rolled back.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db import transaction

from ..exceptions import InvalidInput, InvalidState, NotFound
from ..models import AuditEvent, SignalSubscription
from ._command import Command, actor_name, check_variables, instance_command, now

log = logging.getLogger(__name__)


def _deliver(sub_key: uuid.UUID, instance_key: uuid.UUID, name: str, variables: dict[str, Any], actor: Any) -> bool:
    try:
        with instance_command(instance_key, actor=actor) as cmd:
            sub = SignalSubscription.objects.filter(key=sub_key, state=SignalSubscription.State.OPEN).first()
            if sub is None or not cmd.runner.is_waiting(sub.element_instance_key):
                return False  # delivered or closed concurrently
            SignalSubscription.objects.filter(key=sub.key).update(state=SignalSubscription.State.CLOSED)
            cmd.runner.audit(
                "signal_received",
                sub.element_id,
                sub.element_instance_key,
                {"signal": name, "variables": sorted(variables)},
            )
            cmd.runner.trigger(sub.element_instance_key, sub.element_id, variables)
    except (InvalidState, NotFound):
        return False  # the instance ended or is gone meanwhile
    return True


def broadcast_signal(name: str, *, actor: Any, variables: dict[str, Any] | None = None) -> int:
    """Deliver a signal to every open subscription; returns how many received it
    (waiting instances plus instances started by signal start events)."""
    if not name:
        raise InvalidInput("a signal name is required")
    variables = check_variables(variables)
    AuditEvent.objects.create(
        type="signal_broadcast",
        actor=actor_name(actor),
        data={"signal": name, "variables": sorted(variables)},
        created_at=now(),
    )
    # a snapshot: subscriptions opened by this very broadcast do not receive it
    subs = list(
        SignalSubscription.objects.filter(signal_name=name, state=SignalSubscription.State.OPEN)
        .order_by("created_at")
        .values_list("key", "instance_id", "definition_id", "element_id")
    )
    delivered = 0
    for sub_key, instance_key, _definition_key, _element_id in subs:
        if instance_key is not None and _deliver(sub_key, instance_key, name, variables, actor):
            delivered += 1
    starts = [(d, e) for _k, i, d, e in subs if i is None]
    if starts:
        from ..models import ProcessDefinition
        from .instances import start_instance

        for definition_key, element_id in starts:
            definition = ProcessDefinition.objects.get(key=definition_key)
            start_instance(definition=definition, start_element_id=element_id, variables=variables, actor=actor)
            delivered += 1
    return delivered


def broadcast_after_commit(cmd: Command) -> None:
    """Caller holds the instance lock. Queue the signals this command threw."""
    if not cmd.ws.signals_to_broadcast:
        return
    signals = list(cmd.ws.signals_to_broadcast)
    cmd.ws.signals_to_broadcast.clear()
    actor = cmd.actor

    def send() -> None:
        for name, variables in signals:
            try:
                broadcast_signal(name, actor=actor, variables=variables)
            except Exception:  # noqa: BLE001 - the thrower committed; one failed broadcast must not hide the others
                log.exception("broadcast of signal %r failed", name)

    transaction.on_commit(send)


__all__ = ["broadcast_after_commit", "broadcast_signal"]
