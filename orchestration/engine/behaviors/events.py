"""Events: start (none, message, timer, signal), end (none, terminate, error,
escalation, signal, message), intermediate catch (message, timer, signal,
conditional, link) and throw (none, message with a job, escalation, signal, link).

Boundary events are in boundary.py, event subprocess starts in
event_subprocess.py, conditional waits in conditional.py, error and escalation
propagation in catching.py. Not here: compensation (compensation.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...bpmn.model import Element
from ..errors import EngineIncident
from ..mechanics import event_waits, expressions, waits
from ..state import ElementInstanceState
from . import catching, conditional
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
                message = expressions.evaluate_string(
                    event.error_message, rt.context(ei), now=rt.now, what="error message"
                )
            rt.raise_error(ei, code, message)
            return
        if event.kind == "message" and element.task is not None:
            waits.create_job(rt, ei, element, element.task)
            return
        if event.kind == "message":
            rt.complete(ei)
            return
        if event.kind in ("escalation", "signal"):
            throw(rt, ei, element)
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
        if event.kind == "signal":
            event_waits.open_signal_subscription(rt, ei, element, event)
            return
        if event.kind == "conditional":
            conditional.activate_catch(rt, ei, element)
            return
        if event.kind == "link":
            rt.complete(ei)
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
        if event.kind in ("escalation", "signal", "link"):
            throw(rt, ei, element)
            return
        raise EngineIncident("expression", f"{event.kind} throw events are not supported yet")


def throw(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    """Escalation, signal and link throw events (intermediate or end)."""
    event = element.event
    assert event is not None
    if event.kind == "escalation":
        code = expressions.evaluate_string(event.escalation_code, rt.context(ei), now=rt.now, what="escalation code")
        found = catching.find_catch(rt, ei, "escalation", code)
        rt.audit("escalation_thrown", element.id, ei.key, {"code": code, "caught": found is not None})
        if found is not None:
            catcher, _interrupting = found
            catcher(code, "")
        # An uncaught escalation is no incident (Camunda semantics): the thrower goes on.
        # When the catcher interrupted, the thrower was terminated and this is a no-op.
        rt.complete(ei)
    elif event.kind == "signal":
        name = expressions.evaluate_string(event.signal_name, rt.context(ei), now=rt.now, what="signal name")
        # the signal carries the throw event's input-mapped (local) variables, as in Camunda 8
        variables = dict(rt.ws.variables.get(ei.key, {}))
        rt.ws.signals_to_broadcast.append((name, variables))
        rt.audit("signal_thrown", element.id, ei.key, {"signal": name, "variables": sorted(variables)})
        rt.complete(ei)
    elif event.kind == "link":
        target = _link_target(rt, element)
        rt.audit("link_followed", element.id, ei.key, {"link": event.link_name, "target": target.id})
        rt.complete(ei)
        rt.activate(target, ei.scope_key, "")


def _link_target(rt: Runner, element: Element) -> Element:
    assert element.event is not None
    for candidate in rt.process.elements.values():
        if (
            candidate.type == "intermediateCatchEvent"
            and candidate.parent_id == element.parent_id
            and candidate.event is not None
            and candidate.event.kind == "link"
            and candidate.event.link_name == element.event.link_name
        ):
            return candidate
    raise EngineIncident(
        "expression", f"link '{element.event.link_name}' has no catch event in the scope of '{element.id}'"
    )
