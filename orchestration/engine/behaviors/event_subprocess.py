"""Event subprocesses (subProcess triggeredByEvent="true") at process and subprocess level.

When a scope starts, the timer, message, signal and conditional start events of
its event subprocesses open waits owned by the scope (the instance key for the
process). Error and escalation starts are found by propagation (catching.py).

Interrupting start: every other token of the scope is terminated (also running
non-interrupting event subprocesses), the scope's other event subprocess
starts are withdrawn (an interrupting one fires once per scope), and the scope
completes when the event subprocess ends. Non-interrupting start: the event
subprocess runs beside the scope's tokens; a message, signal or cycle timer
start may fire again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, Process
from ..mechanics import event_waits
from ..state import ElementInstanceState

if TYPE_CHECKING:
    from ..runner import Runner

_INDEX: dict[int, tuple[Process, dict[str | None, tuple[Element, ...]]]] = {}


def starts_in(process: Process, scope_id: str | None) -> tuple[Element, ...]:
    """Start events of the event subprocesses directly inside a scope (None: the process)."""
    entry = _INDEX.get(id(process))
    if entry is None or entry[0] is not process:
        index: dict[str | None, list[Element]] = {}
        for element in process.elements.values():
            if element.type != "startEvent" or element.parent_id is None:
                continue
            parent = process.elements.get(element.parent_id)
            if parent is not None and parent.triggered_by_event:
                index.setdefault(parent.parent_id, []).append(element)
        if len(_INDEX) > 512:
            _INDEX.clear()
        entry = (process, {k: tuple(v) for k, v in index.items()})
        _INDEX[id(process)] = entry
    return entry[1].get(scope_id, ())


def is_event_subprocess_start(process: Process, element: Element) -> bool:
    if element.type != "startEvent" or element.parent_id is None:
        return False
    parent = process.elements.get(element.parent_id)
    return parent is not None and parent.triggered_by_event


def is_interrupted(rt: Runner, scope: ElementInstanceState | None) -> bool:
    return bool(event_waits.read_payload(rt, scope).get("interrupted_by"))


def open_starts(rt: Runner, scope: ElementInstanceState | None) -> None:
    """A scope started: open the waits of its event subprocesses' start events."""
    for start in starts_in(rt.process, scope.element_id if scope else None):
        if start.event is not None and start.event.kind in event_waits.WAITING_KINDS:
            event_waits.open_wait(rt, scope, start, start.event)


def trigger(rt: Runner, scope: ElementInstanceState | None, start: Element, result: dict[str, Any]) -> None:
    """Start the event subprocess of `start` inside `scope` (None: the process)."""
    esp = rt.process.element(start.parent_id or "")
    kind = start.event.kind if start.event else ""
    interrupting = start.is_interrupting or kind == "error"
    payload = event_waits.payload_of(rt, scope)
    scope_key = scope.key if scope is not None else None
    rt.audit(
        "event_subprocess_started",
        esp.id,
        scope_key,
        {"start": start.id, "event": kind, "interrupting": interrupting},
    )
    if interrupting:
        payload["interrupted_by"] = esp.id
        for child in rt.ws.active_children(scope_key):
            rt.terminate(child)
        for other in starts_in(rt.process, scope.element_id if scope else None):
            if other.event is not None and other.event.kind in event_waits.WAITING_KINDS:
                event_waits.close_waits_of(rt, scope, other)
    else:
        event_waits.rearm(rt, scope, start)
    ei = rt.create_element_instance(esp, scope_key, "")
    ei.payload["triggered_by"] = start.id
    if result:
        ei.payload["trigger_result"] = result
    rt.schedule_activate(ei)


def activate(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    """SubProcess.activate for an event subprocess: enter at the start event that fired."""
    start = rt.process.element(ei.payload["triggered_by"])
    result = ei.payload.pop("trigger_result", {})
    ei.is_dirty = True
    rt.behavior_registry().on_scope_started(rt, ei)
    start_ei = rt.create_element_instance(start, ei.key, "")
    rt.complete(start_ei, result)
