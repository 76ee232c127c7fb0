"""Compensation (saga): remember completed compensable activities, run their handlers on a throw.

Recording: an activity with a compensation boundary event (its handler is the
`isForCompensation` activity linked to the boundary by an association) is
recorded in its scope's payload when it completes: element id, element
instance key, handler, and a per-instance completion sequence number. Each
completed inner instance of a multi-instance activity is recorded (with its
loopCounter / input element, given back to its handler as local variables).
A subprocess that completes without a handler of its own hands its records to
its enclosing scope (nested compensation); `via` lists the subprocesses, so
activityRef can name the subprocess.

Throwing: a compensation intermediate throw or end event takes the records of
its scope (of its parent scope when it sits in an event subprocess), or only
those of the activity named by activityRef, and runs their handlers one after
another in reverse completion order, as children of the throw event's element
instance; when the last handler is done the event completes (we always wait:
waitForCompletion="false" is treated as true, as in Camunda 8). Each record is
compensated once and audited as `activity_compensated` on the compensated
activity's id, so the diagram can show it.

Not supported: compensation event subprocesses (refused with the other event
subprocesses' start kinds), compensating an activity of an already-completed
outer scope from outside it, and compensation boundary events on activities
inside a call activity's child (the child is its own instance).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, Process
from ..mechanics import variables
from ..state import ElementInstanceState
from .base import Behavior
from .multi_instance import is_body

if TYPE_CHECKING:
    from ..runner import Runner

RECORDS = "compensation"


# activity id -> handler id, per compiled process (kept with the process so its id() stays unique)
_HANDLERS: dict[int, tuple[Process, dict[str, str]]] = {}


def compensation_handler(process: Process, element: Element) -> str | None:
    cached = _HANDLERS.get(id(process))
    if cached is None or cached[0] is not process:
        handlers = {
            e.attached_to: e.compensation_handler
            for e in process.elements.values()
            if e.type == "boundaryEvent"
            and e.event is not None
            and e.event.kind == "compensate"
            and e.attached_to
            and e.compensation_handler
        }
        if len(_HANDLERS) > 1024:
            _HANDLERS.clear()
        cached = _HANDLERS[id(process)] = (process, handlers)
    return cached[1].get(element.id)


def _next_order(rt: Runner) -> int:
    payload = rt.scope_payload(None)
    order = int(payload.get("compensation_seq", 0)) + 1
    payload["compensation_seq"] = order
    return order


def record_completion(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    """Called while an element instance completes (its local variables still exist)."""
    if is_body(ei):
        return
    handler = compensation_handler(rt.process, element)
    nested = ei.payload.get(RECORDS) if element.type == "subProcess" else None
    if handler is None and not nested:
        return
    target = ei.scope_key
    if target is not None and is_body(rt.ws.elements[target]):
        # inner instances are recorded beside their body, which leaves no payload behind
        target = rt.ws.elements[target].scope_key
    payload = rt.scope_payload(target)
    if handler is not None:
        record: dict[str, Any] = {
            "element_id": element.id,
            "ei": str(ei.key),
            "handler": handler,
            "order": _next_order(rt),
            "via": [],
        }
        if element.multi_instance is not None:
            record["vars"] = dict(rt.ws.variables.get(ei.key, {}))
        payload.setdefault(RECORDS, []).append(record)
        rt.audit("compensation_recorded", element.id, ei.key, {"handler": handler})
    else:
        for record in nested or ():
            payload.setdefault(RECORDS, []).append({**record, "via": [*record["via"], element.id]})


class CompensationThrow(Behavior):
    """intermediateThrowEvent / endEvent with a compensateEventDefinition."""

    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        assert element.event is not None
        scope_key = ei.scope_key
        if scope_key is not None:
            scope = rt.ws.elements[scope_key]
            if rt.process.element(scope.element_id).triggered_by_event:
                scope_key = scope.scope_key
        payload = rt.scope_payload(scope_key)
        records = payload.get(RECORDS, [])
        ref = element.event.activity_ref
        chosen = [r for r in records if ref is None or r["element_id"] == ref or ref in r["via"]]
        if chosen:
            payload[RECORDS] = [r for r in records if r not in chosen]
        chosen.sort(key=lambda r: r["order"], reverse=True)
        ei.payload["compensate"] = chosen
        ei.is_dirty = True
        rt.audit(
            "compensation_thrown",
            element.id,
            ei.key,
            {"activities": [r["element_id"] for r in chosen], **({"activity_ref": ref} if ref else {})},
        )
        self._next(rt, ei)

    def scope_drained(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        pending = ei.payload.get("compensate") or []
        if pending:
            done = pending.pop(0)
            ei.is_dirty = True
            rt.audit(
                "activity_compensated",
                done["element_id"],
                uuid.UUID(done["ei"]),
                {"handler": done["handler"], "thrown_by": element.id, "throw_instance": str(ei.key)},
            )
        self._next(rt, ei)

    @staticmethod
    def _next(rt: Runner, ei: ElementInstanceState) -> None:
        pending = ei.payload.get("compensate") or []
        if not pending:
            rt.complete(ei)
            return
        record = pending[0]
        handler = rt.process.element(record["handler"])
        inner = rt.create_element_instance(handler, ei.key, "")
        for name, value in (record.get("vars") or {}).items():
            variables.set_local(rt.ws, inner.key, name, value)
        rt.audit("compensation_started", record["element_id"], uuid.UUID(record["ei"]), {"handler": handler.id})
        rt.schedule_activate(inner)
