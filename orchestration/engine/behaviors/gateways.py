"""Gateways: exclusive (first true condition, else default, else incident) and
parallel (fork all; join waits for one token on every incoming flow).

Not here yet (next issue): inclusive and event-based gateways.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ...bpmn.model import Element, SequenceFlow
from ..errors import EngineIncident
from ..mechanics import expressions
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner


class ExclusiveGateway(Behavior):
    def outgoing(self, rt: Runner, ei: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        context = None
        for flow_id in element.outgoing:
            if flow_id == element.default_flow:
                continue
            flow = rt.process.flows[flow_id]
            if flow.condition is None:
                if len(element.outgoing) == 1:
                    return [flow]
                continue
            context = context if context is not None else rt.context(ei)
            if expressions.evaluate_condition(flow.condition, context, now=rt.now, flow_id=flow.id):
                return [flow]
        if element.default_flow:
            return [rt.process.flows[element.default_flow]]
        if not element.outgoing:
            return []
        raise EngineIncident(
            "condition",
            f"no outgoing sequence flow of exclusive gateway '{element.id}' has a true condition and there is no default flow",
        )


class ParallelGateway(Behavior):
    def enter(
        self, rt: Runner, element: Element, scope_key: uuid.UUID | None, incoming_flow: str
    ) -> ElementInstanceState | None:
        if len(element.incoming) <= 1:
            return rt.create_element_instance(element, scope_key, incoming_flow)
        # Join: find a waiting join instance that still lacks a token on this flow.
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
                self._maybe_fire(rt, ei, element)
                return None
        ei = rt.create_element_instance(element, scope_key, incoming_flow)
        ei.payload["arrived"] = [incoming_flow]
        self._maybe_fire(rt, ei, element)
        return None

    def _maybe_fire(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        if set(element.incoming) <= set(ei.payload["arrived"]):
            rt.audit("gateway_joined", element.id, ei.key, {"arrived": list(ei.payload["arrived"])})
            rt.complete(ei)

    def outgoing(self, rt: Runner, ei: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        return [rt.process.flows[f] for f in element.outgoing]
