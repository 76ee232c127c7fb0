"""Waits of catch events that belong to another element instance.

A boundary event waits on behalf of the activity it is attached to, an event
subprocess start on behalf of its scope (a subprocess, or the process: the
instance key), an event after an event-based gateway on behalf of the gateway.
The wait rows name the owner (`element_instance_key`) and the catch element
(`element_id`): when the owner ends, the store closes every row it owns; when
a row fires, `Runner.trigger` routes it through `registry.route_trigger`.

Conditional events have no rows: their last value lives in the owner's payload
(`conditions`), and `conditional.evaluate_waiting` re-evaluates them after each run.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, EventDefinition
from ...feel import to_json
from ..errors import EngineIncident
from ..state import ElementInstanceState, SignalSubscriptionSpec, SubscriptionSpec, TimerSpec
from . import expressions, timers

if TYPE_CHECKING:
    from ..runner import Runner

# event kinds that open a wait when their owner starts (errors, escalations and
# compensation are found by propagation instead)
WAITING_KINDS = frozenset({"timer", "message", "signal", "conditional"})


def owner_key(rt: Runner, owner: ElementInstanceState | None) -> uuid.UUID:
    return owner.key if owner is not None else rt.ws.root_scope


def _mark(rt: Runner, owner: ElementInstanceState | None, kind: str) -> None:
    if owner is None:
        rt.add_process_wait(kind)
    else:
        owner.add_wait(kind)


def payload_of(rt: Runner, owner: ElementInstanceState | None) -> dict[str, Any]:
    """The owner's payload, marked changed (the caller writes to it)."""
    return rt.scope_payload(owner.key if owner is not None else None)


def read_payload(rt: Runner, owner: ElementInstanceState | None) -> dict[str, Any]:
    return owner.payload if owner is not None else rt.ws.instance.payload


def open_wait(rt: Runner, owner: ElementInstanceState | None, element: Element, event: EventDefinition) -> None:
    """Open the wait of catch `element` on behalf of `owner` (None: the process scope)."""
    if event.kind == "timer":
        open_timer(rt, owner, element, event)
    elif event.kind == "message":
        open_subscription(rt, owner, element, event)
    elif event.kind == "signal":
        open_signal_subscription(rt, owner, element, event)
    elif event.kind == "conditional":
        # evaluated at the end of this run (so a condition already true fires at once)
        payload_of(rt, owner).setdefault("conditions", {})[element.id] = False


def open_timer(rt: Runner, owner: ElementInstanceState | None, element: Element, event: EventDefinition) -> TimerSpec:
    if event.timer is None:
        raise EngineIncident("expression", f"timer event '{element.id}' has no timer definition")
    value = expressions.evaluate(event.timer.expr, rt.context(owner), now=rt.now, what="timer")
    schedule = timers.schedule_for(event.timer.kind, value, rt.now)
    return _schedule_timer(rt, owner, element, schedule.due_at, schedule.repetitions, schedule.cycle)


def _schedule_timer(rt: Runner, owner, element: Element, due_at, repetitions: int, cycle: str) -> TimerSpec:
    key = owner_key(rt, owner)
    spec = TimerSpec(rt.new_key(), key, element.id, due_at, repetitions, cycle)
    rt.ws.new_timers.append(spec)
    _mark(rt, owner, "timer")
    if cycle:
        # what the next repetition needs, should this one fire without interrupting
        cycles = payload_of(rt, owner).setdefault("timer_cycles", {})
        cycles[element.id] = {"cycle": cycle, "repetitions": repetitions, "due_at": due_at.isoformat()}
    rt.audit("timer_scheduled", element.id, key, {"timer": str(spec.key), "due_at": due_at.isoformat()})
    return spec


def open_subscription(
    rt: Runner, owner: ElementInstanceState | None, element: Element, event: EventDefinition
) -> SubscriptionSpec:
    context = rt.context(owner)
    if event.message_name is None:
        raise EngineIncident("expression", f"'{element.id}' has no message name")
    name = expressions.evaluate_string(event.message_name, context, now=rt.now, what="message name")
    correlation_key = ""
    if event.correlation_key is not None:
        value = expressions.evaluate(event.correlation_key, context, now=rt.now, what="correlation key")
        if value is None:
            raise EngineIncident(
                "extract_value",
                f"correlation key '{event.correlation_key.source}' of '{element.id}' evaluated to null",
            )
        correlation_key = value if isinstance(value, str) else json.dumps(to_json(value))
    key = owner_key(rt, owner)
    spec = SubscriptionSpec(rt.new_key(), key, element.id, name, correlation_key)
    rt.ws.new_subscriptions.append(spec)
    _mark(rt, owner, "subscription")
    payload_of(rt, owner).setdefault("subscriptions", {})[element.id] = [name, correlation_key]
    rt.audit("message_subscribed", element.id, key, {"message": name, "correlation_key": correlation_key})
    return spec


def open_signal_subscription(
    rt: Runner, owner: ElementInstanceState | None, element: Element, event: EventDefinition
) -> SignalSubscriptionSpec:
    if event.signal_name is None:
        raise EngineIncident("expression", f"'{element.id}' has no signal name")
    name = expressions.evaluate_string(event.signal_name, rt.context(owner), now=rt.now, what="signal name")
    key = owner_key(rt, owner)
    spec = SignalSubscriptionSpec(rt.new_key(), key, element.id, name)
    rt.ws.new_signal_subscriptions.append(spec)
    _mark(rt, owner, "signal")
    rt.audit("signal_subscribed", element.id, key, {"signal": name})
    return spec


def rearm(rt: Runner, owner: ElementInstanceState | None, element: Element) -> None:
    """A non-interrupting catch fired: wait for its next occurrence.

    A message or signal subscription was consumed by the delivery, so a new one
    opens (same name and correlation key); a cycle timer schedules its next
    repetition until the cycle is exhausted; a conditional event needs nothing
    (it fires again when its condition becomes true again).
    """
    event = element.event
    if event is None:
        return
    payload = payload_of(rt, owner)
    if event.kind == "timer":
        info = payload.get("timer_cycles", {}).pop(element.id, None)
        if info and info["repetitions"] != 0:
            previous = timers.parse_datetime(info["due_at"])
            due = timers.next_of_cycle(info["cycle"], previous, rt.now)
            remaining = info["repetitions"] - 1 if info["repetitions"] > 0 else -1
            _schedule_timer(rt, owner, element, due, remaining, info["cycle"])
    elif event.kind == "message":
        name, correlation_key = payload.get("subscriptions", {}).get(element.id, [None, ""])
        if name is None:
            open_subscription(rt, owner, element, event)
            return
        key = owner_key(rt, owner)
        rt.ws.new_subscriptions.append(SubscriptionSpec(rt.new_key(), key, element.id, name, correlation_key))
        rt.audit("message_subscribed", element.id, key, {"message": name, "correlation_key": correlation_key})
    elif event.kind == "signal":
        open_signal_subscription(rt, owner, element, event)


def close_waits_of(rt: Runner, owner: ElementInstanceState | None, element: Element) -> None:
    """Close the rows of one catch element while its owner stays active."""
    rt.ws.closed_element_waits.add((owner_key(rt, owner), element.id))
    payload = payload_of(rt, owner)
    for name in ("timer_cycles", "subscriptions", "conditions"):
        payload.get(name, {}).pop(element.id, None)
