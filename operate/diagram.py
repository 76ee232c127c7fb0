"""Server-rendered BPMN diagrams: Definitions (+ DI) -> a standalone SVG string.

`render_svg` draws one DI plane (the one showing `process_id`, else the
first) with the standard BPMN shapes and markers, and optional overlays:

    overlays = {element_id: {"active": n, "incidents": n, "completed": n,
                             "cancelled": n, "taken": bool, "compensated": bool,
                             "mi": "3/10"}}

or, for the duration heatmap (operate.heatmap), {element_id: {"heat": 1..5,
"heat_text": "1.2 s", "note": "median 1.2 s · p95 4.5 s · 312 completed"}}: the
step colours the shape's fill, the text is a badge and the note joins the <title>;

plus `taken_flows`, the ids of sequence flows a token went through.

Safe to inline in a page: every text is escaped, ids are only ever written in
quoted attributes, and the output holds no script or event attribute.
Every drawn element is a `<g id="el-<id>" data-element-id="<id>">` with a
`<title>`; flow nodes are wrapped in `<a href="?element=<id>">` so a click
opens their details on the server (no JavaScript needed).

What the executable model does not keep (lanes, message flows, annotations,
data objects, groups, loops, multiple events, DI planes) comes from an
`XmlIndex` (operate.diagram_index); without one those are simply not drawn.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping
from typing import Any
from urllib.parse import quote

from orchestration.bpmn.model import Bounds, Definitions, Element

from . import diagram_shapes as s
from .diagram_index import DiagramSource, Item, XmlIndex
from .diagram_nodes import ACTIVITIES, CONTAINERS, FLOW_NODES, Node, NodeDrawing
from .diagram_shapes import esc, n
from .heatmap import HEAT_FILLS

__all__ = ["render_svg", "render_source", "DiagramSource"]

MARGIN = 30

STYLE = """
.bpmn-shape{fill:#fff;stroke:#22242a}
.bpmn-label{font:11px "Helvetica Neue",Arial,sans-serif;fill:#22242a}
.bpmn-edge-line{fill:none;stroke:#22242a;stroke-width:1.3;stroke-linejoin:round}
.bpmn-pool>.bpmn-shape,.bpmn-lane>.bpmn-shape{fill:none;stroke-width:1.5}
.bpmn-container>.bpmn-shape{fill:#fff;fill-opacity:.85}
.bpmn-has-path .bpmn-node:not(.bpmn-taken):not(.bpmn-active):not(.bpmn-incident){opacity:.5}
.bpmn-has-path .bpmn-seq:not(.bpmn-taken){opacity:.45}
.bpmn-taken>.bpmn-shape{stroke:#1a7f37}
.bpmn-seq.bpmn-taken .bpmn-edge-line{stroke:#1a7f37;stroke-width:2.6}
.bpmn-active>.bpmn-shape{fill:#ddeaff;stroke:#1d6fd8;stroke-width:3}
.bpmn-incident>.bpmn-shape{fill:#ffe9e9;stroke:#d1242f;stroke-width:3.5}
.bpmn-compensated>.bpmn-shape{fill:#fff3cd;stroke:#9a6700;stroke-dasharray:6 3}
.bpmn-terminated>.bpmn-shape{fill:#eaeef2;stroke:#57606a;stroke-width:2.5;stroke-dasharray:4 3}
.bpmn-selected>.bpmn-shape{stroke-width:4;stroke:#6f42c1}
.bpmn-badge rect{stroke:#fff;stroke-width:1.5}
.bpmn-badge text{font:bold 11px Arial,sans-serif;fill:#fff}
.bpmn-badge-active rect{fill:#1d6fd8}.bpmn-badge-incidents rect{fill:#d1242f}
.bpmn-badge-completed rect{fill:#1a7f37}.bpmn-badge-cancelled rect{fill:#6e7781}
.bpmn-badge-mi rect{fill:#24292f}.bpmn-badge-compensated rect{fill:#9a6700}
a.bpmn-link{cursor:pointer}a.bpmn-link:hover>.bpmn-node>.bpmn-shape{stroke:#6f42c1}
.bpmn-badge-duration rect{fill:#fff;stroke:#57606a;stroke-width:1}
.bpmn-badge-duration text{fill:#22242a;font-weight:normal}
""" + "".join(f".bpmn-heat-{step}>.bpmn-shape{{fill:{fill};fill-opacity:1}}" for step, fill in enumerate(HEAT_FILLS, 1))


def render_source(source: DiagramSource, process_id: str | None = None, **kwargs: Any) -> str:
    """render_svg for a cached DiagramSource (definitions + XML index)."""
    if source.definitions is None:
        raise ValueError(source.error or "no diagram")
    return render_svg(source.definitions, process_id, index=source.index, **kwargs)


def render_svg(
    definitions: Definitions,
    process_id: str | None = None,
    overlays: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    index: XmlIndex | None = None,
    taken_flows: Collection[str] = (),
    selected: str | None = None,
    counts: bool = False,
    links: bool = True,
    dom_prefix: str = "",
    link_query: str = "",
) -> str:
    """The diagram as an SVG document string.

    `counts` shows completed/cancelled badges too (the process page);
    otherwise only tokens, incidents and multi-instance progress are badged.
    `link_query` (already url-encoded, e.g. "overlay=duration") is kept in the element links.
    """
    return _Renderer(
        definitions, index, overlays or {}, frozenset(taken_flows), selected, counts, links, dom_prefix, link_query
    ).run(process_id)


class _Renderer(NodeDrawing):
    def __init__(
        self,
        definitions: Definitions,
        index: XmlIndex | None,
        overlays: Mapping[str, Mapping[str, Any]],
        taken_flows: frozenset[str],
        selected: str | None,
        counts: bool,
        links: bool,
        prefix: str,
        link_query: str = "",
    ) -> None:
        self.defs = definitions
        self.index = index
        self.items: Mapping[str, Item] = index.items if index else {}
        self.overlays = overlays
        self.taken = taken_flows | {k for k, v in overlays.items() if v.get("taken") and k not in self._elements}
        self.selected = selected
        self.counts = counts
        self.links = links
        self.link_query = link_query
        self.prefix = prefix
        self.marker_visible: Mapping[str, bool] = {}
        self.plane_ids: frozenset[str] = frozenset()
        self.extent = [math.inf, math.inf, -math.inf, -math.inf]

    # -- what to draw ----------------------------------------------------------------

    @property
    def _elements(self) -> dict[str, Element]:
        cached = getattr(self, "_element_cache", None)
        if cached is None:
            cached = {}
            for process in self.defs.processes:
                cached.update(process.elements)
            self._element_cache = cached
        return cached

    def _drawn_ids(self, process_id: str | None) -> list[str]:
        diagram = self.defs.diagram
        planes = self.index.planes if self.index else ()
        in_planes = {i for p in planes for i in p.ids}
        extra = [i for i in (*diagram.shapes, *diagram.edges) if i not in in_planes]
        if planes:
            plane = planes[0]
            if process_id is not None:
                wanted = self._process_ids(process_id)
                plane = next((p for p in planes if wanted.intersection(p.ids)), None)
                if plane is None:  # drawn by the auto-layout only
                    return [i for i in extra if i in wanted]
            self.marker_visible = plane.marker_visible
            self.plane_ids = frozenset(plane.ids)
            return list(dict.fromkeys(plane.ids))
        # No plane information: every shape, except the content of collapsed subprocesses.
        ids = list(dict.fromkeys((*diagram.shapes, *diagram.edges)))
        return [i for i in ids if not self._inside_collapsed(i)]

    def _process_ids(self, process_id: str) -> set[str]:
        wanted = {process_id}
        for process in self.defs.processes:
            if process.id == process_id:
                wanted.update(process.elements)
                wanted.update(process.flows)
        wanted.update(p.id for p in self.defs.participants if p.process_id == process_id)
        return wanted

    def _inside_collapsed(self, element_id: str) -> bool:
        element = self._elements.get(element_id)
        parent = element.parent_id if element else None
        while parent is not None:
            shape = self.defs.diagram.shapes.get(parent)
            if shape is not None and shape.is_expanded is False:
                return True
            parent_element = self._elements.get(parent)
            parent = parent_element.parent_id if parent_element else None
        return False

    def _kind(self, element_id: str) -> str | None:
        element = self._elements.get(element_id)
        if element is not None:
            return element.type
        item = self.items.get(element_id)
        if item is not None:
            return item.tag
        if any(p.id == element_id for p in self.defs.participants):
            return "participant"
        for process in self.defs.processes:
            if element_id in process.flows:
                return "sequenceFlow"
        return None

    def _nodes(self, ids: Iterable[str]) -> list[Node]:
        nodes = []
        shapes = self.defs.diagram.shapes
        drawn = set(ids)
        for element_id in ids:
            shape = shapes.get(element_id)
            kind = self._kind(element_id)
            if shape is None or kind is None or kind == "sequenceFlow":
                continue
            element = self._elements.get(element_id)
            item = self.items.get(element_id)
            name = element.name if element else item.name if item else None
            if kind == "participant" and name is None:
                name = next((p.name for p in self.defs.participants if p.id == element_id), None)
            expanded = self._expanded(element_id, kind, shape.bounds, shape.is_expanded, drawn)
            nodes.append(
                Node(
                    id=element_id,
                    kind=kind,
                    bounds=shape.bounds,
                    label=shape.label,
                    name=name,
                    element=element,
                    item=item,
                    expanded=expanded,
                    horizontal=shape.is_horizontal is not False,
                )
            )
        return nodes

    def _expanded(self, element_id: str, kind: str, b: Bounds, flag: bool | None, drawn: set[str]) -> bool:
        if kind not in CONTAINERS and kind != "callActivity":
            return False
        if flag is not None:
            return flag
        # No isExpanded: expanded when some child is drawn inside it on this plane.
        shapes = self.defs.diagram.shapes
        for child_id, child in self._elements.items():
            if child.parent_id == element_id and child_id in drawn and child_id in shapes:
                return True
        for item in self.items.values():
            if item.parent_id == element_id and item.id in drawn and item.id in shapes:
                return True
        return kind in CONTAINERS and b.width > 200 and b.height > 130

    # -- output ----------------------------------------------------------------------

    def run(self, process_id: str | None) -> str:
        ids = self._drawn_ids(process_id)
        nodes = self._nodes(ids)
        by_kind: dict[int, list[Node]] = {}
        for node in nodes:
            by_kind.setdefault(self._layer(node), []).append(node)
        containers = sorted(by_kind.get(2, []), key=lambda nd: -(nd.bounds.width * nd.bounds.height))
        parts = []
        # Containers under their content, connections over shapes, boundary events on top.
        for node in by_kind.get(0, []) + by_kind.get(1, []) + containers + by_kind.get(3, []) + by_kind.get(4, []):
            parts.append(self._node(node))
        edges = [self._edge(i) for i in ids if i in self.defs.diagram.edges or i in self._unbound_edges]
        parts.extend(e for e in edges if e)
        for node in by_kind.get(5, []):
            parts.append(self._node(node))
        badges = [self._badges(node) for node in nodes if node.id in self.overlays]
        x0, y0, x1, y1 = self.extent
        if x0 == math.inf:
            x0, y0, x1, y1 = 0.0, 0.0, 200.0, 100.0
        x0, y0, x1, y1 = x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN
        root_class = "bpmn-diagram"
        if (
            any(v.get("taken") or v.get("active") or v.get("incidents") for v in self.overlays.values())
            and not self.counts
        ):
            root_class += " bpmn-has-path"
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="{root_class}" viewBox="{n(x0)} {n(y0)} {n(x1 - x0)} '
            f'{n(y1 - y0)}" width="{n(x1 - x0)}" height="{n(y1 - y0)}" role="img" aria-label="BPMN diagram">'
            f"<style>{STYLE}</style>{s.marker_defs(self.prefix)}"
            + "".join(parts)
            + f'<g class="bpmn-overlays" pointer-events="none">{"".join(badges)}</g></svg>'
        )

    def _layer(self, node: Node) -> int:
        if node.kind == "participant":
            return 0
        if node.kind == "lane":
            return 1
        if node.expanded:
            return 2
        if node.kind == "group":
            return 3
        if node.kind == "boundaryEvent":
            return 5
        return 4

    def _grow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        e = self.extent
        e[0], e[1], e[2], e[3] = min(e[0], x0), min(e[1], y0), max(e[2], x1), max(e[3], y1)

    def _classes(self, node_id: str, base: str) -> str:
        classes = [base]
        overlay = self.overlays.get(node_id, {})
        if overlay.get("active"):
            classes.append("bpmn-active")
        if overlay.get("incidents"):
            classes.append("bpmn-incident")
        if overlay.get("taken") or (overlay.get("completed") and not self.counts):
            classes.append("bpmn-taken")
        if overlay.get("compensated"):
            classes.append("bpmn-compensated")
        if not self.counts and overlay.get("cancelled") and not overlay.get("completed") and not overlay.get("active"):
            classes.append("bpmn-terminated")  # one instance: a token was cancelled here and none went on
        if overlay.get("heat"):
            classes.append(f"bpmn-heat bpmn-heat-{int(overlay['heat'])}")
        if node_id in self.taken:
            classes.append("bpmn-taken")
        if self.selected == node_id:
            classes.append("bpmn-selected")
        return " ".join(dict.fromkeys(classes))

    def _group(self, node_id: str, kind: str, base: str, title: str, body: str) -> str:
        note = self.overlays.get(node_id, {}).get("note")
        if note:
            title = f"{title}\n{note}"
        g = (
            f'<g id="{esc(self.prefix)}el-{esc(node_id)}" data-element-id="{esc(node_id)}" '
            f'class="{self._classes(node_id, base)} bpmn-{esc(kind)}"><title>{esc(title)}</title>{body}</g>'
        )
        if self.links and kind in FLOW_NODES:
            href = "?element=" + quote(node_id, safe="") + (f"&{self.link_query}" if self.link_query else "")
            return f'<a class="bpmn-link" href="{esc(href)}">{g}</a>'
        return g

    # -- edges -----------------------------------------------------------------------

    def _edge(self, edge_id: str) -> str:
        edge = self.defs.diagram.edges.get(edge_id) or self._unbound_edges[edge_id]
        pts = edge.waypoints
        if len(pts) < 2:
            return ""
        kind = self._kind(edge_id) or "association"
        flow = None
        for process in self.defs.processes:
            flow = process.flows.get(edge_id) or flow
        item = self.items.get(edge_id)
        for x, y in pts:
            self._grow(x, y, x, y)
        d = "M" + " L".join(f"{n(x)},{n(y)}" for x, y in pts)
        taken = edge_id in self.taken
        suffix = "-taken" if taken else ""
        extra = ""
        base = "bpmn-edge"
        attrs = ""
        p = self.prefix
        if kind == "sequenceFlow":
            base += " bpmn-seq"
            attrs = f' marker-end="url(#{p}seq{suffix})"'
            source_id = flow.source if flow else item.source if item else None
            source_kind = self._kind(source_id) if source_id else None
            conditional = (flow is not None and flow.condition is not None) or bool(item and item.has_condition)
            if conditional and source_kind in ACTIVITIES:
                attrs += f' marker-start="url(#{p}cond{suffix})"'
            if source_id and self._default_of(source_id) == edge_id:
                extra = self._slash(pts)
        elif kind == "messageFlow":
            attrs = f' stroke-dasharray="8 5" marker-start="url(#{p}msg-start)" marker-end="url(#{p}msg-end)"'
            extra = self._message_marker(edge_id, pts)
        elif kind in ("dataInputAssociation", "dataOutputAssociation"):
            attrs = f' stroke-dasharray="1.5 3.5" stroke-linecap="round" marker-end="url(#{p}open)"'
        else:  # association
            attrs = ' stroke-dasharray="1.5 3.5" stroke-linecap="round"'
            direction = (item.attrs.get("associationDirection") if item else None) or "None"
            if direction in ("One", "Both"):
                attrs += f' marker-end="url(#{p}open)"'
            if direction == "Both":
                attrs += f' marker-start="url(#{p}open)"'
        body = f'<path class="bpmn-edge-line" d="{d}"{attrs}/>{extra}'
        name = (flow.name if flow else None) or (item.name if item else None)
        if name:
            if edge.label is not None and edge.label.width > 0:
                body += self._label_in(name, edge.label)
            else:
                mid = len(pts) // 2
                (ax, ay), (bx, by) = pts[mid - 1], pts[mid]
                body += s.text_block(name, (ax + bx) / 2, (ay + by) / 2 - 16, 90)
        title = f"{name or edge_id} ({kind})"
        return self._group(edge_id, kind, base, title, body)

    def _default_of(self, source_id: str) -> str | None:
        element = self._elements.get(source_id)
        if element is not None:
            return element.default_flow
        item = self.items.get(source_id)
        return item.attrs.get("default") if item else None

    def _slash(self, pts: tuple[tuple[float, float], ...]) -> str:
        (x0, y0), (x1, y1) = pts[0], pts[1]
        length = math.hypot(x1 - x0, y1 - y0) or 1.0
        ux, uy = (x1 - x0) / length, (y1 - y0) / length
        cx, cy = x0 + ux * 12, y0 + uy * 12
        # a short stroke at 45 degrees across the flow
        vx, vy = (ux - uy) / math.sqrt(2), (uy + ux) / math.sqrt(2)
        return (
            f'<path class="bpmn-default-marker" d="M{n(cx - vx * 6)},{n(cy - vy * 6)} '
            f'L{n(cx + vx * 6)},{n(cy + vy * 6)}" stroke="{s.STROKE}" stroke-width="1.5"/>'
        )

    # -- overlays --------------------------------------------------------------------

    def _badges(self, node: Node) -> str:
        overlay = self.overlays.get(node.id, {})
        b = node.bounds
        out = []
        bottom = b.y + b.height
        x = b.x - 6
        if overlay.get("active"):
            text = str(overlay["active"])
            out.append(s.badge(x, bottom, text, "bpmn-badge-active"))
            x += s.badge_width(text) + 2
        if overlay.get("incidents"):
            text = str(overlay["incidents"])
            out.append(s.badge(x, bottom, text, "bpmn-badge-incidents"))
        top_items = []
        if overlay.get("mi"):
            top_items.append((str(overlay["mi"]), "bpmn-badge-mi"))
        if self.counts and overlay.get("completed"):
            top_items.append((str(overlay["completed"]), "bpmn-badge-completed"))
        if self.counts and overlay.get("cancelled"):
            top_items.append((str(overlay["cancelled"]), "bpmn-badge-cancelled"))
        if overlay.get("compensated"):
            top_items.append(("\u21ba", "bpmn-badge-compensated"))
        if overlay.get("heat_text"):
            top_items.append((str(overlay["heat_text"]), "bpmn-badge-duration"))
        x = b.x + b.width + 6
        for text, cls in reversed(top_items):
            x -= s.badge_width(text)
            out.append(s.badge(x, b.y, text, cls))
            x -= 2
        self._grow(b.x - 6, b.y - 9, b.x + b.width + 6, bottom + 9)
        return "".join(out)
