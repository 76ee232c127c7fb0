"""Drawing the shapes of one BPMN diagram: events, gateways, activities, pools, lanes, artifacts.

A mixin of operate.diagram's renderer (split out to keep modules short): the
methods read the renderer's model lookups (`defs`, `items`, `_elements`,
`plane_ids`, `marker_visible`) and return SVG fragments built with
operate.diagram_shapes. Text always goes through `esc`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orchestration.bpmn.model import Bounds, Definitions, Edge, Element

from . import diagram_shapes as s
from .diagram_index import Item, XmlIndex
from .diagram_shapes import n

EVENTS = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "implicitThrowEvent",
    }
)
GATEWAYS = frozenset({"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"})
TASKS = frozenset(
    {"task", "serviceTask", "userTask", "sendTask", "receiveTask", "scriptTask", "manualTask", "businessRuleTask"}
)
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
ACTIVITIES = TASKS | CONTAINERS | {"callActivity"}
FLOW_NODES = EVENTS | GATEWAYS | ACTIVITIES
DATA = frozenset({"dataObjectReference", "dataObject", "dataStoreReference", "dataInput", "dataOutput"})


@dataclass(frozen=True)
class Node:
    id: str
    kind: str
    bounds: Bounds
    label: Bounds | None
    name: str | None
    element: Element | None
    item: Item | None
    expanded: bool
    horizontal: bool


class NodeDrawing:
    """Shape drawing for the renderer (which provides these attributes and `_group`/`_grow`)."""

    defs: Definitions
    index: XmlIndex | None
    items: Mapping[str, Item]
    plane_ids: frozenset[str]
    marker_visible: Mapping[str, bool]

    @property
    def _elements(self) -> dict[str, Element]:  # provided by the renderer
        raise NotImplementedError

    def _group(self, node_id: str, kind: str, base: str, title: str, body: str) -> str:
        raise NotImplementedError

    def _grow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        raise NotImplementedError

    @property
    def _unbound_edges(self) -> Mapping[str, Edge]:
        """DI edges that draw no BPMN element (see XmlIndex.edges)."""
        return self.index.edges if self.index is not None else {}

    def _message_marker(self, edge_id: str, pts: tuple[tuple[float, float], ...]) -> str:
        """The envelope halfway along a message flow whose DI asks for it (messageVisibleKind)."""
        planes = self.index.planes if self.index is not None else ()
        kind = next((p.message_visible[edge_id] for p in planes if edge_id in p.message_visible), None)
        if kind is None:
            return ""
        cx, cy = s.midpoint(pts)
        return s.message_envelope(cx, cy, initiating=kind != "non_initiating")

    # -- shapes ----------------------------------------------------------------------

    def _node(self, node: Node) -> str:
        b = node.bounds
        self._grow(b.x, b.y, b.x + b.width, b.y + b.height)
        kind = node.kind
        if kind in EVENTS:
            body = self._event(node) + self._outer_label(node)
        elif kind in GATEWAYS:
            body = self._gateway(node) + self._outer_label(node)
        elif kind in ACTIVITIES:
            body = self._activity(node)
        elif kind == "participant":
            body = self._pool(node)
        elif kind == "lane":
            body = self._lane(node)
        elif kind == "textAnnotation":
            body = self._annotation(node)
        elif kind == "group":
            body = self._group_box(node)
        elif kind in DATA:
            body = self._data(node) + self._outer_label(node)
        else:
            body = (
                f'<rect class="bpmn-shape" x="{n(b.x)}" y="{n(b.y)}" width="{n(b.width)}" height="{n(b.height)}" '
                f'rx="6" stroke-dasharray="4 3" stroke-width="1"/>'
            )
            if node.name:
                body += s.text_block(node.name, b.x + b.width / 2, b.y, b.width - 8, valign="middle", height=b.height)
        title = f"{node.name or node.id} ({kind})"
        base = "bpmn-node" if kind in FLOW_NODES else "bpmn-artifact"
        if node.expanded:
            base += " bpmn-container"
        return self._group(node.id, kind, base, title, body)

    def _event_kinds(self, node: Node) -> tuple[str, ...]:
        if node.item is not None:
            return tuple(k for k in node.item.event_kinds if k != "ref") or (
                ("multiple",) if "ref" in node.item.event_kinds else ()
            )
        event = node.element.event if node.element else None
        return (event.kind,) if event else ()

    def _event(self, node: Node) -> str:
        b = node.bounds
        cx, cy = b.x + b.width / 2, b.y + b.height / 2
        r = min(b.width, b.height) / 2
        element, item = node.element, node.item
        dashed = False
        if node.kind == "boundaryEvent":
            cancel = element.cancel_activity if element else not (item and item.attrs.get("cancelActivity") == "false")
            dashed = not cancel
        elif node.kind == "startEvent":
            interrupting = (
                element.is_interrupting if element else not (item and item.attrs.get("isInterrupting") == "false")
            )
            dashed = not interrupting and self._in_event_subprocess(node)
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        if node.kind == "startEvent":
            out = f'<circle class="bpmn-shape" cx="{n(cx)}" cy="{n(cy)}" r="{n(r)}" stroke-width="1.5"{dash}/>'
        elif node.kind == "endEvent":
            out = f'<circle class="bpmn-shape" cx="{n(cx)}" cy="{n(cy)}" r="{n(r - 1.5)}" stroke-width="4"/>'
        else:
            out = (
                f'<circle class="bpmn-shape" cx="{n(cx)}" cy="{n(cy)}" r="{n(r)}" stroke-width="1.2"{dash}/>'
                f'<circle cx="{n(cx)}" cy="{n(cy)}" r="{n(r - 3)}" fill="none" stroke="{s.STROKE}" '
                f'stroke-width="1.2"{dash}/>'
            )
        kinds = self._event_kinds(node)
        if len(kinds) > 1:
            parallel = bool(item and item.flag("parallelMultiple"))
            kinds = ("parallelMultiple",) if parallel else ("multiple",)
        if kinds:
            scale = 2 * r / 36
            filled = node.kind in ("endEvent", "intermediateThrowEvent", "implicitThrowEvent")
            icon = s.event_icon(kinds[0], filled)
            if icon:
                out += (
                    f'<g transform="translate({n(cx - 18 * scale)} {n(cy - 18 * scale)}) scale({n(scale)})">{icon}</g>'
                )
        return out

    def _in_event_subprocess(self, node: Node) -> bool:
        parent = node.element.parent_id if node.element else node.item.parent_id if node.item else None
        if parent is None:
            return False
        host = self._elements.get(parent)
        if host is not None:
            return host.triggered_by_event
        item = self.items.get(parent)
        return bool(item and item.flag("triggeredByEvent"))

    def _gateway(self, node: Node) -> str:
        b = node.bounds
        cx, cy = b.x + b.width / 2, b.y + b.height / 2
        diamond = ((cx, b.y), (b.x + b.width, cy), (cx, b.y + b.height), (b.x, cy))
        out = f'<polygon class="bpmn-shape" points="{s.points(diamond)}" stroke-width="1.5" stroke-linejoin="round"/>'
        # BPMN DI: isMarkerVisible defaults to false; auto-laid-out gateways (no plane) show it.
        if node.kind == "exclusiveGateway" and node.id in self.plane_ids and not self.marker_visible.get(node.id):
            return out
        item = node.item
        instantiate = bool(item and item.flag("instantiate"))
        parallel = bool(item and (item.attrs.get("eventGatewayType") or "").lower() == "parallel")
        marker = s.gateway_marker(node.kind, instantiate=instantiate or parallel, parallel_events=parallel)
        scale = min(b.width, b.height) / 50
        return out + f'<g transform="translate({n(b.x)} {n(b.y)}) scale({n(scale)})">{marker}</g>'

    def _loop(self, node: Node) -> str | None:
        if node.item is not None and node.item.loop:
            return node.item.loop
        mi = node.element.multi_instance if node.element else None
        if mi is not None:
            return "sequential" if mi.sequential else "parallel"
        return None

    def _activity(self, node: Node) -> str:
        b = node.bounds
        kind = node.kind
        element, item = node.element, node.item
        triggered = (element.triggered_by_event if element else False) or bool(item and item.flag("triggeredByEvent"))
        width = "4" if kind == "callActivity" else "1.5"
        extra = ' stroke-dasharray="2 3"' if triggered else ""
        out = (
            f'<rect class="bpmn-shape" x="{n(b.x)}" y="{n(b.y)}" width="{n(b.width)}" height="{n(b.height)}" '
            f'rx="10" stroke-width="{width}"{extra}/>'
        )
        if kind == "transaction":
            out += (
                f'<rect x="{n(b.x + 3)}" y="{n(b.y + 3)}" width="{n(b.width - 6)}" height="{n(b.height - 6)}" '
                f'rx="7" fill="none" stroke="{s.STROKE}" stroke-width="1.2"/>'
            )
        icon_tag = kind
        if kind == "callActivity" and item is not None:
            called = self.items.get((item.attrs.get("calledElement") or "").strip())
            if called is not None and called.tag.startswith("global"):
                icon_tag = called.tag[len("global") :]
                icon_tag = icon_tag[0].lower() + icon_tag[1:] if icon_tag else ""
        icon = s.task_icon(icon_tag)
        if icon:
            out += f'<g transform="translate({n(b.x + 6)} {n(b.y + 5)})">{icon}</g>'
        markers = []
        loop = self._loop(node)
        if loop:
            markers.append(loop)
        if (element.is_for_compensation if element else False) or bool(item and item.flag("isForCompensation")):
            markers.append("compensation")
        if not node.expanded and (kind in CONTAINERS or (kind == "callActivity" and icon_tag == "callActivity")):
            markers.append("collapsed")
        if kind == "adHocSubProcess":
            markers.append("adhoc")
        if node.name:
            if node.expanded:
                out += s.text_block(node.name, b.x + 8, b.y + 3, b.width - 16, anchor="start")
            else:
                out += self._task_label(node.name, b, node.label, icon=bool(icon), markers=bool(markers))
        if markers:
            total = len(markers) * 14 + (len(markers) - 1) * 4
            x = b.x + (b.width - total) / 2
            y = b.y + b.height - 18
            for marker in markers:
                out += f'<g transform="translate({n(x)} {n(y)})">{s.activity_marker(marker)}</g>'
                x += 18
        return out

    def _task_label(self, name: str, b: Bounds, label: Bounds | None, *, icon: bool, markers: bool) -> str:
        """The name centred in the task, clear of the markers and of the type icon.

        Wrapped as the modeller's DI label bounds wrap it when it has them, else to the task.
        Below the icon when it fits there; else full-size lines may run beside the icon (top
        left corner) when they stay clear of it, as in the MIWG references; else smaller type.
        """
        full = b.width - 10
        widths = [full]
        longest = max((len(word) for word in name.split()), default=0) * s.CHAR_WIDTH
        if label is not None and longest <= label.width + 2 < full:
            widths.insert(0, label.width + 2)
        bottom = b.y + b.height - (18 if markers else 2)
        ceilings = (b.y + 22, b.y + 2) if icon else (b.y + 2,)
        for scale in (1.0, 0.85, 0.75):
            for width in widths:
                lines = s.wrap(name, width, scale)
                step = s.LINE_HEIGHT * scale
                total = len(lines) * step
                for ceiling in ceilings:
                    if total > bottom - ceiling:
                        continue
                    top = min(max(b.y + (b.height - total) / 2, ceiling), bottom - total)
                    if icon and not self._clear_of_icon(lines, b, top, step, scale):
                        continue
                    return s.text_block(name, b.x + b.width / 2, top, width, scale=scale)
        top = max(b.y + 2, bottom - total)  # too long for the box at any size: smallest type
        return s.text_block(name, b.x + b.width / 2, top, full, scale=0.75)

    @staticmethod
    def _clear_of_icon(lines: list[str], b: Bounds, top: float, step: float, scale: float) -> bool:
        """No centred line that starts above the icon's bottom (y+22) reaches its right edge (x+24)."""
        for i, line in enumerate(lines):
            if top + i * step >= b.y + 22:
                break
            if b.width / 2 - len(line) * s.CHAR_WIDTH * scale / 2 < 24:
                return False
        return True

    def _pool(self, node: Node) -> str:
        b = node.bounds
        out = (
            f'<rect class="bpmn-shape" x="{n(b.x)}" y="{n(b.y)}" width="{n(b.width)}" height="{n(b.height)}" '
            'stroke-width="1.5"/>'
        )
        participant = next((p for p in self.defs.participants if p.id == node.id), None)
        process_ref = (participant.process_id if participant else None) or (
            node.item.attrs.get("processRef") if node.item else None
        )
        name = node.name or ""
        if not process_ref:  # a black box pool: name in the middle
            return out + s.text_block(name, b.x + b.width / 2, b.y, b.width - 20, valign="middle", height=b.height)
        if node.horizontal:
            out += f'<path d="M{n(b.x + 30)},{n(b.y)} V{n(b.y + b.height)}" stroke="{s.STROKE}" stroke-width="1.5"/>'
            return out + s.vertical_text(name, b.x + 15, b.y + b.height / 2, b.height - 10)
        out += f'<path d="M{n(b.x)},{n(b.y + 30)} H{n(b.x + b.width)}" stroke="{s.STROKE}" stroke-width="1.5"/>'
        return out + s.text_block(name, b.x + b.width / 2, b.y, b.width - 10, valign="middle", height=30)

    def _lane(self, node: Node) -> str:
        b = node.bounds
        out = (
            f'<rect class="bpmn-shape" x="{n(b.x)}" y="{n(b.y)}" width="{n(b.width)}" height="{n(b.height)}" '
            'stroke-width="1"/>'
        )
        if not node.name:
            return out
        if node.horizontal:
            return out + s.vertical_text(node.name, b.x + 15, b.y + b.height / 2, b.height - 10)
        return out + s.text_block(node.name, b.x + b.width / 2, b.y, b.width - 10, valign="middle", height=30)

    def _annotation(self, node: Node) -> str:
        b = node.bounds
        out = (
            f'<rect x="{n(b.x)}" y="{n(b.y)}" width="{n(b.width)}" height="{n(b.height)}" fill="#fff" '
            'fill-opacity="0.01" stroke="none"/>'
            f'<path class="bpmn-shape" d="M{n(b.x + 10)},{n(b.y)} H{n(b.x)} V{n(b.y + b.height)} H{n(b.x + 10)}" '
            'fill="none" stroke-width="1"/>'
        )
        text = node.item.text if node.item else None
        if text:
            out += s.text_block(text, b.x + 5, b.y + 3, max(b.width - 8, 40), anchor="start")
        return out

    def _group_box(self, node: Node) -> str:
        b = node.bounds
        out = (
            f'<rect class="bpmn-shape" x="{n(b.x)}" y="{n(b.y)}" width="{n(b.width)}" height="{n(b.height)}" '
            'rx="10" fill="none" style="fill:none" stroke-width="1.2" stroke-dasharray="8 3 1 3"/>'
        )
        if node.name:
            if node.label is not None:
                out += self._label_in(node.name, node.label)
            else:
                out += s.text_block(node.name, b.x + b.width / 2, b.y + 3, b.width - 10)
        return out

    def _data(self, node: Node) -> str:
        b = node.bounds
        if node.kind == "dataStoreReference":
            return s.data_store(b.x, b.y, b.width, b.height)
        collection = False
        if node.item is not None:
            ref = self.items.get((node.item.attrs.get("dataObjectRef") or "").strip())
            collection = node.item.flag("isCollection") or bool(ref and ref.flag("isCollection"))
        arrow = {"dataInput": "input", "dataOutput": "output"}.get(node.kind, "")
        return s.data_object(b.x, b.y, b.width, b.height, collection=collection, arrow=arrow)

    # -- labels ----------------------------------------------------------------------

    def _label_in(self, text: str, label: Bounds) -> str:
        """Text in its DI label bounds, wrapped to their width as the modeller wrapped it.

        Without font metrics the width per character is an estimate, so the text may take a
        little more width (up to 24) where that keeps it within the lines the bounds hold.
        """
        lines = max(1, round(label.height / s.LINE_HEIGHT))
        longest = max((len(word) for word in text.split()), default=0) * s.CHAR_WIDTH
        width = label.width + 2
        for extra in (2, 8, 16, 24):
            width = label.width + extra
            if len(s.wrap(text, width)) <= lines and longest <= width:  # and no word split
                break
        width = max(width, 40)
        self._grow(label.x, label.y, label.x + label.width, label.y + label.height)
        return s.text_block(text, label.x + label.width / 2, label.y, width)

    def _outer_label(self, node: Node) -> str:
        if not node.name:
            return ""
        if node.label is not None and node.label.width > 0:
            return self._label_in(node.name, node.label)
        b = node.bounds
        lines = len(s.wrap(node.name, 100))
        self._grow(b.x + b.width / 2 - 50, b.y, b.x + b.width / 2 + 50, b.y + b.height + 6 + lines * s.LINE_HEIGHT)
        return s.text_block(node.name, b.x + b.width / 2, b.y + b.height + 4, 100)
