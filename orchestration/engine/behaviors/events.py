"""Events: start (none, message, timer), end (none, terminate, error), intermediate
catch (message, timer) and throw (none, message with a job).

Not here yet (next issue): boundary events, signal, escalation, compensation,
conditional and link events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bpmn.model import Element
from ..errors import EngineIncident
from ..mechanics import expressions, waits
from ..state import ElementInstanceState
from .base import Behavior

if TYPE_CHECKING:
    from ..runner import Runner


class StartEvent(Behavior):
    """A start event completes as soon as it is entered (its trigger already happened)."""


class EndEvent(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        event = element.event
        if event is None:
            rt.complete(ei)
            return
        if event.kind == "terminate":
            for other in rt.ws.active_children(ei.scope_key):
                if other.key != ei.key:
                    rt.terminate(other)
            rt.complete(ei)
            return
        if event.kind == "error":
            code = ""
            if event.error_code is not None:
                code = expressions.evaluate_string(event.error_code, rt.context(ei), now=rt.now, what="error code")
            message = ""
            if event.error_message is not None:
                message = expressions.evaluate_string(event.error_message, rt.context(ei), now=rt.now, what="error message")
            rt.raise_error(ei, code, message)
            return
        if event.kind == "message" and element.task is not None:
            waits.create_job(rt, ei, element, element.task)
            return
        if event.kind == "message":
            rt.complete(ei)
            return
        raise EngineIncident("expression", f"{event.kind} end events are not supported yet")


class IntermediateCatchEvent(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        event = element.event
        if event is None:
            rt.complete(ei)
            return
        if event.kind == "message":
            waits.create_subscription(rt, ei, element, event)
            return
        if event.kind == "timer":
            waits.create_timer(rt, ei, element, event)
            return
        raise EngineIncident("expression", f"{event.kind} catch events are not supported yet")


class IntermediateThrowEvent(Behavior):
    def activate(self, rt: Runner, ei: ElementInstanceState, element: Element) -> None:
        event = element.event
        if event is None:
            rt.complete(ei)
            return
        if event.kind == "message" and element.task is not None:
            waits.create_job(rt, ei, element, element.task)
            return
        if event.kind == "message":
            rt.complete(ei)
            return
        raise EngineIncident("expression", f"{event.kind} throw events are not supported yet")
