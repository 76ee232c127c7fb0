"""Element type -> behaviour, and the deploy-time check of what this engine runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..bpmn.model import Element, Problem, Process
from .behaviors import boundary, catching, conditional, event_gateway, event_subprocess
from .behaviors.base import Behavior
from .behaviors.boundary import BoundaryEvent
from .behaviors.call_activity import CallActivity
from .behaviors.compensation import CompensationThrow, record_completion
from .behaviors.events import EndEvent, IntermediateCatchEvent, IntermediateThrowEvent, StartEvent
from .behaviors.gateways import ExclusiveGateway, ParallelGateway
from .behaviors.inclusive_gateway import InclusiveGateway, recheck_joins
from .behaviors.multi_instance import MI_BODY, MultiInstanceBody, MultiInstanceInner
from .behaviors.subprocesses import SubProcess
from .behaviors.tasks import JobTask, ReceiveTask, ScriptTask, UserTask
from .errors import UnsupportedElement

if TYPE_CHECKING:
    from .runner import Runner
    from .state import ElementInstanceState

_PASS = Behavior()
_JOB = JobTask()

BEHAVIORS: dict[str, Behavior] = {
    "startEvent": StartEvent(),
    "endEvent": EndEvent(),
    "intermediateCatchEvent": IntermediateCatchEvent(),
    "intermediateThrowEvent": IntermediateThrowEvent(),
    "task": _PASS,
    "manualTask": _PASS,
    "serviceTask": _JOB,
    "sendTask": _JOB,
    "businessRuleTask": _JOB,
    "userTask": UserTask(),
    "receiveTask": ReceiveTask(),
    "scriptTask": ScriptTask(),
    "exclusiveGateway": ExclusiveGateway(),
    "parallelGateway": ParallelGateway(),
    "subProcess": SubProcess(),
    "callActivity": CallActivity(),
    "inclusiveGateway": InclusiveGateway(),
    "boundaryEvent": BoundaryEvent(),
    "eventBasedGateway": event_gateway.EventBasedGateway(),
}

_MI_BODY = MultiInstanceBody()
_MI_INNER: dict[str, MultiInstanceInner] = {}  # by element type, filled on first use
_COMPENSATION_THROW = CompensationThrow()
# activities that may be multi-instance
MULTI_INSTANCE_TYPES = frozenset(
    {
        "task",
        "manualTask",
        "serviceTask",
        "sendTask",
        "businessRuleTask",
        "userTask",
        "receiveTask",
        "scriptTask",
        "subProcess",
        "callActivity",
    }
)

# Event kinds each event type runs today, by element type.
SUPPORTED_EVENTS: dict[str, frozenset[str | None]] = {
    # error, escalation and conditional starts only in event subprocesses (checked below)
    "startEvent": frozenset({None, "message", "timer", "signal", "error", "escalation", "conditional"}),
    "endEvent": frozenset({None, "terminate", "error", "message", "escalation", "signal"}),
    "intermediateCatchEvent": frozenset({"message", "timer", "signal", "conditional", "link"}),
    "intermediateThrowEvent": frozenset({None, "message", "escalation", "signal", "link"}),
    "boundaryEvent": frozenset({"message", "timer", "signal", "conditional", "error", "escalation", "compensate"}),
    # a receive task without a message waits to be triggered (Camunda 7 "signal execution")
    "receiveTask": frozenset({None, "message"}),
}
# compensation throw events (behaviors/compensation.py)
SUPPORTED_EVENTS["endEvent"] = SUPPORTED_EVENTS["endEvent"] | {"compensate"}
SUPPORTED_EVENTS["intermediateThrowEvent"] = SUPPORTED_EVENTS["intermediateThrowEvent"] | {"compensate"}


def behavior_for(element: Element) -> Behavior:
    """The behaviour a token arriving at the element meets (a multi-instance body for multi-instance activities)."""
    if element.multi_instance is not None:
        return _MI_BODY
    if (
        element.event is not None
        and element.event.kind == "compensate"
        and element.type in ("intermediateThrowEvent", "endEvent")
    ):
        return _COMPENSATION_THROW
    try:
        return BEHAVIORS[element.type]
    except KeyError:
        raise UnsupportedElement(f"{element.type} '{element.id}' is not supported") from None


def behavior_of(ei: ElementInstanceState, element: Element) -> Behavior:
    """The behaviour of an existing element instance (a multi-instance body or inner instance, or as behavior_for)."""
    if element.multi_instance is not None:
        if ei.element_type == MI_BODY:
            return _MI_BODY
        inner = _MI_INNER.get(element.type)
        if inner is None:
            inner = _MI_INNER.setdefault(element.type, MultiInstanceInner(BEHAVIORS[element.type]))
        return inner
    return behavior_for(element)


def is_multi_instance_body(ei: ElementInstanceState) -> bool:
    return ei.element_type == MI_BODY


def is_multi_instance_inner(ei: ElementInstanceState, element: Element) -> bool:
    return element.multi_instance is not None and ei.element_type != MI_BODY


def on_completing(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    """An element instance is completing (its local variables still exist): record compensation."""
    record_completion(rt, ei, element)


def on_token_ended(rt: Runner, ei: ElementInstanceState) -> None:
    """A token ended: waiting inclusive joins of its scope may fire now."""
    recheck_joins(rt, ei)


def find_error_catch(rt: Runner, ei: ElementInstanceState, code: str) -> Callable[[str, str], None] | None:
    """The boundary event or event subprocess that catches this error, if any (catching.py)."""
    found = catching.find_catch(rt, ei, "error", code)
    return found[0] if found is not None else None


def on_activated(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    """An activity started: open the waits of its boundary events."""
    boundary.open_boundaries(rt, ei, element)


def on_scope_started(rt: Runner, scope: ElementInstanceState | None) -> None:
    """A process or subprocess scope started: open its event subprocesses' start waits."""
    event_subprocess.open_starts(rt, scope)


