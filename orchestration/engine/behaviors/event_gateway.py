"""Event-based gateway: waits on the catch events after it (message, timer,
signal, conditional intermediate catch events and message receive tasks);
the first one that fires wins, the gateway's other waits are withdrawn, and
the winning event completes with the trigger's variables and goes on.

The waits are owned by the gateway's element instance, so completing the
gateway closes all of them at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, SequenceFlow
from ..mechanics import event_waits
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner


def events_after(rt: Runner, element: Element) -> list[tuple[SequenceFlow, Element]]:
    pairs = []
    for flow_id in element.outgoing:
        flow = rt.process.flows[flow_id]
        pairs.append((flow, rt.process.element(flow.target)))
    return pairs


class EventBasedGateway(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        for _flow, target in events_after(rt, element):
            if target.event is not None and target.event.kind in event_waits.WAITING_KINDS:
                event_waits.open_wait(rt, ei, target, target.event)

    def outgoing(self, rt: Runner, ei: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        return []  # the winning event is entered by trigger()


def trigger(rt: Runner, gateway: ElementInstanceState, target: Element, result: dict[str, Any]) -> None:
    """Caller checked that `gateway` is active; `target` is one of its events."""
    element = rt.process.element(gateway.element_id)
    flow = next(f for f, t in events_after(rt, element) if t.id == target.id)
    rt.audit("event_gateway_triggered", gateway.element_id, gateway.key, {"event": target.id})
    rt.complete(gateway)
    if rt.audit_flows:
        rt.audit("sequence_flow_taken", flow.id, None, {"source": flow.source, "target": flow.target})
    ei = rt.create_element_instance(target, gateway.scope_key, flow.id)
    rt.complete(ei, result)
