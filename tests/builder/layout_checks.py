"""Invariants every auto-laid-out diagram keeps; shared by the layout tests."""

from __future__ import annotations

from itertools import pairwise

from orchestration.bpmn.layout import EVENT_TYPES
from orchestration.bpmn.model import Bounds, Diagram, Element, Process

TOLERANCE = 0.51


def ancestors(process: Process, element: Element) -> list[str]:
    found = []
    parent = element.parent_id
    while parent is not None:
        found.append(parent)
        parent = process.elements[parent].parent_id
    return found


def _overlap(a: Bounds, b: Bounds) -> bool:
    return a.x < b.x + b.width and b.x < a.x + a.width and a.y < b.y + b.height and b.y < a.y + a.height


def _related(process: Process, a: Element, b: Element) -> bool:
    """Shapes allowed to overlap: a boundary event and its host, a scope and its content."""
    if a.attached_to == b.id or b.attached_to == a.id:
        return True
    return a.id in ancestors(process, b) or b.id in ancestors(process, a)


def on_border(element: Element, bounds: Bounds, point: tuple[float, float]) -> bool:
    x, y = point
    cx, cy = bounds.x + bounds.width / 2, bounds.y + bounds.height / 2
    rx, ry = bounds.width / 2, bounds.height / 2
    if element.type in EVENT_TYPES:
        return abs(((x - cx) ** 2 + (y - cy) ** 2) ** 0.5 - rx) <= TOLERANCE
    if element.type.endswith("Gateway"):
        return abs(abs(x - cx) / rx + abs(y - cy) / ry - 1) <= TOLERANCE / min(rx, ry)
    inside_x = bounds.x - TOLERANCE <= x <= bounds.x + bounds.width + TOLERANCE
    inside_y = bounds.y - TOLERANCE <= y <= bounds.y + bounds.height + TOLERANCE
    on_vertical = min(abs(x - bounds.x), abs(x - bounds.x - bounds.width)) <= TOLERANCE
    on_horizontal = min(abs(y - bounds.y), abs(y - bounds.y - bounds.height)) <= TOLERANCE
    return (on_vertical and inside_y) or (on_horizontal and inside_x)


def is_acyclic(process: Process) -> bool:
    """No cycle through sequence flows (a boundary event's flows count as its host's)."""
    out: dict[str, list[str]] = {}
    for flow in process.flows.values():
        source = process.elements[flow.source]
        out.setdefault(source.attached_to or source.id, []).append(flow.target)
    state: dict[str, int] = {}

    def visit(node: str) -> bool:
        state[node] = 1
        for target in out.get(node, []):
            if state.get(target) == 1 or (target not in state and not visit(target)):
                return False
        state[node] = 2
        return True

    return all(visit(n) for n in list(out) if n not in state)


def layout_problems(process: Process, diagram: Diagram) -> list[str]:
    """Every broken invariant, as a sentence (empty when the layout is fine)."""
    problems = []
    shapes = diagram.shapes
    for element in process.elements.values():
        if element.id not in shapes:
            problems.append(f"{element.id} has no shape")
    elements = [e for e in process.elements.values() if e.id in shapes]
    for i, a in enumerate(elements):
        for b in elements[i + 1 :]:
            if not _related(process, a, b) and _overlap(shapes[a.id].bounds, shapes[b.id].bounds):
                problems.append(f"{a.id} overlaps {b.id}")
    for element in elements:
        outer = [shapes[p].bounds for p in ancestors(process, element)]
        inner = shapes[element.id].bounds
        for bounds in outer:
            if not (
                bounds.x <= inner.x
                and bounds.y <= inner.y
                and inner.x + inner.width <= bounds.x + bounds.width
                and inner.y + inner.height <= bounds.y + bounds.height
            ):
                problems.append(f"{element.id} sticks out of its subprocess")
    acyclic = is_acyclic(process)
    for flow in process.flows.values():
        edge = diagram.edges.get(flow.id)
        if edge is None:
            problems.append(f"flow {flow.id} has no edge")
            continue
        source, target = process.elements[flow.source], process.elements[flow.target]
        points = edge.waypoints
        if len(points) < 2:
            problems.append(f"flow {flow.id} has fewer than two waypoints")
            continue
        if not on_border(source, shapes[source.id].bounds, points[0]):
            problems.append(f"flow {flow.id} does not start on the border of {source.id}: {points[0]}")
        if not on_border(target, shapes[target.id].bounds, points[-1]):
            problems.append(f"flow {flow.id} does not end on the border of {target.id}: {points[-1]}")
        for (x1, y1), (x2, y2) in pairwise(points):
            if x1 != x2 and y1 != y2:
                problems.append(f"flow {flow.id} has a diagonal segment")
        s, t = shapes[source.id].bounds, shapes[target.id].bounds
        if acyclic and source.parent_id == target.parent_id and not t.x > s.x + s.width:
            problems.append(f"flow {flow.id} does not go right ({source.id} -> {target.id})")
    return problems
