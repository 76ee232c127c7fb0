"""bpmn:process -> Process: walks scopes, parses flow nodes and sequence flows.

Only executable processes report problems; a non-executable process is parsed
leniently (unsupported elements become placeholders) because it never runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from lxml import etree

from . import camunda7, camunda8
from .context import ElementDraft, ParseContext
from .expressions import expression_expr
from .model import (
    Element,
    MultiInstanceDefinition,
    Process,
    SequenceFlow,
    UserTaskDefinition,
)
from .nodes import CONTAINERS, FLOW_NODE_PARSERS, UNSUPPORTED_NODES
from .xml import (
    CAMUNDA_NS,
    ZEEBE_NS,
    bpmn_children,
    extension_children,
    first_bpmn_child,
    is_bpmn,
    line_of,
    local,
    text_of,
    vendor_attr,
)

# Harmless, non-executable content of a process or subprocess.
IGNORED_SCOPE_TAGS = frozenset(
    {
        "textAnnotation",
        "group",
        "dataObject",
        "dataObjectReference",
        "dataStoreReference",
        "laneSet",
        "documentation",
        "extensionElements",
        "property",
        "ioSpecification",
        "auditing",
        "monitoring",
        "performer",
        "humanPerformer",
        "potentialOwner",
        "resourceRole",
        "correlationSubscription",
        "supportedInterfaceRef",
        "ioBinding",
    }
)

# Harmless children of a flow node (besides those a parser reads).
IGNORED_NODE_TAGS = frozenset(
    {
        "documentation",
        "extensionElements",
        "incoming",
        "outgoing",
        "ioSpecification",
        "ioBinding",
        "property",
        "dataInputAssociation",
        "dataOutputAssociation",
        "dataInput",
        "dataOutput",
        "inputSet",
        "outputSet",
        "performer",
        "humanPerformer",
        "potentialOwner",
        "resourceRole",
        "rendering",
        "auditing",
        "monitoring",
        "categoryValueRef",
        "script",  # scriptTask body, read by nodes._script_task
        "multiInstanceLoopCharacteristics",
        "eventDefinitionRef",  # refused by events.parse_event_definition
    }
)


@dataclass
class _ProcessBuilder:
    drafts: dict[str, ElementDraft] = field(default_factory=dict)
    flows: dict[str, SequenceFlow] = field(default_factory=dict)
    associations: list[tuple[str, str]] = field(default_factory=list)


def parse_process(ctx: ParseContext, el: etree._Element) -> Process:
    is_executable = (el.get("isExecutable") or "").strip().lower() == "true"
    ctx.strict = is_executable
    builder = _ProcessBuilder()
    process_id = el.get("id") or f"process@line{line_of(el)}"
    if not el.get("id"):
        ctx.problem("process has no id", el)
    _walk_scope(ctx, builder, el, None)
    elements = _finish(builder)
    documentation = text_of(first_bpmn_child(el, "documentation"))
    process = Process(
        id=process_id,
        name=el.get("name"),
        is_executable=is_executable,
        elements=MappingProxyType(elements),
        flows=MappingProxyType(dict(builder.flows)),
        line=line_of(el),
        version_tag=_version_tag(el),
        candidate_starter_groups=_split(vendor_attr(el, CAMUNDA_NS, "candidateStarterGroups")),
        candidate_starter_users=_split(vendor_attr(el, CAMUNDA_NS, "candidateStarterUsers")),
        documentation=documentation[:2000] if documentation else None,
    )
    ctx.strict = True
    return process


def _version_tag(el: etree._Element) -> str | None:
    for tag in extension_children(el, ZEEBE_NS):
        if local(tag) == "versionTag" and tag.get("value"):
            return tag.get("value")
    return vendor_attr(el, CAMUNDA_NS, "versionTag")


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _walk_scope(
    ctx: ParseContext,
    builder: _ProcessBuilder,
    scope: etree._Element,
    parent_id: str | None,
) -> list[str]:
    """Parse the direct children of a process or subprocess; returns child node ids."""
    child_ids: list[str] = []
    for child in scope:
        if not is_bpmn(child):
            continue  # comments removed; vendor extensions at scope level are ignored
        tag = local(child)
        if tag in FLOW_NODE_PARSERS or tag in UNSUPPORTED_NODES:
            child_ids.append(_add_node(ctx, builder, child, parent_id))
        elif tag == "sequenceFlow":
            _add_flow(ctx, builder, child)
        elif tag == "association":
            builder.associations.append((child.get("sourceRef", ""), child.get("targetRef", "")))
        elif tag in IGNORED_SCOPE_TAGS:
            continue
        elif parent_id is not None and (tag in IGNORED_NODE_TAGS or tag == "standardLoopCharacteristics"):
            continue  # the subprocess's own children, checked by _check_node_children
        else:
            ctx.problem(f"{tag} is not supported", child)
    return child_ids


def _add_node(
    ctx: ParseContext,
    builder: _ProcessBuilder,
    el: etree._Element,
    parent_id: str | None,
) -> str:
    tag = local(el)
    node_id = el.get("id")
    if not node_id:
        node_id = f"{tag}@line{line_of(el)}"
        ctx.problem(f"{tag} has no id", el, element_id=node_id)
    ctx.register_id(node_id, el)
    draft: ElementDraft = {
        "id": node_id,
        "type": tag,
        "name": el.get("name"),
        "line": line_of(el),
        "parent_id": parent_id,
        "default_flow": el.get("default"),
        "is_for_compensation": el.get("isForCompensation", "").strip().lower() == "true",
    }
    builder.drafts[node_id] = draft
    if tag in UNSUPPORTED_NODES:
        ctx.problem(UNSUPPORTED_NODES[tag], el)
    else:
        _check_node_children(ctx, el)
        draft["multi_instance"] = _multi_instance(ctx, el)
        # The file's own platform is read last so its settings win.
        readers = (camunda7.read, camunda8.read)
        if ctx.flavour != "camunda8":
            readers = (camunda8.read, camunda7.read)
        for read in readers:
            read(ctx, el, draft)
        FLOW_NODE_PARSERS[tag](ctx, el, draft)
    if tag in CONTAINERS:
        draft["children"] = tuple(_walk_scope(ctx, builder, el, node_id))
    return node_id


def _check_node_children(ctx: ParseContext, el: etree._Element) -> None:
    for child in bpmn_children(el):
        tag = local(child)
        if tag.endswith("EventDefinition") or tag in IGNORED_NODE_TAGS:
            continue
        if tag == "standardLoopCharacteristics":
            ctx.problem(
                "standardLoopCharacteristics (loop activity) is not supported; use multi-instance or a gateway loop",
                el,
            )
        elif local(el) not in CONTAINERS:  # a subprocess's content is checked by _walk_scope
            ctx.problem(f"{tag} inside {local(el)} is not supported", el)


def _multi_instance(ctx: ParseContext, el: etree._Element) -> MultiInstanceDefinition | None:
    loop = first_bpmn_child(el, "multiInstanceLoopCharacteristics")
    if loop is None:
        return None
    for tag in (
        "loopDataInputRef",
        "inputDataItem",
        "loopDataOutputRef",
        "outputDataItem",
    ):
        if first_bpmn_child(loop, tag) is not None and not _has_vendor_collection(loop):
            ctx.problem(
                f"multi-instance {tag} (BPMN data items) is not supported;"
                " use camunda:collection or zeebe:loopCharacteristics",
                el,
            )
            break
    for tag in ("complexBehaviorDefinition",):
        if first_bpmn_child(loop, tag) is not None:
            ctx.problem(f"multi-instance {tag} is not supported", el)
    return MultiInstanceDefinition(
        sequential=loop.get("isSequential", "false").strip().lower() == "true",
        loop_cardinality=expression_expr(text_of(first_bpmn_child(loop, "loopCardinality"))),
        completion_condition=ctx.condition(el, first_bpmn_child(loop, "completionCondition")),
    )


def _has_vendor_collection(loop: etree._Element) -> bool:
    return bool(vendor_attr(loop, CAMUNDA_NS, "collection") or extension_children(loop, ZEEBE_NS))


def _add_flow(ctx: ParseContext, builder: _ProcessBuilder, el: etree._Element) -> None:
    source = (el.get("sourceRef") or "").strip()
    target = (el.get("targetRef") or "").strip()
    flow_id = el.get("id")
    if flow_id:
        ctx.register_id(flow_id, el)
    else:
        # The id is optional in the BPMN schema and Camunda 7 tests omit it.
        flow_id = f"{source}->{target}"
        suffix = 1
        while flow_id in builder.flows:
            suffix += 1
            flow_id = f"{source}->{target}#{suffix}"
    builder.flows[flow_id] = SequenceFlow(
        id=flow_id,
        source=source,
        target=target,
        name=el.get("name"),
        condition=ctx.condition(el, first_bpmn_child(el, "conditionExpression")),
        line=line_of(el),
    )


def _finish(builder: _ProcessBuilder) -> dict[str, Element]:
    """Freeze drafts: incoming/outgoing come from the flows, not <incoming> tags."""
    incoming: dict[str, list[str]] = {}
    outgoing: dict[str, list[str]] = {}
    for flow in builder.flows.values():
        outgoing.setdefault(flow.source, []).append(flow.id)
        incoming.setdefault(flow.target, []).append(flow.id)
    drafts = builder.drafts
    for source, target in builder.associations:
        for boundary, handler in ((source, target), (target, source)):
            draft = drafts.get(boundary)
            event = draft.get("event") if draft else None
            if (
                draft
                and draft["type"] == "boundaryEvent"
                and event is not None
                and event.kind == "compensate"
                and handler in drafts
            ):
                draft["compensation_handler"] = handler
    elements: dict[str, Element] = {}
    for element_id, draft in drafts.items():
        fields = dict(draft)
        user_task_fields = fields.pop("user_task_fields", None)
        if fields["type"] == "userTask":
            fields["user_task"] = UserTaskDefinition(**(user_task_fields or {}))
        fields["incoming"] = tuple(incoming.get(element_id, ()))
        fields["outgoing"] = tuple(outgoing.get(element_id, ()))
        elements[element_id] = Element(**fields)
    return elements
