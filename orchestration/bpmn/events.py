"""Event definitions (message, timer, error, ...) -> EventDefinition.

One event definition per event: BPMN "multiple" events are refused, as are
references to global event definitions (eventDefinitionRef).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from .context import ParseContext
from .expressions import value_expr
from .model import EventDefinition, TimerDefinition
from .xml import bpmn_children, event_definitions_of, first_bpmn_child, local, text_of

EventParser = Callable[[ParseContext, etree._Element, etree._Element], EventDefinition]


def _lookup_ref(
    ctx: ParseContext,
    event: etree._Element,
    definition: etree._Element,
    attribute: str,
    table: dict,
    what: str,
) -> str | None:
    ref = definition.get(attribute)
    if ref is None:
        return None
    ref = ref.strip()
    if ref not in table:
        ctx.problem(f"{attribute} '{ref}' does not name a bpmn:{what} in this file", event)
        return None
    return ref


def _message(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    ref = _lookup_ref(ctx, event, d, "messageRef", ctx.messages, "message")
    name = ctx.messages[ref] if ref else None
    if not name:
        return EventDefinition(kind="message")
    assert ref is not None
    return EventDefinition(
        kind="message",
        message_name=value_expr(name),
        correlation_key=ctx.message_keys.get(ref),
    )


_TIMER_KINDS = (
    ("timeDate", "date"),
    ("timeDuration", "duration"),
    ("timeCycle", "cycle"),
)


def _timer(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    for tag, kind in _TIMER_KINDS:
        text = text_of(first_bpmn_child(d, tag))
        if text is not None:
            expr = value_expr(text)
            assert expr is not None
            return EventDefinition(kind="timer", timer=TimerDefinition(kind, expr))  # type: ignore[arg-type]
    return EventDefinition(kind="timer")


def _error(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    ref = _lookup_ref(ctx, event, d, "errorRef", ctx.errors, "error")
    if ref is None:
        return EventDefinition(kind="error")
    code, name = ctx.errors[ref]
    message = ctx.error_messages.get(ref)
    return EventDefinition(
        kind="error",
        error_code=value_expr(code) if code else None,
        error_name=name,
        error_message=value_expr(message) if message else None,
    )


def _signal(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    ref = _lookup_ref(ctx, event, d, "signalRef", ctx.signals, "signal")
    name = ctx.signals[ref] if ref else None
    return EventDefinition(kind="signal", signal_name=value_expr(name) if name else None)


def _escalation(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    ref = _lookup_ref(ctx, event, d, "escalationRef", ctx.escalations, "escalation")
    code = ctx.escalations[ref][0] if ref else None
    return EventDefinition(kind="escalation", escalation_code=value_expr(code) if code else None)


def _compensate(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    return EventDefinition(
        kind="compensate",
        activity_ref=d.get("activityRef"),
        wait_for_completion=d.get("waitForCompletion", "true").strip().lower() != "false",
    )


def _conditional(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    return EventDefinition(
        kind="conditional",
        condition=ctx.condition(event, first_bpmn_child(d, "condition")),
    )


def _link(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
    return EventDefinition(kind="link", link_name=d.get("name"))


def _simple(kind: str) -> EventParser:
    def parse(ctx: ParseContext, event: etree._Element, d: etree._Element) -> EventDefinition:
        return EventDefinition(kind=kind)  # type: ignore[arg-type]

    return parse


EVENT_DEFINITION_PARSERS: dict[str, EventParser] = {
    "messageEventDefinition": _message,
    "timerEventDefinition": _timer,
    "errorEventDefinition": _error,
    "signalEventDefinition": _signal,
    "escalationEventDefinition": _escalation,
    "compensateEventDefinition": _compensate,
    "conditionalEventDefinition": _conditional,
    "linkEventDefinition": _link,
    "terminateEventDefinition": _simple("terminate"),
    "cancelEventDefinition": _simple("cancel"),
}


def parse_event_definition(ctx: ParseContext, event: etree._Element) -> EventDefinition | None:
    """The single event definition of an event, or None for a none event."""
    if bpmn_children(event, "eventDefinitionRef"):
        ctx.problem(
            "eventDefinitionRef (a reference to a global event definition) is not supported;"
            " define the event definition inside the event",
            event,
        )
    definitions = event_definitions_of(event)
    if not definitions:
        return None
    if len(definitions) > 1:
        kinds = ", ".join(local(d) for d in definitions)
        ctx.problem(
            f"{local(event)} has {len(definitions)} event definitions ({kinds}): multiple events are not supported",
            event,
        )
    definition = definitions[0]
    parser = EVENT_DEFINITION_PARSERS.get(local(definition))
    if parser is None:
        ctx.problem(f"{local(definition)} is not supported", event)
        return None
    return parser(ctx, event, definition)
