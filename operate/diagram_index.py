"""What the diagram needs from a BPMN file that the executable model leaves out.

The process model (orchestration.bpmn.model) keeps flow nodes, sequence flows
and the DI shapes/edges of every plane merged together. Drawing also needs
lanes, message flows, associations, text annotations, data objects, groups,
loop markers, "multiple" events and which DI plane a shape belongs to (a
collapsed subprocess is drawn on a plane of its own). `index_xml` reads those
from the same (already safely loaded) XML tree; the renderer uses them when it
has them and falls back to the model alone otherwise.

`source_for_definition` caches the parsed Definitions (with an automatic
layout for processes without DI) and the index per deployment: deployments
are immutable.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lxml import etree

from orchestration.bpmn import BpmnError
from orchestration.bpmn.layout import ensure_diagram
from orchestration.bpmn.model import Definitions, Edge
from orchestration.bpmn.parser import parse_definitions
from orchestration.bpmn.xml import BPMN_NS, BPMNDI_NS, load_xml, local

# Tags whose children are flow elements of a scope.
SCOPES = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})


@dataclass(frozen=True)
class Item:
    """One BPMN element with an id, as far as drawing is concerned."""

    id: str
    tag: str
    name: str | None = None
    parent_id: str | None = None
    event_kinds: tuple[str, ...] = ()
    attrs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # "standard", "parallel", "sequential" or None
    loop: str | None = None
    has_condition: bool = False
    text: str | None = None
    source: str | None = None
    target: str | None = None

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.attrs.get(name)
        if value is None:
            return default
        return value.strip().lower() == "true"


@dataclass(frozen=True)
class Plane:
    """One BPMNPlane: the element it draws and the ids drawn on it, in document order."""

    element_id: str | None
    ids: tuple[str, ...]
    marker_visible: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))
    # BPMNEdge messageVisibleKind by message flow id: "initiating" or "non_initiating"
    message_visible: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class XmlIndex:
    items: Mapping[str, Item]
    planes: tuple[Plane, ...]
    # BPMNEdges that draw no BPMN element (some exporters draw a data association that way,
    # e.g. from a data object to a sequence flow), by their DI id; `items` holds each as an
    # "association" and the plane lists the DI id.
    edges: Mapping[str, Edge] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class DiagramSource:
    """Everything render_svg needs for one deployment (or why it cannot draw it)."""

    definitions: Definitions | None
    index: XmlIndex | None
    error: str | None = None


_KEPT_ATTRS = (
    "cancelActivity",
    "isInterrupting",
    "attachedToRef",
    "parallelMultiple",
    "instantiate",
    "eventGatewayType",
    "triggeredByEvent",
    "isForCompensation",
    "default",
    "processRef",
    "associationDirection",
    "isCollection",
    "calledElement",
    "gatewayDirection",
    "categoryValueRef",
    "dataObjectRef",
)


def _bpmn(el: etree._Element) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS


def _text(el: etree._Element) -> str | None:
    value = "".join(el.itertext()).strip()
    return value or None


def _item(el: etree._Element, parent_id: str | None, categories: Mapping[str, str]) -> Item:
    tag = local(el)
    kinds: list[str] = []
    loop = None
    has_condition = False
    text = None
    state = None
    source = el.get("sourceRef")
    target = el.get("targetRef")
    for child in el:
        if not _bpmn(child):
            continue
        name = local(child)
        if name.endswith("EventDefinition"):
            kinds.append(name[: -len("EventDefinition")])
        elif name == "eventDefinitionRef":
            kinds.append("ref")
        elif name == "standardLoopCharacteristics":
            loop = "standard"
        elif name == "multiInstanceLoopCharacteristics":
            sequential = (child.get("isSequential") or "").strip().lower() == "true"
            loop = "sequential" if sequential else "parallel"
        elif name == "conditionExpression":
            has_condition = True
        elif name == "text":
            text = _text(child)
        elif name == "dataState" and child.get("name"):
            state = child.get("name", "").strip()
        elif name == "sourceRef" and source is None:
            source = _text(child)
        elif name == "targetRef" and target is None:
            target = _text(child)
    if tag in ("dataInputAssociation", "dataOutputAssociation"):
        owner = el.getparent().get("id") if el.getparent() is not None else None
        if tag == "dataInputAssociation":
            target = owner
        else:
            source = owner
    attrs = {name: el.get(name) for name in _KEPT_ATTRS if el.get(name) is not None}
    label = el.get("name")
    if tag == "group" and el.get("categoryValueRef"):
        label = categories.get(el.get("categoryValueRef", "").strip()) or label
    if state:  # a data object in a state is labelled "Name [State]", the state on its own line
        label = f"{label}\n[{state}]" if label else f"[{state}]"
    return Item(
        id=el.get("id", ""),
        tag=tag,
        name=label,
        parent_id=parent_id,
        event_kinds=tuple(kinds),
        attrs=MappingProxyType(attrs),
        loop=loop,
        has_condition=has_condition,
        text=text,
        source=source,
        target=target,
    )


def index_xml(root: etree._Element) -> XmlIndex:
    categories = {
        el.get("id", ""): el.get("value") or "" for el in root.iter(f"{{{BPMN_NS}}}categoryValue") if el.get("id")
    }
    items: dict[str, Item] = {}

    def walk(el: etree._Element, scope_id: str | None) -> None:
        for child in el:
            if not _bpmn(child):
                continue
            child_id = child.get("id")
            if child_id and child_id not in items:
                items[child_id] = _item(child, scope_id, categories)
            inner = child_id if local(child) in SCOPES and child_id else scope_id
            walk(child, inner)

    walk(root, None)
    planes = []
    edges: dict[str, Edge] = {}
    for diagram in root.iterchildren(f"{{{BPMNDI_NS}}}BPMNDiagram"):
        for plane in diagram.iterchildren(f"{{{BPMNDI_NS}}}BPMNPlane"):
            ids = []
            visible = {}
            message_visible = {}
            for el in plane:
                if not isinstance(el.tag, str):
                    continue
                element_id = el.get("bpmnElement")
                if not element_id:
                    unbound = _unbound_edge(el, items, edges)
                    if unbound:
                        ids.append(unbound)
                    continue
                ids.append(element_id)
                marker = el.get("isMarkerVisible")
                if marker is not None:
                    visible[element_id] = marker.strip().lower() == "true"
                kind = el.get("messageVisibleKind")
                if kind is not None:
                    message_visible[element_id] = kind.strip()
            planes.append(
                Plane(
                    element_id=plane.get("bpmnElement"),
                    ids=tuple(ids),
                    marker_visible=MappingProxyType(visible),
                    message_visible=MappingProxyType(message_visible),
                )
            )
    return XmlIndex(items=MappingProxyType(items), planes=tuple(planes), edges=MappingProxyType(edges))


def _unbound_edge(el: etree._Element, items: dict[str, Item], edges: dict[str, Edge]) -> str | None:
    """A BPMNEdge without bpmnElement, kept as an association under its DI id (None: not drawable)."""
    di_id = el.get("id")
    if local(el) != "BPMNEdge" or not di_id or di_id in items or di_id in edges:
        return None
    try:
        waypoints = tuple(
            (float(w.get("x", "")), float(w.get("y", "")))
            for w in el
            if isinstance(w.tag, str) and local(w) == "waypoint"
        )
    except ValueError:  # a waypoint without numbers: nothing sensible to draw
        return None
    if len(waypoints) < 2:
        return None
    edges[di_id] = Edge(element_id=di_id, waypoints=waypoints)
    items[di_id] = Item(id=di_id, tag="association")
    return di_id


def load_source(xml: bytes | str) -> DiagramSource:
    """Parse a BPMN document for drawing; a problem becomes `error`, never an exception."""
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        root = load_xml(data, max_bytes=len(data) + 1, max_depth=200, max_elements=50000)
        definitions, _problems = parse_definitions(root)
    except BpmnError as exc:
        problems = "; ".join(str(p) for p in exc.problems[:3])
        return DiagramSource(None, None, error=problems or "the BPMN file could not be read")
    return DiagramSource(ensure_diagram(definitions), index_xml(root))


_CACHE_SIZE = 64
_cache: OrderedDict[uuid.UUID, DiagramSource] = OrderedDict()
_cache_lock = threading.Lock()


def source_for_definition(definition) -> DiagramSource:  # noqa: ANN001 (ProcessDefinition)
    """The drawable model of a definition's deployment (cached per deployment key).

    One query (the deployment XML) on a cache miss, none on a hit.
    """
    from orchestration.models import Deployment

    key = definition.deployment_id
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    xml = Deployment.objects.values_list("xml", flat=True).get(key=key)
    source = load_source(xml)
    with _cache_lock:
        _cache[key] = source
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return source
