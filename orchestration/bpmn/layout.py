"""Automatic left-to-right layout for processes that carry no diagram (DI).

Pure Python, no Django. A layered (Sugiyama style) layout, one scope at a
time, innermost first so an expanded subprocess is sized by its content:

1. back edges are found with a DFS from the start events and left out of
   ranking; every other flow goes from a lower to a higher column;
2. each node's column is its longest path from the sources; a flow that spans
   several columns gets a dummy node per column it crosses;
3. nodes are ordered within their column by barycentre sweeps (the order with
   the fewest crossings wins);
4. vertical positions: each sweep pulls a node towards its neighbours and an
   isotonic regression keeps the column order and the spacing;
5. flows are routed orthogonally: right-middle of the source, one vertical
   segment in each gap between columns, left-middle of the target. Back edges
   go above the columns they span; boundary events sit on the bottom border of
   their host and their flows leave downwards. A second flow between the same
   two nodes bends around below them (above when that side is taken).

Event subprocesses are placed in a row under their scope. The output only
depends on the model (no set or hash ordering), so it is deterministic.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from itertools import pairwise
from types import MappingProxyType

from .model import Bounds, Definitions, Diagram, Edge, Element, Process, Shape

TASK_SIZE = (100, 80)
EVENT_SIZE = (36, 36)
GATEWAY_SIZE = (50, 50)
COLUMN_GAP = 50  # tasks are 150 px apart
ROW_GAP = 50
DUMMY_GAP = 25
PADDING = 30  # inside an expanded subprocess
BOUNDARY_STEP = 46  # between boundary events on one host
BOUNDARY_DROP = 18  # a boundary event sticks out this far under its host
LANE_STEP = 15  # between parallel back edges
BACK_INSET = 12  # back edges leave and enter columns this close to them
TRACK_STEP = 10  # between vertical segments of different sources in one gap
ORIGIN = (150, 80)
SWEEPS = 4

CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
EVENT_TYPES = frozenset(
    {
        "startEvent",
        "endEvent",
        "intermediateCatchEvent",
        "intermediateThrowEvent",
        "boundaryEvent",
        "implicitThrowEvent",
    }
)

Point = tuple[float, float]


@dataclass
class _Node:
    key: str
    seq: tuple[int, int, int]  # initial order: discovery, dummy flag, flow index
    width: int = 0
    height: int = 0
    below: int = 0  # room under the node for its boundary events
    dummy: bool = False
    rank: int = 0
    x: float = 0.0  # left
    y: float = 0.0  # centre

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass
class _Link:
    """A layered edge between adjacent columns (part of a flow's chain)."""

    source: str
    target: str
    offset: float = 0.0  # wanted target y minus source y (boundary flows go below)
    bias: float = 0.0  # order bias: boundary flows prefer positions under the host


@dataclass
class _Block:
    """A laid-out scope in its own coordinates (top left at 0, 0)."""

    width: float = 0.0
    height: float = 0.0
    shapes: dict[str, Bounds] = field(default_factory=dict)
    edges: dict[str, list[Point]] = field(default_factory=dict)

    def move(self, dx: float, dy: float) -> None:
        self.shapes = {k: _shift(b, dx, dy) for k, b in self.shapes.items()}
        self.edges = {k: [(x + dx, y + dy) for x, y in pts] for k, pts in self.edges.items()}


def _shift(b: Bounds, dx: float, dy: float) -> Bounds:
    return Bounds(b.x + dx, b.y + dy, b.width, b.height)


def layout(process: Process) -> Diagram:
    """Shapes and edges for every element and flow of `process` (ignores any DI)."""
    block = _ScopeLayout(process, None).run()
    block.move(*ORIGIN)
    shapes = {
        element_id: Shape(
            element_id=element_id,
            bounds=bounds,
            is_expanded=True if _is_expanded(process, element_id) else None,
        )
        for element_id, bounds in block.shapes.items()
    }
    edges = dict(block.edges)
    for flow in process.flows.values():
        if flow.id not in edges and flow.source in shapes and flow.target in shapes:
            edges[flow.id] = _straight(process, shapes[flow.source].bounds, shapes[flow.target].bounds, flow.source)
    return Diagram(
        shapes=MappingProxyType(shapes),
        edges=MappingProxyType({k: Edge(element_id=k, waypoints=_tidy(v)) for k, v in edges.items()}),
    )


def ensure_diagram(definitions: Definitions) -> Definitions:
    """`definitions` with a laid-out diagram for every process that has no shapes.

    Processes drawn already keep their DI; new drawings go below everything
    drawn so far. A participant (pool) of a laid-out process gets a shape.
    """
    shapes = dict(definitions.diagram.shapes)
    edges = dict(definitions.diagram.edges)
    changed = False
    for process in definitions.processes:
        if not process.elements or any(e in shapes for e in process.elements):
            continue
        diagram = layout(process)
        bottom = max((s.bounds.y + s.bounds.height for s in shapes.values()), default=0.0)
        dy = bottom + 2 * ROW_GAP if shapes else 0.0
        new_shapes = {k: dataclasses.replace(s, bounds=_shift(s.bounds, 0, dy)) for k, s in diagram.shapes.items()}
        for participant in definitions.participants:
            if participant.process_id == process.id and participant.id not in shapes:
                new_shapes[participant.id] = _pool(participant.id, list(new_shapes.values()))
        shapes.update(new_shapes)
        for k, edge in diagram.edges.items():
            edges.setdefault(k, Edge(element_id=k, waypoints=tuple((x, y + dy) for x, y in edge.waypoints)))
        changed = True
    if not changed:
        return definitions
    return dataclasses.replace(
        definitions,
        diagram=Diagram(shapes=MappingProxyType(shapes), edges=MappingProxyType(edges)),
    )


def _pool(participant_id: str, shapes: list[Shape]) -> Shape:
    left = min(s.bounds.x for s in shapes) - PADDING - 30  # 30: the pool's label band
    top = min(s.bounds.y for s in shapes) - PADDING
    right = max(s.bounds.x + s.bounds.width for s in shapes) + PADDING
    bottom = max(s.bounds.y + s.bounds.height for s in shapes) + PADDING
    return Shape(participant_id, Bounds(left, top, right - left, bottom - top), is_horizontal=True)


def _is_expanded(process: Process, element_id: str) -> bool:
    element = process.elements.get(element_id)
    return element is not None and element.type in CONTAINERS and bool(element.children)


def _size(element: Element) -> tuple[int, int]:
    if element.type in EVENT_TYPES:
        return EVENT_SIZE
    if element.type.endswith("Gateway"):
        return GATEWAY_SIZE
    return TASK_SIZE


def _even(value: float) -> int:
    return int(-(-value // 2) * 2)  # round up to an even number: centres stay integral


def _straight(process: Process, source: Bounds, target: Bounds, source_id: str) -> list[Point]:
    """A fallback route (flows across scopes): right-middle to left-middle, one vertical."""
    element = process.elements.get(source_id)
    if element is not None and element.type == "boundaryEvent":
        start = (source.x + source.width / 2, source.y + source.height)
    else:
        start = (source.x + source.width, source.y + source.height / 2)
    end = (target.x, target.y + target.height / 2)
    middle = (start[0] + end[0]) / 2
    return [start, (middle, start[1]), (middle, end[1]), end]


def _tidy(points: list[Point]) -> tuple[Point, ...]:
    """Drop repeated points and the middle of three collinear points."""
    out: list[Point] = []
    for point in points:
        if out and point == out[-1]:
            continue
        if len(out) >= 2:
            (ax, ay), (bx, by) = out[-2], out[-1]
            if (ax == bx == point[0]) or (ay == by == point[1]):
                out[-1] = point
                continue
        out.append(point)
    return tuple(out)


class _ScopeLayout:
    """Lays out the direct children of one scope (the process or a subprocess)."""

    def __init__(self, process: Process, parent_id: str | None) -> None:
        self.process = process
        members = [e for e in process.elements.values() if e.parent_id == parent_id]
        ids = {e.id for e in members}
        self.boundaries: dict[str, list[Element]] = {}
        self.event_subprocesses: list[Element] = []
        self.nodes: dict[str, _Node] = {}
        self.inner: dict[str, _Block] = {}
        self.sizes: dict[str, tuple[int, int]] = {}
        self.back_flow_ids: set[str] = set()
        for element in members:
            if element.type == "boundaryEvent" and element.attached_to in ids and element.attached_to != element.id:
                host = process.elements[element.attached_to]
                if host.type != "boundaryEvent":
                    self.boundaries.setdefault(host.id, []).append(element)
                    continue
            if element.type in CONTAINERS and element.triggered_by_event:
                self.event_subprocesses.append(element)
                continue
            self.nodes[element.id] = _Node(element.id, (0, 0, 0))
        self.host_of = {b.id: host for host, found in self.boundaries.items() for b in found}
        for element in members:
            if element.id in self.nodes or element in self.event_subprocesses:
                self.sizes[element.id] = self._size(element)
        self.links: list[_Link] = []
        self.chains: dict[str, list[str]] = {}
        self.back_edges: list[tuple[str, str, str]] = []  # flow id, source key, target key

    def _size(self, element: Element) -> tuple[int, int]:
        if element.type in CONTAINERS and element.children:
            block = _ScopeLayout(self.process, element.id).run()
            self.inner[element.id] = block
            width, height = _even(block.width + 2 * PADDING), _even(block.height + 2 * PADDING)
        else:
            width, height = _size(element)
        count = len(self.boundaries.get(element.id, ()))
        if count and element.id in self.inner:
            height += 2 * BOUNDARY_DROP  # keep the content clear of the boundary events' labels
        width = max(width, count * BOUNDARY_STEP + 10)
        if element.id in self.nodes:
            node = self.nodes[element.id]
            node.width, node.height = width, height
            node.below = BOUNDARY_DROP + 10 if count else 0
        return width, height

    # -- 1. graph, back edges, ranks ---------------------------------------------------

    def run(self) -> _Block:
        flows = self._scope_flows()
        self._ranks(flows)
        ranks = self._order(self._layers(flows))
        self._place_y(ranks)
        self._plan_routes(ranks, flows)
        self._place_x(ranks)
        block = self._draw(ranks, flows)
        self._place_event_subprocesses(block)
        return _normalise(block)

    def _scope_flows(self) -> list[tuple[str, str, str, str | None]]:
        """(flow id, source node, target node, boundary event id) inside this scope."""
        found = []
        for flow in self.process.flows.values():
            boundary = flow.source if flow.source in self.host_of else None
            source = self.host_of.get(flow.source, flow.source)
            if source in self.nodes and flow.target in self.nodes:
                found.append((flow.id, source, flow.target, boundary))
        return found

    def _ranks(self, flows: list[tuple[str, str, str, str | None]]) -> None:
        out: dict[str, list[tuple[str, str, str | None]]] = {key: [] for key in self.nodes}
        has_incoming = {target for _, _, target, _ in flows}
        for flow_id, source, target, boundary in flows:
            out[source].append((flow_id, target, boundary))
        for edges in out.values():
            edges.sort(key=lambda e: e[2] is not None)  # the host's own flows first
        starts = [k for k in self.nodes if self.process.elements[k].type == "startEvent"]
        roots = starts + [k for k in self.nodes if k not in has_incoming and k not in starts] + list(self.nodes)
        state: dict[str, int] = {}  # 1 on the DFS stack, 2 done
        back: set[str] = set()
        discovered = 0
        for root in roots:
            if root in state:
                continue
            state[root] = 1
            self.nodes[root].seq = (discovered, 0, 0)
            discovered += 1
            stack = [(root, iter(out[root]))]
            while stack:
                key, edges = stack[-1]
                edge = next(edges, None)
                if edge is None:
                    state[key] = 2
                    stack.pop()
                    continue
                flow_id, target, _ = edge
                if state.get(target) == 1:
                    back.add(flow_id)
                elif target not in state:
                    state[target] = 1
                    self.nodes[target].seq = (discovered, 0, 0)
                    discovered += 1
                    stack.append((target, iter(out[target])))
        self.back_flow_ids = back
        forward = [f for f in flows if f[0] not in back]
        incoming = {key: 0 for key in self.nodes}
        for _, _, target, _ in forward:
            incoming[target] += 1
        ready = sorted((k for k, n in incoming.items() if n == 0), key=lambda k: self.nodes[k].seq)
        successors: dict[str, list[str]] = {key: [] for key in self.nodes}
        for _, source, target, _ in forward:
            successors[source].append(target)
        while ready:
            key = ready.pop(0)
            for target in successors[key]:
                self.nodes[target].rank = max(self.nodes[target].rank, self.nodes[key].rank + 1)
                incoming[target] -= 1
                if incoming[target] == 0:
                    ready.append(target)
                    ready.sort(key=lambda k: self.nodes[k].seq)

    def _layers(self, flows: list[tuple[str, str, str, str | None]]) -> list[list[str]]:
        for index, (flow_id, source, target, boundary) in enumerate(flows):
            if flow_id in self.back_flow_ids:
                self.back_edges.append((flow_id, source, target))
                continue
            chain = [source]
            for rank in range(self.nodes[source].rank + 1, self.nodes[target].rank):
                key = f"\0{flow_id}\0{rank}"
                self.nodes[key] = _Node(key, (self.nodes[source].seq[0], 1, index), dummy=True, rank=rank)
                chain.append(key)
            chain.append(target)
            self.chains[flow_id] = chain
            for i, (a, b) in enumerate(pairwise(chain)):
                first_of_boundary = boundary is not None and i == 0
                offset = 0.0
                if first_of_boundary:
                    host, below = self.nodes[a], self.nodes[b]
                    offset = host.height / 2 + BOUNDARY_DROP + ROW_GAP / 2 + below.height / 2
                self.links.append(_Link(a, b, offset, 0.5 if first_of_boundary else 0.0))
        ranks: list[list[str]] = [[] for _ in range(max((n.rank for n in self.nodes.values()), default=-1) + 1)]
        for key in sorted(self.nodes, key=lambda k: self.nodes[k].seq):
            ranks[self.nodes[key].rank].append(key)
        return ranks

    # -- 2. order within columns -----------------------------------------------------

    def _order(self, ranks: list[list[str]]) -> list[list[str]]:
        into: dict[str, list[_Link]] = {key: [] for key in self.nodes}
        out: dict[str, list[_Link]] = {key: [] for key in self.nodes}
        for link in self.links:
            into[link.target].append(link)
            out[link.source].append(link)
        self.into, self.out = into, out
        best = [list(r) for r in ranks]
        best_crossings = self._crossings(best)
        current = [list(r) for r in ranks]
        for _ in range(SWEEPS):
            for r in range(1, len(current)):
                current[r] = self._sorted_by(current[r], current[r - 1], into, lambda lk: (lk.source, lk.bias))
            for r in range(len(current) - 2, -1, -1):
                current[r] = self._sorted_by(current[r], current[r + 1], out, lambda lk: (lk.target, -lk.bias))
            crossings = self._crossings(current)
            if crossings < best_crossings:
                best, best_crossings = [list(r) for r in current], crossings
        return best

    @staticmethod
    def _sorted_by(layer, fixed, links, end) -> list[str]:
        position = {key: i for i, key in enumerate(fixed)}

        def barycentre(item: tuple[int, str]) -> tuple[float, int]:
            index, key = item
            ends = [end(lk) for lk in links[key]]
            if not ends:
                return (float(index), index)
            return (sum(position[k] + bias for k, bias in ends) / len(ends), index)

        return [key for _, key in sorted(enumerate(layer), key=barycentre)]

    def _crossings(self, ranks: list[list[str]]) -> int:
        position = {key: i for layer in ranks for i, key in enumerate(layer)}
        total = 0
        for layer in ranks:
            pairs = sorted((position[lk.source] + lk.bias, position[lk.target]) for k in layer for lk in self.out[k])
            for i, (_, b) in enumerate(pairs):
                total += sum(1 for a2, b2 in pairs[i + 1 :] if b2 < b and a2 != pairs[i][0])
        return total

    # -- 3. coordinates -----------------------------------------------------------------

    def _gap(self, a: _Node, b: _Node) -> float:
        space = DUMMY_GAP if a.dummy or b.dummy else ROW_GAP
        return a.height / 2 + a.below + space + b.height / 2

    def _place_y(self, ranks: list[list[str]]) -> None:
        for layer in ranks:
            y = 0.0
            for i, key in enumerate(layer):
                if i:
                    y += self._gap(self.nodes[layer[i - 1]], self.nodes[key])
                self.nodes[key].y = y
        order = list(range(len(ranks)))
        for _ in range(SWEEPS):
            for r in order[1:]:
                self._pull(ranks[r], self.into, lambda lk: self.nodes[lk.source].y + lk.offset)
            for r in reversed(order[:-1]):
                self._pull(ranks[r], self.out, lambda lk: self.nodes[lk.target].y - lk.offset)
        for r in order[1:]:
            self._pull(ranks[r], self.into, lambda lk: self.nodes[lk.source].y + lk.offset)
        for _ in range(2):
            for r in order[1:]:
                self._straighten(ranks[r], self.into, lambda lk: self.nodes[lk.source].y + lk.offset)
            for r in reversed(order[:-1]):
                self._straighten(ranks[r], self.out, lambda lk: self.nodes[lk.target].y - lk.offset)
        for node in self.nodes.values():  # integral centres (heights are even): crisp drawings
            node.y = float(round(node.y))

    def _pull(self, layer: list[str], links: dict[str, list[_Link]], wanted) -> None:
        desired, weights, gaps = [], [], []
        for i, key in enumerate(layer):
            node = self.nodes[key]
            # A host follows its own flows, not the paths of its boundary events.
            chosen = [lk for lk in links[key] if not lk.offset] or links[key]
            ends = [wanted(lk) for lk in chosen]
            desired.append(sum(ends) / len(ends) if ends else node.y)
            # Boundary paths give way to the main path; unconnected nodes to everything.
            weights.append((0.1 if chosen[0].offset else 1.0) if ends else 0.2)
            if i:
                gaps.append(self._gap(self.nodes[layer[i - 1]], node))
        for key, y in zip(layer, _isotonic(desired, weights, gaps), strict=True):
            self.nodes[key].y = y

    def _straighten(self, layer: list[str], links: dict[str, list[_Link]], wanted) -> None:
        """Put a node with a single neighbour on that neighbour's line where there is room."""
        for i, key in enumerate(layer):
            node = self.nodes[key]
            chosen = [lk for lk in links[key] if not lk.offset] or links[key]
            if len(chosen) != 1:
                continue
            y = wanted(chosen[0])
            if i and y < self.nodes[layer[i - 1]].y + self._gap(self.nodes[layer[i - 1]], node):
                continue
            if i + 1 < len(layer) and y > self.nodes[layer[i + 1]].y - self._gap(node, self.nodes[layer[i + 1]]):
                continue
            node.y = y

    def _plan_routes(self, ranks: list[list[str]], flows) -> None:
        """Where each flow needs a vertical segment, and one track (x) per source in each gap.

        A boundary event's flow drops straight to its path when nothing in the
        host's column is in the way; otherwise it turns right just under the host.
        """
        self.drops: dict[str, bool] = {}
        self.track_x: dict[tuple[int, str], float] = {}
        wanted: dict[int, dict[str, float]] = {}  # gap -> track key -> y arriving at it
        for flow_id, _, _, boundary in flows:
            chain = self.chains.get(flow_id)
            if chain is None:
                continue
            source = self.nodes[chain[0]]
            y, key = source.y, chain[0]
            if boundary is not None:
                top, following = source.bottom + BOUNDARY_DROP, self.nodes[chain[1]].y
                column = [self.nodes[k] for k in ranks[source.rank] if k != source.key]
                clear = following >= top + 10 and not any(
                    not n.dummy and n.top - ROW_GAP / 4 <= following and n.bottom >= top for n in column
                )
                self.drops[flow_id] = clear
                y, key = (following if clear else top + 15), boundary
            for a, b in pairwise(chain):
                if self.nodes[b].y != y:
                    wanted.setdefault(self.nodes[a].rank, {}).setdefault(key, y)
                    y = self.nodes[b].y
                key = b
        self.tracks = {r: sorted(keys, key=lambda k: (keys[k], k)) for r, keys in wanted.items()}

    def _place_x(self, ranks: list[list[str]]) -> None:
        self.column_left: list[float] = []
        self.column_right: list[float] = []
        x = 0.0
        for layer in ranks:
            width = max((self.nodes[k].width for k in layer if not self.nodes[k].dummy), default=0)
            self.column_left.append(x)
            self.column_right.append(x + width)
            for key in layer:
                node = self.nodes[key]
                node.x = x + (width - node.width) / 2
            tracks = self.tracks.get(len(self.column_left) - 1, [])
            gap = max(COLUMN_GAP, TRACK_STEP * (len(tracks) + 1) + 2 * BACK_INSET)
            for i, key in enumerate(tracks):
                span = gap - 2 * BACK_INSET
                self.track_x[(len(self.column_left) - 1, key)] = round(
                    x + width + BACK_INSET + span * (i + 1) / (len(tracks) + 1)
                )
            x += width + gap

    # -- 4. shapes and routes -------------------------------------------------------------

    def _draw(self, ranks: list[list[str]], flows) -> _Block:
        block = _Block()
        for layer in ranks:
            for key in layer:
                node = self.nodes[key]
                if node.dummy:
                    continue
                block.shapes[key] = Bounds(node.x, node.top, node.width, node.height)
                self._draw_inside(block, key, node.x, node.top)
                self._draw_boundaries(block, node)
        for flow_id, _, _, boundary in flows:
            if flow_id in self.chains:
                block.edges[flow_id] = self._route(flow_id, self.chains[flow_id], boundary, block)
        self._separate_parallel_flows(block, flows)
        self._route_back_edges(block, flows)
        return block

    def _separate_parallel_flows(self, block: _Block, flows) -> None:
        """Flows between the same two neighbouring nodes would share one line (a gateway's
        "over 500" and default flow both going to the join): the first keeps the straight
        route, each further one bends around below or above the pair, leaving and entering
        at the middle of the bottom (top) border. Below unless boundary events sit there or
        a named gateway or event has its label there; never through a neighbour."""
        seen: dict[tuple[str, str], int] = {}
        for flow_id, source_key, target_key, boundary in flows:
            chain = self.chains.get(flow_id)
            if boundary is not None or chain is None or len(chain) != 2:
                continue
            count = seen[(source_key, target_key)] = seen.get((source_key, target_key), 0) + 1
            if count == 1:
                continue
            source, target = self.nodes[source_key], self.nodes[target_key]
            others = [
                n
                for n in self.nodes.values()
                if not n.dummy and n.rank in (source.rank, target.rank) and n.key not in (source_key, target_key)
            ]
            extra = (count - 2) * LANE_STEP
            low = max(source.bottom, target.bottom) + ROW_GAP / 2 + extra
            high = min(source.top, target.top) - ROW_GAP / 2 - extra
            free_below = not source.below and not target.below
            free_below = free_below and not any(
                n.top < low + LANE_STEP and n.bottom > min(source.bottom, target.bottom) for n in others
            )
            free_above = not any(n.bottom > high - LANE_STEP and n.top < max(source.top, target.top) for n in others)
            labelled = any(self._label_below(key) for key in (source_key, target_key))
            if free_below and not (labelled and free_above):
                lane, ends = low, (source.bottom, target.bottom)
            elif free_above:
                lane, ends = high, (source.top, target.top)
            else:
                continue  # boxed in above and below: keep the shared line
            sx, tx = source.x + source.width / 2, target.x + target.width / 2
            block.edges[flow_id] = [(sx, ends[0]), (sx, lane), (tx, lane), (tx, ends[1])]

    def _label_below(self, key: str) -> bool:
        """A named gateway or event: its label is drawn under the shape."""
        element = self.process.elements[key]
        return bool(element.name) and (element.type in EVENT_TYPES or element.type.endswith("Gateway"))

    def _draw_inside(self, block: _Block, key: str, left: float, top: float) -> None:
        inner = self.inner.get(key)
        if inner is not None:
            inner.move(left + PADDING, top + PADDING)
            block.shapes.update(inner.shapes)
            block.edges.update(inner.edges)

    def _draw_boundaries(self, block: _Block, host: _Node) -> None:
        # The event whose path goes lowest is leftmost, so the paths do not cross;
        # events without a forward path (none, or a loop back) go rightmost.
        def depth(event: Element) -> float:
            chains = [self.chains[f] for f in event.outgoing if f in self.chains]
            return max((self.nodes[c[1]].y for c in chains), default=float("-inf"))

        found = sorted(self.boundaries.get(host.key, []), key=depth, reverse=True)
        span = len(found) * BOUNDARY_STEP - 10
        left = host.x + (host.width - span) / 2
        for i, event in enumerate(found):
            x = left + i * BOUNDARY_STEP
            block.shapes[event.id] = Bounds(x, host.bottom - BOUNDARY_DROP, EVENT_SIZE[0], EVENT_SIZE[1])

    def _route(self, flow_id: str, chain: list[str], boundary: str | None, block: _Block) -> list[Point]:
        source = self.nodes[chain[0]]
        key = chain[0]
        if boundary is not None:
            event = block.shapes[boundary]
            bx, by = event.x + event.width / 2, event.y + event.height
            y = self.nodes[chain[1]].y if self.drops[flow_id] else by + 15
            points: list[Point] = [(bx, by), (bx, y)]
            key = boundary
        else:
            y = source.y
            points = [(source.x + source.width, y)]
        for a, b in pairwise(chain):
            target = self.nodes[b]
            if target.y != y:
                track = self.track_x[(self.nodes[a].rank, key)]
                points += [(track, y), (track, target.y)]
                y = target.y
            key = b
        last = self.nodes[chain[-1]]
        points.append((last.x, last.y))
        return points

    def _route_back_edges(self, block: _Block, flows) -> None:
        boundary_of = {flow_id: boundary for flow_id, _, _, boundary in flows}
        levels: list[tuple[int, int, int, bool]] = []  # (low rank, high rank, level, below)
        ordered = sorted(
            self.back_edges,
            key=lambda e: (self.nodes[e[1]].rank - self.nodes[e[2]].rank, self.nodes[e[1]].seq),
        )
        for flow_id, source_key, target_key in ordered:
            source, target = self.nodes[source_key], self.nodes[target_key]
            low, high = target.rank, source.rank
            # Above the columns it spans, unless it leaves a boundary event or starts
            # below its target: then under them, which keeps retry loops short.
            below = boundary_of[flow_id] is not None or source.top > target.bottom
            level = 1 + max((lv for lo, hi, lv, bl in levels if bl == below and lo <= high and low <= hi), default=0)
            levels.append((low, high, level, below))
            spanned = [n for n in self.nodes.values() if low <= n.rank <= high]
            out_x = self.column_right[high] + BACK_INSET
            in_x = self.column_left[low] - BACK_INSET
            if below:
                lane = max(n.bottom + n.below for n in spanned) + ROW_GAP / 2 + level * LANE_STEP
                boundary = boundary_of[flow_id]
                if boundary is not None:
                    event = block.shapes[boundary]
                    bx, by = event.x + event.width / 2, event.y + event.height
                    points = [(bx, by), (bx, by + 15), (out_x, by + 15), (out_x, lane)]
                else:
                    points = [(source.x + source.width, source.y), (out_x, source.y), (out_x, lane)]
            else:
                lane = min(n.top for n in spanned) - ROW_GAP / 2 - level * LANE_STEP
                points = [(source.x + source.width, source.y), (out_x, source.y), (out_x, lane)]
            points += [(in_x, lane), (in_x, target.y), (target.x, target.y)]
            block.edges[flow_id] = points

    def _place_event_subprocesses(self, block: _Block) -> None:
        if not self.event_subprocesses:
            return
        bottom = max((b.y + b.height for b in block.shapes.values()), default=-ROW_GAP)
        bottom = max([bottom] + [y for pts in block.edges.values() for _, y in pts])
        x, top = 0.0, bottom + ROW_GAP
        for element in self.event_subprocesses:
            width, height = self.sizes[element.id]
            block.shapes[element.id] = Bounds(x, top, width, height)
            self._draw_inside(block, element.id, x, top)
            for i, event in enumerate(self.boundaries.get(element.id, [])):
                block.shapes[event.id] = Bounds(x + 10 + i * BOUNDARY_STEP, top + height - BOUNDARY_DROP, 36, 36)
            tracks = self.tracks.get(len(self.column_left) - 1, [])
            gap = max(COLUMN_GAP, TRACK_STEP * (len(tracks) + 1) + 2 * BACK_INSET)
            for i, key in enumerate(tracks):
                span = gap - 2 * BACK_INSET
                self.track_x[(len(self.column_left) - 1, key)] = round(
                    x + width + BACK_INSET + span * (i + 1) / (len(tracks) + 1)
                )
            x += width + gap


def _isotonic(desired: list[float], weights: list[float], gaps: list[float]) -> list[float]:
    """Positions closest to `desired` (weighted least squares) keeping order and gaps.

    With offsets o_i (the sum of the gaps before i) the constraint
    p_i+1 - p_i >= gap_i becomes q_i = p_i - o_i non-decreasing: pool adjacent
    violators solves that exactly.
    """
    offsets = [0.0]
    for gap in gaps:
        offsets.append(offsets[-1] + gap)
    blocks: list[list[float]] = []  # [weight, weighted sum, count]
    for value, weight, offset in zip(desired, weights, offsets, strict=True):
        blocks.append([weight, weight * (value - offset), 1])
        while len(blocks) > 1 and blocks[-2][1] / blocks[-2][0] > blocks[-1][1] / blocks[-1][0]:
            weight2, total2, count2 = blocks.pop()
            blocks[-1][0] += weight2
            blocks[-1][1] += total2
            blocks[-1][2] += count2
    fitted: list[float] = []
    for weight, total, count in blocks:
        fitted += [total / weight] * int(count)
    return [q + o for q, o in zip(fitted, offsets, strict=True)]


def _normalise(block: _Block) -> _Block:
    xs = [b.x for b in block.shapes.values()] + [x for pts in block.edges.values() for x, _ in pts]
    ys = [b.y for b in block.shapes.values()] + [y for pts in block.edges.values() for _, y in pts]
    right = [b.x + b.width for b in block.shapes.values()] + xs
    bottom = [b.y + b.height for b in block.shapes.values()] + ys
    if not xs:
        return block
    left, top = min(xs), min(ys)
    block.move(-left, -top)
    block.width, block.height = max(right) - left, max(bottom) - top
    return block
