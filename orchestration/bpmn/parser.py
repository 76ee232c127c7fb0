"""parse_bpmn: untrusted XML bytes -> validated, immutable Definitions.

Layout: xml.py loads the document safely; this module reads the
definitions level (global messages/errors/signals/escalations,
collaboration, processes, DI); process.py and nodes.py read processes;
camunda7.py / camunda8.py read vendor extensions; validation.py checks
the structure. Every problem is collected before anything is raised.
"""

from __future__ import annotations

from types import MappingProxyType

from lxml import etree

from .camunda8 import collect_forms
from .context import ParseContext
from .di import parse_diagram
from .errors import BpmnError
from .expressions import value_expr
from .model import Definitions, Participant, Problem
from .process import parse_process
from .validation import validate
from .xml import (
    BPMN_NS,
    CAMUNDA_NS,
    MODELER_NS,
    ZEEBE_NS,
    bpmn_children,
    extension_children,
    line_of,
    load_xml,
    local,
    vendor_attr,
)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024


def parse_bpmn(
    data: bytes | str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = 200,
    max_elements: int = 20000,
) -> Definitions:
    """Parse and validate a BPMN 2.0 document; raise BpmnError listing every problem."""
    root = load_xml(data, max_bytes=max_bytes, max_depth=max_depth, max_elements=max_elements)
    definitions, problems = parse_definitions(root)
    problems += _new_problems(problems, validate(definitions))
    if problems:
        raise BpmnError(sorted(problems, key=lambda p: p.line or 0))
    return definitions


def _new_problems(parsed: list[Problem], checked: list[Problem]) -> list[Problem]:
    """Validation problems not already explained by a parse problem on the same element."""
    refused = {(p.element_id, p.line) for p in parsed if p.element_id}
    return [p for p in checked if not p.element_id or (p.element_id, p.line) not in refused]


def parse_definitions(root: etree._Element) -> tuple[Definitions, list[Problem]]:
    """Read a parsed document into Definitions, without structural validation."""
    if root.tag != f"{{{BPMN_NS}}}definitions":
        found = etree.QName(root)
        where = f" in namespace {found.namespace}" if found.namespace else " (no namespace)"
        raise BpmnError(
            [
                Problem(
                    f"root element must be definitions in the BPMN 2.0 namespace {BPMN_NS},"
                    f" found '{found.localname}'{where}",
                    line=line_of(root),
                )
            ]
        )
    ctx = ParseContext(
        flavour=detect_flavour(root),
        forms=collect_forms(root),
        expression_language=root.get("expressionLanguage"),
    )
    _read_globals(ctx, root)
    participants = []
    for collaboration in bpmn_children(root, "collaboration"):
        for participant in bpmn_children(collaboration, "participant"):
            participants.append(
                Participant(
                    id=participant.get("id", ""),
                    name=participant.get("name"),
                    process_id=participant.get("processRef"),
                )
            )
    processes = tuple(parse_process(ctx, el) for el in bpmn_children(root, "process"))
    definitions = Definitions(
        id=root.get("id"),
        target_namespace=root.get("targetNamespace"),
        exporter=root.get("exporter"),
        exporter_version=root.get("exporterVersion"),
        flavour=ctx.flavour,
        processes=processes,
        participants=tuple(participants),
        messages=MappingProxyType(dict(ctx.messages)),
        errors=MappingProxyType(dict(ctx.errors)),
        signals=MappingProxyType(dict(ctx.signals)),
        escalations=MappingProxyType(dict(ctx.escalations)),
        diagram=parse_diagram(root),
    )
    return definitions, ctx.problems


def detect_flavour(root: etree._Element) -> str:
    """camunda8 if zeebe: is used or the modeler says Camunda Cloud; camunda7 if camunda: is."""
    used: set[str | None] = set()
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        used.add(etree.QName(el).namespace)
        for name in el.attrib:
            if name.startswith("{"):
                used.add(name[1:].split("}", 1)[0])
    platform = (root.get(f"{{{MODELER_NS}}}executionPlatform") or "").strip()
    if ZEEBE_NS in used or platform == "Camunda Cloud":
        return "camunda8"
    if used.intersection(CAMUNDA_NS) or platform == "Camunda Platform":
        return "camunda7"
    return "bpmn"


def _read_globals(ctx: ParseContext, root: etree._Element) -> None:
    for el in bpmn_children(root):
        element_id = el.get("id")
        if not element_id:
            continue
        tag = local(el)
        if tag == "message":
            ctx.messages[element_id] = (el.get("name") or "").strip()
            for subscription in extension_children(el, ZEEBE_NS):
                key = subscription.get("correlationKey")
                if local(subscription) == "subscription" and key:
                    ctx.message_keys[element_id] = value_expr(key.strip())  # type: ignore[assignment]
        elif tag == "error":
            ctx.errors[element_id] = (
                _strip(el.get("errorCode")),
                _strip(el.get("name")),
            )
            message = vendor_attr(el, CAMUNDA_NS, "errorMessage") or el.get("errorMessage")
            if message:
                ctx.error_messages[element_id] = message
        elif tag == "signal":
            ctx.signals[element_id] = (el.get("name") or "").strip()
        elif tag == "escalation":
            ctx.escalations[element_id] = (
                _strip(el.get("escalationCode")),
                _strip(el.get("name")),
            )


def _strip(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None
