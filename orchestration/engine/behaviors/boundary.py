"""Boundary events on tasks and embedded subprocesses: timer, message, signal,
conditional (waits opened when the activity starts, owned by its element
instance), error and escalation (found by propagation, see catching.py).

Interrupting: the activity and everything under it is terminated (its jobs,
timers, subscriptions, user tasks and child scopes close with it), then the
token leaves through the boundary event. Non-interrupting: a token starts at
the boundary event beside the running activity, and a message, signal or cycle
timer waits for its next occurrence.

Not here: compensation boundary events (compensation.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, Process
from ..mechanics import event_waits
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner

_INDEX: dict[int, tuple[Process, dict[str, tuple[Element, ...]]]] = {}


def boundaries_of(process: Process, activity_id: str) -> tuple[Element, ...]:
    """Boundary events attached to an activity (indexed once per compiled process)."""
    entry = _INDEX.get(id(process))
    if entry is None or entry[0] is not process:
        index: dict[str, list[Element]] = {}
        for element in process.elements.values():
            if element.type == "boundaryEvent" and element.attached_to:
                index.setdefault(element.attached_to, []).append(element)
        if len(_INDEX) > 512:
            _INDEX.clear()
        entry = (process, {k: tuple(v) for k, v in index.items()})
        _INDEX[id(process)] = entry
    return entry[1].get(activity_id, ())


class BoundaryEvent(Behavior):
    """A triggered boundary event completes at once with the trigger's variables
    (through its output mappings, if any) and takes its outgoing flows."""


def open_boundaries(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    for boundary in boundaries_of(rt.process, element.id):
        if boundary.event is not None and boundary.event.kind in event_waits.WAITING_KINDS:
            event_waits.open_wait(rt, ei, boundary, boundary.event)


def trigger(rt: Runner, host: ElementInstanceState, boundary: Element, result: dict[str, Any]) -> None:
    """Caller checked that `host` is active and `boundary` is attached to it."""
    kind = boundary.event.kind if boundary.event else ""
    interrupting = boundary.cancel_activity or kind == "error"
    rt.audit(
        "boundary_triggered",
        boundary.id,
        host.key,
        {"attached_to": host.element_id, "event": kind, "interrupting": interrupting},
    )
    if interrupting:
        rt.terminate(host)
    else:
        event_waits.rearm(rt, host, boundary)
    ei = rt.create_element_instance(boundary, host.scope_key, "")
    rt.complete(ei, result)
