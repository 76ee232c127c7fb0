"""One small parse function per flow-node tag.

Each function completes the draft that process.py started (id, name, parent,
default flow, loop, vendor extensions) with what is specific to its tag.
Vendor extensions have already been read when these run, so a function can
check, for example, that a businessRuleTask got a job definition.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from .context import ElementDraft, ParseContext
from .events import _message, parse_event_definition
from .expressions import is_juel, value_expr
from .model import CalledElement, Expr, ScriptDefinition
from .xml import (
    CAMUNDA_NS,
    ZEEBE_NS,
    extension_children,
    first_bpmn_child,
    local,
    text_of,
    vendor_attr,
)

NodeParser = Callable[[ParseContext, etree._Element, ElementDraft], None]


def _event(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    draft["event"] = parse_event_definition(ctx, el)


def _start_event(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    _event(ctx, el, draft)
    draft["is_interrupting"] = el.get("isInterrupting", "true").strip().lower() != "false"


def _boundary_event(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    _event(ctx, el, draft)
    draft["attached_to"] = el.get("attachedToRef")
    draft["cancel_activity"] = el.get("cancelActivity", "true").strip().lower() != "false"


def _plain(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    """Tags with nothing of their own to read (task, gateways, service/send tasks)."""


def _user_task(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    draft.setdefault("user_task_fields", {})


def _receive_task(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    # A receive task waits for its message; without messageRef it is a plain wait state.
    if el.get("messageRef") is not None:
        draft["event"] = _message(ctx, el, el)


def _script_task(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    if draft.get("script") is not None or draft.get("task") is not None:
        return  # zeebe:script or a job (zeebe:taskDefinition, camunda:class, ...)
    if vendor_attr(el, CAMUNDA_NS, "resource"):
        ctx.problem(
            "scriptTask with an external camunda:resource script is not supported"
            " (no script execution); use a FEEL script or a service task",
            el,
        )
        return
    fmt = (el.get("scriptFormat") or "").strip()
    body = text_of(first_bpmn_child(el, "script"))
    if body is None:
        return  # validation reports a script task without a script
    result_variable = vendor_attr(el, CAMUNDA_NS, "resultVariable")
    lowered = fmt.lower()
    if lowered == "feel":
        source = body[1:].strip() if body.startswith("=") else body
        draft["script"] = ScriptDefinition(Expr(source, "feel"), result_variable)
    elif lowered in ("", "juel") and is_juel(body):
        draft["script"] = ScriptDefinition(Expr(body, "juel"), result_variable)
    elif not fmt:
        ctx.problem(
            "scriptTask without scriptFormat is not supported (no script execution);"
            " use scriptFormat 'feel' or a service task",
            el,
        )
    else:
        ctx.problem(
            f"scriptFormat '{fmt}' is not supported (no script execution); use a FEEL script or a service task",
            el,
        )


def _business_rule_task(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    if draft.get("task") is not None:
        return
    decision = vendor_attr(el, CAMUNDA_NS, "decisionRef")
    for called in extension_children(el, ZEEBE_NS):
        if local(called) == "calledDecision":
            decision = called.get("decisionId")
    named = f" (decision '{decision}')" if decision else ""
    ctx.problem(
        f"DMN decisions are not supported{named}; a businessRuleTask needs a job"
        " (zeebe:taskDefinition or camunda topic/class/expression)",
        el,
    )


def _call_activity(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    if draft.get("called_element") is None and el.get("calledElement"):
        process_id = value_expr(el.get("calledElement"))
        assert process_id is not None
        draft["called_element"] = CalledElement(process_id=process_id)


def _sub_process(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    draft["triggered_by_event"] = el.get("triggeredByEvent", "false").strip().lower() == "true"


FLOW_NODE_PARSERS: dict[str, NodeParser] = {
    "startEvent": _start_event,
    "endEvent": _event,
    "intermediateCatchEvent": _event,
    "intermediateThrowEvent": _event,
    "boundaryEvent": _boundary_event,
    "task": _plain,
    "manualTask": _plain,
    "userTask": _user_task,
    "serviceTask": _plain,
    "sendTask": _plain,
    "receiveTask": _receive_task,
    "scriptTask": _script_task,
    "businessRuleTask": _business_rule_task,
    "callActivity": _call_activity,
    "subProcess": _sub_process,
    "exclusiveGateway": _plain,
    "parallelGateway": _plain,
    "inclusiveGateway": _plain,
    "eventBasedGateway": _plain,
}

# Flow-node tags that contain a scope of their own.
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})

# Unsupported flow nodes: a placeholder Element is kept (so flows to it still
# resolve and the diagram can draw it) and, in executable processes, a Problem.
UNSUPPORTED_NODES: dict[str, str] = {
    "complexGateway": "complexGateway is not supported",
    "transaction": ("transaction is not supported (use a subProcess with error boundary events and compensation)"),
    "adHocSubProcess": "adHocSubProcess is not supported",
    "callChoreography": "callChoreography is not supported (choreographies do not execute)",
    "choreographyTask": "choreographyTask is not supported (choreographies do not execute)",
    "subChoreography": "subChoreography is not supported (choreographies do not execute)",
    "implicitThrowEvent": "implicitThrowEvent is not supported",
}
