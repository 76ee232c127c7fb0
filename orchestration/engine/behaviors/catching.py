"""Where a BPMN error or escalation is caught: walk outward from the thrower.

At each level: the boundary events of the element instance (the failing task,
then each enclosing subprocess), then the event subprocesses of its enclosing
scope, up to the process. The innermost level that catches wins; within one
level a catch event with the thrown code wins over a catch-all (no code),
as in Camunda 7 and 8. An event subprocess does not catch what is thrown
inside itself: the walk goes on from its scope's boundary events.

Errors are always interrupting. Escalations may be non-interrupting; an
uncaught escalation is not an incident (the thrower just goes on).

Not here: propagation out of a called process (call_activity.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, Expr
from ..state import ElementInstanceState
from . import boundary, event_subprocess

if TYPE_CHECKING:
    from ..runner import Runner

Catcher = Callable[[str, str], None]


def _catch_code(rt: Runner, kind: str, element: Element) -> str | None:
    event = element.event
    if event is None:
        return None
    expr: Expr | None = event.error_code if kind == "error" else event.escalation_code
    if expr is None:
        return None
    if expr.is_static:
        return expr.source
    return str(rt.evaluate(expr, None, what=f"{kind} code"))


def _pick(rt: Runner, kind: str, candidates: list[Element], code: str) -> Element | None:
    catch_all = None
    for element in candidates:
        if element.event is None or element.event.kind != kind:
            continue
        expected = _catch_code(rt, kind, element)
        if expected is None or expected == "":
            catch_all = catch_all or element
        elif expected == code:
            return element
    return catch_all


def caught_variables(element: Element, kind: str, code: str, message: str) -> dict[str, Any]:
    """What the catch event learns about the error: Camunda 7 errorCodeVariable /
    errorMessageVariable; with output mappings (Camunda 8) `errorCode` and
    `errorMessage` (`escalationCode`) are local inputs the mappings may read."""
    props = dict(element.properties)
    result: dict[str, Any] = {}
    if kind == "error":
        if props.get("camunda:errorCodeVariable"):
            result[props["camunda:errorCodeVariable"]] = code
        if props.get("camunda:errorMessageVariable"):
            result[props["camunda:errorMessageVariable"]] = message
        if element.outputs:
            result.setdefault("errorCode", code)
            result.setdefault("errorMessage", message)
    elif element.outputs:
        result.setdefault("escalationCode", code)
    return result


def find_catch(rt: Runner, thrower: ElementInstanceState, kind: str, code: str) -> tuple[Catcher, bool] | None:
    """The catcher of an error/escalation thrown at `thrower`, and whether it interrupts."""
    registry = rt.behavior_registry()
    node: ElementInstanceState | None = thrower
    while node is not None:
        host = node
        host_element = rt.process.elements.get(host.element_id)
        # a multi-instance activity's boundary events belong to its body, not to each inner instance
        inner = host_element is not None and registry.is_multi_instance_inner(host, host_element)
        attached = () if inner else boundary.boundaries_of(rt.process, host.element_id)
        if attached:
            found = _pick(rt, kind, list(attached), code)
            if found is not None:
                interrupting = found.cancel_activity or kind == "error"
                return (
                    lambda c, m, b=found, h=host: boundary.trigger(rt, h, b, caught_variables(b, kind, c, m)),
                    interrupting,
                )
        scope = rt.ws.elements.get(host.scope_key) if host.scope_key else None
        from_event_subprocess = host_element is not None and host_element.triggered_by_event
        body = scope is not None and registry.is_multi_instance_body(scope)
        if not from_event_subprocess and not body and not event_subprocess.is_interrupted(rt, scope):
            starts = list(event_subprocess.starts_in(rt.process, scope.element_id if scope else None))
            found = _pick(rt, kind, starts, code) if starts else None
            if found is not None:
                interrupting = found.is_interrupting or kind == "error"
                return (
                    lambda c, m, s=found, sc=scope: event_subprocess.trigger(
                        rt, sc, s, caught_variables(s, kind, c, m)
                    ),
                    interrupting,
                )
        node = scope
    return None