def after_run(rt: Runner) -> bool:
    """Every token waits: fire conditional events whose condition became true (True if any did)."""
    return conditional.evaluate_waiting(rt)


def route_trigger(rt: Runner, scope: ElementInstanceState | None, element: Element, result: dict) -> None:
    """A wait owned by `scope` fired for another element (boundary, event subprocess start, ...)."""
    if element.type == "boundaryEvent" and scope is not None and element.attached_to == scope.element_id:
        boundary.trigger(rt, scope, element, result)
        return
    if event_subprocess.is_event_subprocess_start(rt.process, element):
        expected_scope = scope.element_id if scope is not None else None
        if rt.process.element(element.parent_id or "").parent_id == expected_scope:
            event_subprocess.trigger(rt, scope, element, result)
            return
    if scope is not None and scope.element_type == "eventBasedGateway":
        event_gateway.trigger(rt, scope, element, result)
        return
    owner = scope.element_id if scope else "the process"
    raise ValueError(f"element '{element.id}' cannot be triggered through {owner}")


def check_support(process: Process) -> list[Problem]:
    """Every element of an executable process this engine cannot run yet, with a reason."""
    problems: list[Problem] = []
    for element in process.elements.values():
        where = {"element_id": element.id, "line": element.line}
        if element.type == "boundaryEvent" and element.event is not None and element.event.kind == "compensate":
            if element.compensation_handler is None:
                problems.append(
                    Problem(
                        "compensation boundary event has no handler (an association to an isForCompensation activity)",
                        **where,
                    )
                )
            continue
        if element.type not in BEHAVIORS:
            problems.append(Problem(f"{element.type} is not supported by this engine yet", **where))
            continue
        problems.extend(_event_problems(process, element, where))
        if element.multi_instance is not None and element.type not in MULTI_INSTANCE_TYPES:
            problems.append(Problem(f"multi-instance {element.type} is not supported", **where))
        if element.is_for_compensation and element.multi_instance is not None:
            problems.append(Problem("a multi-instance compensation handler is not supported", **where))
        if element.type in SUPPORTED_EVENTS:
            kind = element.event.kind if element.event else None
            if kind not in SUPPORTED_EVENTS[element.type]:
                label = f"{kind} {element.type}" if kind else f"none {element.type}"
                problems.append(Problem(f"{label} is not supported by this engine yet", **where))
        parent = process.elements.get(element.parent_id) if element.parent_id else None
        in_event_subprocess = parent is not None and parent.triggered_by_event
        if (
            element.type == "startEvent"
            and parent is not None
            and not in_event_subprocess
            and element.event is not None
        ):
            problems.append(Problem("a start event inside a subprocess must be a none start event", **where))
        if element.type == "subProcess" and not element.triggered_by_event:
            if process.none_start_event(element.id) is None:
                problems.append(Problem("subprocess has no none start event", **where))
        if element.type in {"serviceTask", "sendTask", "businessRuleTask"} and element.task is None:
            problems.append(Problem(f"{element.type} has no job definition (type/topic/class)", **where))
        if element.type == "endEvent" and element.event and element.event.kind == "message" and element.task is None:
            pass  # a message end event without a job is a pass-through, as in Camunda 8
    if process.none_start_event(None) is None and not any(
        e.type == "startEvent" and e.parent_id is None and e.event is not None for e in process.elements.values()
    ):
        problems.append(Problem("process has no start event", element_id=process.id, line=process.line))
    return problems


def _event_problems(process: Process, element: Element, where: dict) -> list[Problem]:
    """Boundary events and event subprocesses: the shapes this engine runs."""
    problems: list[Problem] = []
    kind = element.event.kind if element.event else None
    if element.type == "boundaryEvent":
        host = process.elements.get(element.attached_to or "")
        if kind is None:
            problems.append(Problem("a boundary event needs an event definition", **where))
        elif kind == "error" and not element.cancel_activity:
            problems.append(
                Problem("an error boundary event is always interrupting (cancelActivity must not be false)", **where)
            )
        if host is not None and host.type not in BEHAVIORS and host.type != "callActivity":
            problems.append(Problem(f"boundary events on a {host.type} are not supported", **where))
    if element.type == "subProcess" and element.triggered_by_event:
        starts = process.start_events(element.id)
        if len(starts) != 1:
            problems.append(Problem("an event subprocess needs exactly one start event", **where))
        if element.incoming or element.outgoing:
            problems.append(Problem("an event subprocess has no incoming or outgoing sequence flows", **where))
    if element.type == "startEvent" and element.parent_id is None and kind in ("error", "escalation", "conditional"):
        article = "an" if kind[0] in "aeiou" else "a"
        problems.append(Problem(f"{article} {kind} start event is only allowed in an event subprocess", **where))
    if element.type == "startEvent" and kind == "error" and not element.is_interrupting:
        problems.append(Problem("an error start event is always interrupting", **where))
    if element.type == "eventBasedGateway":
        for flow_id in element.outgoing:
            target = process.elements.get(process.flows[flow_id].target) if flow_id in process.flows else None
            if target is None:
                continue
            target_kind = target.event.kind if target.event else None
            ok = (
                target.type == "intermediateCatchEvent" and target_kind in ("message", "timer", "signal", "conditional")
            ) or (target.type == "receiveTask" and target_kind == "message")
            if not ok:
                problems.append(
                    Problem(
                        f"an event-based gateway must lead to message, timer, signal or conditional catch events"
                        f" or message receive tasks, not to '{target.id}'",
                        **where,
                    )
                )
    return problems
