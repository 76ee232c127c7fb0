"""Inclusive (OR) gateway.

Fork: every outgoing flow whose condition is true (a flow without a condition
counts as true); the default flow only when none is; none and no default is a
"condition" incident.

Join (more than one incoming flow): arriving tokens are collected on a join
element instance, like the parallel join. The join fires once no other token
of the same scope can still arrive: no active element instance of the scope
(other than the join) from which the gateway is reachable through the
sequence flows (and boundary events) without passing through the gateway.
The check runs as a separate step after the arrival (so every flow a fork
takes in the same step has its token first) and again whenever a token of the
scope ends anywhere (`recheck_joins`, called from the runner's after_end).

Not supported: tokens of a called child instance or of an event subprocess
count only through their call activity / enclosing scope.
"""

from __future__ import annotations

import uuid
from collections import deque
from typing import TYPE_CHECKING

from ...bpmn.model import Element, Process, SequenceFlow
from ..errors import EngineIncident
from ..mechanics import expressions
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner

TYPE = "inclusiveGateway"


def _reaching(process: Process, gateway: Element) -> set[str]:
    """Element ids from which the gateway can be reached without passing through it."""
    boundaries: dict[str, list[str]] = {}
    for e in process.elements.values():
        if e.type == "boundaryEvent" and e.attached_to:
            boundaries.setdefault(e.id, []).append(e.attached_to)
    found: set[str] = set()
    queue: deque[str] = deque()
    for flow_id in gateway.incoming:
        queue.append(process.flows[flow_id].source)
    while queue:
        element_id = queue.popleft()
        if element_id in found or element_id == gateway.id or element_id not in process.elements:
            continue
        found.add(element_id)
        element = process.elements[element_id]
        for flow_id in element.incoming:
            queue.append(process.flows[flow_id].source)
        # a token on the activity may leave through its boundary event
        queue.extend(boundaries.get(element_id, ()))
    return found


class InclusiveGateway(Behavior):
    def enter(
        self, rt: Runner, element: Element, scope_key: uuid.UUID | None, incoming_flow: str
    ) -> ElementInstanceState | None:
        if len(element.incoming) <= 1:
            return rt.create_element_instance(element, scope_key, incoming_flow)
        for ei in rt.ws.elements.values():
            if (
                ei.element_id == element.id
                and ei.scope_key == scope_key
                and ei.is_active
                and "arrived" in ei.payload
                and incoming_flow not in ei.payload["arrived"]
            ):
                ei.payload["arrived"].append(incoming_flow)
                ei.is_dirty = True
                schedule_check(rt, ei)
                return None
        ei = rt.create_element_instance(element, scope_key, incoming_flow)
        ei.payload["arrived"] = [incoming_flow]
        return ei  # activation runs the check

    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        if "arrived" not in ei.payload:
            rt.complete(ei)  # a fork only
            return
        check_join(rt, ei)

    def outgoing(self, rt: Runner, ei: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        taken: list[SequenceFlow] = []
        context = None
        for flow_id in element.outgoing:
            if flow_id == element.default_flow:
                continue
            flow = rt.process.flows[flow_id]
            if flow.condition is None:
                taken.append(flow)
                continue
            context = context if context is not None else rt.context(ei)
            if expressions.evaluate_condition(flow.condition, context, now=rt.now, flow_id=flow.id):
                taken.append(flow)
        if taken:
            return taken
        if element.default_flow:
            return [rt.process.flows[element.default_flow]]
        if not element.outgoing:
            return []
        raise EngineIncident(
            "condition",
            f"no outgoing sequence flow of inclusive gateway '{element.id}' has a true condition and there is no default flow",
        )


def schedule_check(rt: Runner, join: ElementInstanceState) -> None:
    rt.schedule_step(_check_step, join)


def _check_step(join: ElementInstanceState, rt: Runner) -> None:
    check_join(rt, join)


def check_join(rt: Runner, join: ElementInstanceState) -> None:
    if not join.is_active or join.payload.get("fired"):
        return
    element = rt.process.element(join.element_id)
    reaching = _reaching(rt.process, element)
    for other in rt.ws.active_children(join.scope_key):
        if other.key != join.key and other.element_id in reaching:
            return
    join.payload["fired"] = True
    join.is_dirty = True
    rt.audit("gateway_joined", element.id, join.key, {"arrived": list(join.payload["arrived"])})
    rt.complete(join)


def recheck_joins(rt: Runner, ended: ElementInstanceState) -> None:
    """A token of a scope ended: a waiting inclusive join of that scope may fire now."""
    for ei in rt.ws.elements.values():
        if (
            ei.element_type == TYPE
            and ei.is_active
            and ei.scope_key == ended.scope_key
            and "arrived" in ei.payload
            and ei.key != ended.key
        ):
            schedule_check(rt, ei)
