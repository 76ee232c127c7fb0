"""Conditional events: intermediate catch, boundary, event subprocess start,
and the conditional events after an event-based gateway.

A condition is evaluated when its wait opens and again after every run of a
command (variables may have changed: a job completed, variables were set, a
message brought some). An event fires when its condition becomes true: the
last value is kept per wait in the owner's payload, so a non-interrupting one
fires again only after the condition was false in between (no endless loop on
a condition that stays true). A condition that fails to evaluate counts as
false and is audited once (`condition_failed`), on every kind of conditional
event: Camunda 7 and Zeebe both keep waiting when a condition reads a variable
that is not set yet (the usual reason), so an incident would stop a process
that is simply early.

Not supported: Camunda 7 `variableName`/`variableEvents` filters (every change
re-evaluates).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bpmn.model import Element, Process
from ..errors import EngineIncident
from ..mechanics import event_waits, expressions
from ..state import ElementInstanceState
from . import boundary, event_gateway, event_subprocess

if TYPE_CHECKING:
    from ..runner import Runner

_HAS: dict[int, tuple[Process, bool]] = {}


def has_conditionals(process: Process) -> bool:
    entry = _HAS.get(id(process))
    if entry is None or entry[0] is not process:
        found = any(e.event is not None and e.event.kind == "conditional" for e in process.elements.values())
        if len(_HAS) > 512:
            _HAS.clear()
        entry = (process, found)
        _HAS[id(process)] = entry
    return entry[1]


def _is_conditional(element: Element) -> bool:
    return element.event is not None and element.event.kind == "conditional"


def _holds(rt: Runner, element: Element, context_ei: ElementInstanceState | None) -> bool:
    assert element.event is not None and element.event.condition is not None
    return expressions.evaluate_condition(
        element.event.condition, rt.context(context_ei), now=rt.now, flow_id=element.id
    )


def _edge(rt: Runner, owner: ElementInstanceState | None, element: Element) -> bool:
    """Re-evaluate a boundary/start/gateway condition; True when it just became true."""
    stored = event_waits.read_payload(rt, owner).get("conditions", {})
    if element.id not in stored:
        return False  # no open wait (withdrawn, or the owner never opened it)
    try:
        value = _holds(rt, element, owner)
    except EngineIncident as exc:
        failures = event_waits.read_payload(rt, owner).get("condition_failures", {})
        if failures.get(element.id) != exc.message:
            event_waits.payload_of(rt, owner).setdefault("condition_failures", {})[element.id] = exc.message
            rt.audit("condition_failed", element.id, event_waits.owner_key(rt, owner), {"message": exc.message})
        value = False
    if value != stored[element.id]:
        event_waits.payload_of(rt, owner)["conditions"][element.id] = value
        return value
    return False


def evaluate_waiting(rt: Runner) -> bool:
    """Fire the conditional events whose condition became true. True if any fired."""
    if not has_conditionals(rt.process) or rt.ws.instance.state != "active":
        return False
    fired = False
    for ei in list(rt.ws.active_elements()):
        if not ei.is_active:
            continue
        element = rt.process.elements.get(ei.element_id)
        if element is None:
            continue
        if element.type == "intermediateCatchEvent" and _is_conditional(element):
            if not ei.payload.get("condition_waiting"):
                continue
            holds = _holds_or_false(rt, element, ei)
            if holds:
                ei.payload.pop("condition_waiting")
                ei.is_dirty = True
                rt.audit("condition_met", element.id, ei.key)
                rt.complete(ei)
                fired = True
            continue
        if element.type == "eventBasedGateway":
            for _flow, target in event_gateway.events_after(rt, element):
                if _is_conditional(target) and _edge(rt, ei, target):
                    event_gateway.trigger(rt, ei, target, {})
                    fired = True
                    break
            continue
        for attached in boundary.boundaries_of(rt.process, element.id):
            if ei.is_active and _is_conditional(attached) and _edge(rt, ei, attached):
                boundary.trigger(rt, ei, attached, {})
                fired = True
        if element.type == "subProcess" and ei.is_active:
            fired = _scope(rt, ei, element.id) or fired
    if rt.ws.instance.state == "active":
        fired = _scope(rt, None, None) or fired
    return fired


def _scope(rt: Runner, scope: ElementInstanceState | None, scope_id: str | None) -> bool:
    fired = False
    for start in event_subprocess.starts_in(rt.process, scope_id):
        if scope is not None and not scope.is_active:
            break
        if event_subprocess.is_interrupted(rt, scope):
            break
        if _is_conditional(start) and _edge(rt, scope, start):
            event_subprocess.trigger(rt, scope, start, {})
            fired = True
    return fired


def _holds_or_false(rt: Runner, element: Element, ei: ElementInstanceState) -> bool:
    """An intermediate catch event's condition; a failure counts as false, audited once per message."""
    try:
        return _holds(rt, element, ei)
    except EngineIncident as exc:
        if ei.payload.get("condition_failure") != exc.message:
            ei.payload["condition_failure"] = exc.message
            ei.is_dirty = True
            rt.audit("condition_failed", element.id, ei.key, {"message": exc.message})
        return False


def activate_catch(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    """An intermediate conditional catch event: go on at once if the condition holds, else wait."""
    if _holds_or_false(rt, element, ei):
        rt.complete(ei)
        return
    ei.payload["condition_waiting"] = True
    ei.is_dirty = True
    rt.audit("condition_waiting", element.id, ei.key)
