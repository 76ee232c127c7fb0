"""BPMN diagram interchange (BPMNShape / BPMNEdge) -> Diagram.

Shapes and edges are collected from every plane of every BPMNDiagram (a
collapsed subprocess gets its own diagram); the first one drawn for an
element wins. Child tags are matched by local name because exporters are
not consistent about the DC/DI namespaces.
"""

from __future__ import annotations

from types import MappingProxyType

from lxml import etree

from .model import Bounds, Diagram, Edge, Shape
from .xml import BPMNDI_NS, local


def _float(value: str | None) -> float:
    try:
        return float(value) if value is not None else 0.0
    except ValueError:
        return 0.0


def _child(el: etree._Element, name: str) -> etree._Element | None:
    for child in el:
        if isinstance(child.tag, str) and local(child) == name:
            return child
    return None


def _bounds(el: etree._Element | None) -> Bounds | None:
    bounds = _child(el, "Bounds") if el is not None else None
    if bounds is None:
        return None
    return Bounds(
        x=_float(bounds.get("x")),
        y=_float(bounds.get("y")),
        width=_float(bounds.get("width")),
        height=_float(bounds.get("height")),
    )


def _optional_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.strip().lower() == "true"


def _shape(el: etree._Element) -> Shape | None:
    bounds = _bounds(el)
    if bounds is None:
        return None
    return Shape(
        element_id=el.get("bpmnElement", ""),
        bounds=bounds,
        is_expanded=_optional_bool(el.get("isExpanded")),
        is_horizontal=_optional_bool(el.get("isHorizontal")),
        label=_bounds(_child(el, "BPMNLabel")),
    )


def _edge(el: etree._Element) -> Edge:
    waypoints = tuple(
        (_float(w.get("x")), _float(w.get("y"))) for w in el if isinstance(w.tag, str) and local(w) == "waypoint"
    )
    return Edge(
        element_id=el.get("bpmnElement", ""),
        waypoints=waypoints,
        label=_bounds(_child(el, "BPMNLabel")),
    )


def parse_diagram(root: etree._Element) -> Diagram:
    shapes: dict[str, Shape] = {}
    edges: dict[str, Edge] = {}
    for diagram in root.iterchildren(f"{{{BPMNDI_NS}}}BPMNDiagram"):
        for plane in diagram.iterchildren(f"{{{BPMNDI_NS}}}BPMNPlane"):
            for el in plane:
                if not isinstance(el.tag, str) or not el.get("bpmnElement"):
                    continue
                name = local(el)
                if name == "BPMNShape" and el.get("bpmnElement") not in shapes:
                    shape = _shape(el)
                    if shape is not None:
                        shapes[shape.element_id] = shape
                elif name == "BPMNEdge" and el.get("bpmnElement") not in edges:
                    edges[el.get("bpmnElement", "")] = _edge(el)
    return Diagram(shapes=MappingProxyType(shapes), edges=MappingProxyType(edges))
