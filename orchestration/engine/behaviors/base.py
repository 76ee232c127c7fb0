from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from ...bpmn.model import Element, SequenceFlow
from ..state import ElementInstanceState

if TYPE_CHECKING:
    from ..runner import Runner


class Behavior:
    """Default: a pass-through element (enter, complete at once, take flows)."""

    def enter(
        self, rt: Runner, element: Element, scope_key: uuid.UUID | None, incoming_flow: str
    ) -> ElementInstanceState | None:
        return rt.create_element_instance(element, scope_key, incoming_flow)

    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        rt.complete(ei)

    def outgoing(self, rt: Runner, ei: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        return rt.select_flows(ei, element)

    def scope_drained(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        """The last token inside this element instance (a scope) ended: complete it by default."""
        rt.complete(ei)
