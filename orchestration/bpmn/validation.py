"""Structural checks of parsed Definitions: every problem at once.

Only executable processes are checked; the others never run. Expression
syntax is not checked here: the deploy layer compiles expressions with
orchestration.feel. We only refuse what cannot possibly run; unusual but
legal shapes (a task without incoming flows, say) are allowed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .model import Definitions, Element, Problem, Process

ACTIVITY_TYPES = frozenset(
    {
        "task",
        "manualTask",
        "userTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "scriptTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
    }
)
CATCH_TYPES = frozenset({"startEvent", "intermediateCatchEvent", "boundaryEvent"})
UNCONDITIONAL_GATEWAYS = frozenset({"parallelGateway", "eventBasedGateway"})

# Static timer values must at least look right; expressions are checked on deploy.
_DURATION = r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
_DATE = (
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?(\[[A-Za-z0-9_/+-]+\])?"
)
_CRON_FIELD = r"[0-9A-Za-z*?/,#-]+"
TIMER_PATTERNS = {
    "duration": re.compile(f"^{_DURATION}$"),
    "date": re.compile(f"^{_DATE}$"),
    "cycle": re.compile(f"^(R\\d*/(({_DATE})/)?{_DURATION}(/({_DATE}))?|{_CRON_FIELD}( {_CRON_FIELD}){{4,6}})$"),
}
_TIMER_WORDS = {
    "duration": "an ISO 8601 duration",
    "date": "an ISO 8601 date-time",
    "cycle": "an ISO 8601 repeating interval or a cron expression",
}


def validate(definitions: Definitions) -> list[Problem]:
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for process in definitions.executable_processes:
        problems += _duplicate_ids(process, seen)
        problems += _check_process(process)
        for element in process.elements.values():
            for check in ELEMENT_CHECKS:
                problems += check(process, element)
    return sorted(problems, key=lambda p: p.line or 0)


def _problem(message: str, element: Element) -> Problem:
    return Problem(message, element_id=element.id, line=element.line or None)


def _duplicate_ids(process: Process, seen: dict[str, str]) -> Iterator[Problem]:
    items: list[tuple[str, int]] = [(e.id, e.line) for e in process.elements.values()]
    items += [(f.id, f.line) for f in process.flows.values()]
    for item_id, line in items:
        if item_id in seen:
            yield Problem(f"duplicate id '{item_id}'", element_id=item_id, line=line or None)
        seen[item_id] = process.id


def _check_process(process: Process) -> Iterator[Problem]:
    if not process.start_events(None):
        yield Problem(
            "executable process has no start event at the top level",
            element_id=process.id,
            line=process.line or None,
        )
    for flow in process.flows.values():
        where = {"element_id": flow.id, "line": flow.line or None}
        source = process.elements.get(flow.source)
        target = process.elements.get(flow.target)
        if source is None:
            yield Problem(f"sequenceFlow source '{flow.source}' does not exist", **where)
        if target is None:
            yield Problem(f"sequenceFlow target '{flow.target}' does not exist", **where)
        if source is None or target is None:
            continue
        if source.parent_id != target.parent_id:
            yield Problem(
                f"sequenceFlow crosses a scope boundary: '{source.id}' is in"
                f" {_scope(source)} but '{target.id}' is in {_scope(target)}",
                **where,
            )
        if source.type in UNCONDITIONAL_GATEWAYS and flow.condition is not None:
            yield Problem(
                f"sequenceFlow leaving {source.type} '{source.id}' has a condition;"
                f" conditions are not allowed after a {source.type}",
                **where,
            )


def _scope(element: Element) -> str:
    return f"subprocess '{element.parent_id}'" if element.parent_id else "the process level"


def _default_flow(process: Process, element: Element) -> Iterator[Problem]:
    if element.default_flow and element.default_flow not in element.outgoing:
        yield _problem(
            f"default flow '{element.default_flow}' is not an outgoing sequence flow of this {element.type}",
            element,
        )


def _implementation(process: Process, element: Element) -> Iterator[Problem]:
    if element.type in ("serviceTask", "sendTask") and element.task is None:
        yield _problem(
            f"{element.type} has no implementation (zeebe:taskDefinition type or camunda topic/class/expression)",
            element,
        )
    if element.type == "scriptTask" and element.script is None and element.task is None:
        yield _problem(
            "scriptTask has no script (a FEEL script, zeebe:script or zeebe:taskDefinition)",
            element,
        )
    if element.type == "callActivity" and element.called_element is None:
        yield _problem(
            "callActivity has no called element (calledElement or zeebe:calledElement processId)",
            element,
        )
    if element.multi_instance is not None:
        mi = element.multi_instance
        if mi.input_collection is None and mi.loop_cardinality is None:
            yield _problem(
                "multi-instance has neither an input collection nor a loop cardinality",
                element,
            )


def _events(process: Process, element: Element) -> Iterator[Problem]:
    event = element.event
    if event is None:
        return
    if event.kind == "timer" and event.timer is None:
        yield _problem("timer event has no timeDate, timeDuration or timeCycle value", element)
    timer = event.timer
    if timer is not None and timer.expr.is_static:
        value = timer.expr.source.strip()
        if not TIMER_PATTERNS[timer.kind].match(value):
            yield _problem(
                f"time{timer.kind.capitalize()} '{value}' is not {_TIMER_WORDS[timer.kind]}",
                element,
            )
    if event.kind == "message" and event.message_name is None and element.type in CATCH_TYPES:
        yield _problem(
            "message event has no message name (messageRef to a named bpmn:message)",
            element,
        )
    if event.kind == "signal" and event.signal_name is None:
        yield _problem(
            "signal event has no signal name (signalRef to a named bpmn:signal)",
            element,
        )
    if event.kind == "conditional" and event.condition is None:
        yield _problem("conditional event has no condition", element)
    if event.kind == "error" and element.type == "endEvent" and event.error_code is None and event.error_name is None:
        yield _problem("error end event has no error (errorRef to a bpmn:error)", element)
    if event.kind == "compensate" and event.activity_ref:
        if event.activity_ref not in process.elements:
            yield _problem(
                f"compensation refers to activity '{event.activity_ref}', which does not exist",
                element,
            )
    if event.kind == "link" and element.type == "intermediateThrowEvent":
        if not any(
            e.type == "intermediateCatchEvent"
            and e.parent_id == element.parent_id
            and e.event is not None
            and e.event.kind == "link"
            and e.event.link_name == event.link_name
            for e in process.elements.values()
        ):
            yield _problem(
                f"link event '{event.link_name}' has no matching link catch event in the same scope",
                element,
            )


def _boundary(process: Process, element: Element) -> Iterator[Problem]:
    if element.type != "boundaryEvent":
        return
    if not element.attached_to:
        yield _problem("boundaryEvent has no attachedToRef", element)
        return
    host = process.elements.get(element.attached_to)
    if host is None:
        yield _problem(
            f"boundaryEvent is attached to '{element.attached_to}', which does not exist",
            element,
        )
    elif host.type not in ACTIVITY_TYPES:
        yield _problem(
            f"boundaryEvent is attached to '{host.id}' ({host.type}), which is not an activity",
            element,
        )
    elif host.parent_id != element.parent_id:
        yield _problem(
            f"boundaryEvent is not in the same scope as its activity '{host.id}'",
            element,
        )


def _subprocess_start(process: Process, element: Element) -> Iterator[Problem]:
    if element.type != "startEvent" or element.parent_id is None:
        return
    scope = process.elements.get(element.parent_id)
    if scope is None or scope.type != "subProcess":
        return
    if scope.triggered_by_event and element.event is None:
        yield _problem(
            "the start event of an event subprocess needs an event definition (message, timer, error, signal, ...)",
            element,
        )
    if not scope.triggered_by_event and element.event is not None:
        yield _problem(
            f"an embedded subProcess can only have a none start event, not a {element.event.kind}"
            " start event (use an event subprocess)",
            element,
        )


def _event_subprocess(process: Process, element: Element) -> Iterator[Problem]:
    if element.type == "subProcess" and element.triggered_by_event:
        if not process.start_events(element.id):
            yield _problem("event subprocess has no start event", element)


ELEMENT_CHECKS: tuple[Callable[[Process, Element], Iterator[Problem]], ...] = (
    _default_flow,
    _implementation,
    _events,
    _boundary,
    _event_subprocess,
    _subprocess_start,
)
