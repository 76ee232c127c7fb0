"""Multi-instance activities (tasks, embedded subprocesses, call activities).

A token that reaches a multi-instance activity creates a *body* element
instance (element_type "multiInstanceBody", same element id). The body is the
scope of the inner instances, holds nrOfInstances / nrOfActiveInstances /
nrOfCompletedInstances (and the Camunda 8 names numberOf...) as local
variables, owns the boundary events (`on_activated` runs for the body, not for
inner instances) and takes the element's outgoing flows when it is done. Each
inner instance gets `loopCounter` (1-based, as in Camunda 8) and the input
element as local variables; its input/output mappings apply to it. Leaving an
inner instance takes no flow: the body counts it, fills the output collection
at its position, evaluates the completion condition (true: the other inner
instances are terminated) and, when sequential, starts the next one.

Camunda 7 (camunda:collection, camunda:elementVariable, loopCardinality,
completionCondition) and Camunda 8 (zeebe:loopCharacteristics inputCollection,
inputElement, outputCollection, outputElement) forms map to one
MultiInstanceDefinition. Not supported: BPMN data-input/-output items and
complexBehaviorDefinition (refused by the parser); Camunda 7's 0-based
loopCounter (we count from 1 like Camunda 8).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, SequenceFlow
from ..errors import EngineIncident
from ..mechanics import expressions, variables
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner

MI_BODY = "multiInstanceBody"
MAX_INSTANCES = 10_000

_COUNTERS = (
    ("nrOfInstances", "numberOfInstances"),
    ("nrOfActiveInstances", "numberOfActiveInstances"),
    ("nrOfCompletedInstances", "numberOfCompletedInstances"),
)


def is_body(ei: ElementInstanceState) -> bool:
    return ei.element_type == MI_BODY


def is_inner(ei: ElementInstanceState, element: Element) -> bool:
    """An inner instance of a multi-instance activity (not its body)."""
    return element.multi_instance is not None and ei.element_type != MI_BODY


def body_of(rt: Runner, ei: ElementInstanceState) -> ElementInstanceState:
    assert ei.scope_key is not None
    return rt.ws.elements[ei.scope_key]


class MultiInstanceBody(Behavior):
    def enter(
        self, rt: Runner, element: Element, scope_key: uuid.UUID | None, incoming_flow: str
    ) -> ElementInstanceState | None:
        return rt.create_element_instance(element, scope_key, incoming_flow, element_type=MI_BODY)

    def activate(self, rt: Runner, body: ElementInstanceState, element: Element) -> None:
        mi = element.multi_instance
        assert mi is not None
        items: list[Any] | None = None
        if mi.input_collection is not None:
            value = expressions.evaluate_json(
                mi.input_collection, rt.context(body), now=rt.now, what="multi-instance input collection"
            )
            if not isinstance(value, list):
                raise EngineIncident(
                    "extract_value",
                    f"multi-instance input collection '{mi.input_collection.source}' of '{element.id}' "
                    f"is {type(value).__name__}, expected a list",
                )
            items = value
            count = len(items)
        else:
            assert mi.loop_cardinality is not None
            raw = expressions.evaluate(mi.loop_cardinality, rt.context(body), now=rt.now, what="loop cardinality")
            try:
                count = int(str(raw))
            except ValueError:
                raise EngineIncident(
                    "expression",
                    f"loop cardinality '{mi.loop_cardinality.source}' of '{element.id}' is not a number: {raw!r}",
                ) from None
            if count < 0:
                raise EngineIncident("expression", f"loop cardinality of '{element.id}' is negative: {count}")
        if count > MAX_INSTANCES:
            raise EngineIncident(
                "expression",
                f"multi-instance '{element.id}' would create {count} instances; the limit is {MAX_INSTANCES}",
            )
        body.payload["mi"] = {"items": items, "n": count, "started": 0, "completed": [], "done": False}
        body.is_dirty = True
        if mi.output_collection:
            variables.set_local(rt.ws, body.key, mi.output_collection, [None] * count)
        self._update_counters(rt, body)
        rt.audit("multi_instance_started", element.id, body.key, {"instances": count, "sequential": mi.sequential})
        if count == 0:
            rt.complete(body)
            return
        for _ in range(1 if mi.sequential else count):
            self._start_next(rt, body, element)

    def scope_drained(self, rt: Runner, body: ElementInstanceState, element: Element) -> None:
        state = body.payload.get("mi")
        if state and not state["done"] and state["started"] < state["n"]:
            self._start_next(rt, body, element)
            return
        rt.complete(body)

    def outgoing(self, rt: Runner, body: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        mi = element.multi_instance
        assert mi is not None
        if mi.output_collection:
            value = rt.ws.variables.get(body.key, {}).get(mi.output_collection, [])
            chain = variables.scope_chain(rt.ws, body)[1:]
            variables.set_propagating(rt.ws, chain, mi.output_collection, value)
        return rt.select_flows(body, element)

    # -- helpers ----------------------------------------------------------------

    def _start_next(self, rt: Runner, body: ElementInstanceState, element: Element) -> None:
        mi = element.multi_instance
        assert mi is not None
        state = body.payload["mi"]
        index = state["started"]
        state["started"] = index + 1
        body.is_dirty = True
        inner = rt.create_element_instance(element, body.key, "")
        variables.set_local(rt.ws, inner.key, "loopCounter", index + 1)
        if state["items"] is not None and mi.input_element:
            variables.set_local(rt.ws, inner.key, mi.input_element, state["items"][index])
        self._update_counters(rt, body)
        rt.schedule_activate(inner)

    @staticmethod
    def _update_counters(rt: Runner, body: ElementInstanceState) -> None:
        state = body.payload["mi"]
        completed = len(state["completed"])
        active = sum(1 for e in rt.ws.active_children(body.key))
        # inner instances created in this step but not yet activated are active already
        values = (state["n"], active, completed)
        current = rt.ws.variables.get(body.key, {})
        for names, value in zip(_COUNTERS, values, strict=True):
            for name in names:
                if current.get(name) != value:
                    variables.set_local(rt.ws, body.key, name, value)


class MultiInstanceInner(Behavior):
    """An inner instance: behaves as its element type, but leaving reports to the body."""

    def __init__(self, inner_behavior: Behavior):
        self.inner = inner_behavior

    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        self.inner.activate(rt, ei, element)

    def scope_drained(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        self.inner.scope_drained(rt, ei, element)

    def outgoing(self, rt: Runner, ei: ElementInstanceState, element: Element) -> list[SequenceFlow]:
        mi = element.multi_instance
        assert mi is not None
        body = body_of(rt, ei)
        state = body.payload["mi"]
        counter = rt.ws.variables.get(ei.key, {}).get("loopCounter")
        # Evaluate first, change state after: a failing expression is a "leave"
        # incident whose retry must not count this instance twice.
        output = None
        if mi.output_collection and mi.output_element is not None:
            output = expressions.evaluate_json(
                mi.output_element, rt.context(ei), now=rt.now, what="multi-instance output element"
            )
        if mi.output_collection and isinstance(counter, int):
            collection = list(rt.ws.variables.get(body.key, {}).get(mi.output_collection) or [])
            if 0 < counter <= len(collection):
                collection[counter - 1] = output
                variables.set_local(rt.ws, body.key, mi.output_collection, collection)
        if counter not in state["completed"]:
            state["completed"].append(counter)
            body.is_dirty = True
        # this instance still counts as active until it ends
        MultiInstanceBody._update_counters(rt, body)
        active = rt.ws.variables[body.key]["nrOfActiveInstances"] - 1
        for name in _COUNTERS[1]:
            variables.set_local(rt.ws, body.key, name, active)
        if mi.completion_condition is not None and not state["done"]:
            value = expressions.evaluate(
                mi.completion_condition, rt.context(ei), now=rt.now, what="completion condition"
            )
            if value is not None and not isinstance(value, bool):
                raise EngineIncident(
                    "condition",
                    f"completion condition '{mi.completion_condition.source}' of '{element.id}' returned {value!r}, expected a boolean",
                )
            if value:
                state["done"] = True
                body.is_dirty = True
                rt.audit(
                    "multi_instance_completion_condition_met",
                    element.id,
                    body.key,
                    {"completed": len(state["completed"])},
                )
                for other in rt.ws.active_children(body.key):
                    if other.key != ei.key:
                        rt.terminate(other)
        return []
