"""Element type -> behaviour, and the deploy-time check of what this engine runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from ..bpmn.model import Element, Process, Problem
from .behaviors.base import Behavior
from .behaviors.events import EndEvent, IntermediateCatchEvent, IntermediateThrowEvent, StartEvent
from .behaviors.gateways import ExclusiveGateway, ParallelGateway
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
}

# Event kinds each event type runs today, by element type.
SUPPORTED_EVENTS: dict[str, frozenset[str | None]] = {
    "startEvent": frozenset({None, "message", "timer"}),
    "endEvent": frozenset({None, "terminate", "error", "message"}),
    "intermediateCatchEvent": frozenset({"message", "timer"}),
    "intermediateThrowEvent": frozenset({None, "message"}),
    # a receive task without a message waits to be triggered (Camunda 7 "signal execution")
    "receiveTask": frozenset({None, "message"}),
}


def behavior_for(element: Element) -> Behavior:
    try:
        return BEHAVIORS[element.type]
    except KeyError:
        raise UnsupportedElement(f"{element.type} '{element.id}' is not supported") from None


def find_error_catch(rt: Runner, ei: ElementInstanceState, code: str) -> Callable[[str, str], None] | None:
    """The boundary event or event subprocess that catches this error, if any.

    Error boundaries arrive with the next issue; for now nothing catches.
    """
    return None


def on_activated(rt: Runner, ei: ElementInstanceState, element: Element) -> None:
    """An activity started: open the waits of its boundary events (next issue)."""


def on_scope_started(rt: Runner, scope: ElementInstanceState | None) -> None:
    """A process or subprocess scope started: open its event subprocesses' start waits (next issue)."""


def route_trigger(rt: Runner, scope: ElementInstanceState | None, element: Element, result: dict) -> None:
    """A wait owned by `scope` fired for another element (boundary, event subprocess start, ...)."""
    owner = scope.element_id if scope else "the process"
    raise ValueError(f"element '{element.id}' cannot be triggered through {owner}")


def check_support(process: Process) -> list[Problem]:
    """Every element of an executable process this engine cannot run yet, with a reason."""
    problems: list[Problem] = []
    for element in process.elements.values():
        where = {"element_id": element.id, "line": element.line}
        if element.type not in BEHAVIORS:
            problems.append(Problem(f"{element.type} is not supported by this engine yet", **where))
            continue
        if element.type == "subProcess" and element.triggered_by_event:
            problems.append(Problem("event subprocesses are not supported by this engine yet", **where))
        if element.multi_instance is not None:
            problems.append(Problem("multi-instance activities are not supported by this engine yet", **where))
        if element.is_for_compensation:
            problems.append(Problem("compensation handlers are not supported by this engine yet", **where))
        if element.type in SUPPORTED_EVENTS:
            kind = element.event.kind if element.event else None
            if kind not in SUPPORTED_EVENTS[element.type]:
                label = f"{kind} {element.type}" if kind else f"none {element.type}"
                problems.append(Problem(f"{label} is not supported by this engine yet", **where))
        parent = process.elements.get(element.parent_id) if element.parent_id else None
        in_event_subprocess = parent is not None and parent.triggered_by_event
        if element.type == "startEvent" and parent is not None and not in_event_subprocess and element.event is not None:
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
