"""The fluent part of the builder: a path of elements, gateways with branches, boundary paths.

Each method adds one element after the *cursor* (the element the path is at)
and moves the cursor to it. Gateways and boundary events open a *frame*:
`.branch()` ... `.end_branch()` paths of a gateway closed by `.join()` (or
`.end_split()` when every branch ends), and a boundary event's own path closed
by `.end_branch()`, which returns to the activity. Mistakes raise
`BuilderError` at the call that makes them, naming the element.

The first argument of an element is its label: it becomes the element's name
and, unless `id=` is given, its id ("Reserve stock" -> "reserve-stock").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orchestration.bpmn.model import EventDefinition, SequenceFlow

from . import drafts as d
from .drafts import BuilderError, Draft
from .tasks import TaskMethods

GATEWAYS = {"exclusive": "exclusiveGateway", "parallel": "parallelGateway", "inclusive": "inclusiveGateway"}


@dataclass
class _Split:
    gateway: str
    type: str
    default: str | None
    branches: list[str] = field(default_factory=list)
    ends: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (element, flow attributes)
    open: str | None = None

    def describe(self) -> str:
        return f"gateway '{self.gateway}'"


@dataclass
class _BoundaryPath:
    event: str
    host: str

    def describe(self) -> str:
        return f"the path of boundary event '{self.event}'"


class FlowChain(TaskMethods):
    """Elements of one scope (a process or a subprocess), built as a chain of calls."""

    def __init__(self, scope_id: str, *, id_prefix: str = "") -> None:
        self._scope_id = d.check_id(scope_id)
        self._prefix = id_prefix
        self._drafts: dict[str, Draft] = {}
        self._flows: list[SequenceFlow] = []
        self._ids: set[str] = {scope_id}
        self._cursor: str | None = None
        self._pending: dict[str, Any] = {}  # name/condition/default of the next flow
        self._ended: str | None = None  # what ended the last path, for error messages
        self._frames: list[_Split | _BoundaryPath] = []
        self._links: list[tuple[str, str]] = []  # connect_to: (flow id, target) checked at build

    # -- events -------------------------------------------------------------------------

    def start(
        self,
        label: str | None = None,
        *,
        id: str | None = None,
        message: str | None = None,
        duration: str | None = None,
        date: str | None = None,
        cycle: str | None = None,
        error: str | None = None,
    ) -> FlowChain:
        """A start event: none, message (message=), timer (date=/cycle=/duration=), or error=
        (only in an event subprocess). A start event begins a new path."""
        if self._cursor is not None or self._frames:
            where = f"'{self._cursor}'" if self._cursor else self._frames[-1].describe()
            raise BuilderError(f"start event cannot follow {where}: a start event begins a path")
        event = None
        if message is not None:
            event = d.message(message, None)
        elif duration or date or cycle:
            event = d.timer(duration, date, cycle)
        elif error is not None:
            event = d.error(error)
        return self._add(self._draft("startEvent", label, id, "start", event=event))

    def end(
        self,
        label: str | None = None,
        *,
        id: str | None = None,
        terminate: bool = False,
        error: str | None = None,
    ) -> FlowChain:
        """An end event (none, terminate=True, or error="CODE"); the path ends here."""
        if terminate and error is not None:
            raise BuilderError("an end event is either terminate=True or error=, not both")
        event = EventDefinition(kind="terminate") if terminate else d.error(error) if error is not None else None
        self._add(self._draft("endEvent", label, id, "end", event=event))
        self._ended, self._cursor = f"end event '{self._cursor}'", None
        return self

    def timer_catch(
        self,
        label: str,
        *,
        id: str | None = None,
        duration: str | None = None,
        date: str | None = None,
        cycle: str | None = None,
    ) -> FlowChain:
        event = d.timer(duration, date, cycle)
        return self._add(self._draft("intermediateCatchEvent", label, id, event=event))

    def message_catch(
        self, label: str, *, message: str, correlation_key: str | None = None, id: str | None = None
    ) -> FlowChain:
        event = d.message(message, correlation_key)
        return self._add(self._draft("intermediateCatchEvent", label, id, event=event))

    # -- gateways -------------------------------------------------------------------------

    def exclusive(self, label: str | None = None, *, id: str | None = None, default: str | None = None) -> FlowChain:
        """An exclusive gateway (XOR): one branch runs, the first whose condition holds, else the default."""
        return self._split("exclusive", label, id, default)

    def inclusive(self, label: str | None = None, *, id: str | None = None, default: str | None = None) -> FlowChain:
        """An inclusive gateway (OR): every branch whose condition holds runs."""
        return self._split("inclusive", label, id, default)

    def parallel(self, label: str | None = None, *, id: str | None = None) -> FlowChain:
        """A parallel gateway (AND): every branch runs."""
        return self._split("parallel", label, id, None)

    def _split(self, kind: str, label: str | None, id: str | None, default: str | None) -> FlowChain:
        tag = GATEWAYS[kind]
        self._add(self._draft(tag, label, id, kind))
        self._frames.append(_Split(self._cursor or "", tag, default))
        return self

    def branch(self, label: str | None = None, *, condition: str | None = None) -> FlowChain:
        """Begin a path leaving the open gateway; `label` names the flow (and the default)."""
        split = self._frames[-1] if self._frames else None
        if not isinstance(split, _Split):
            where = f" inside {split.describe()}" if split else ""
            raise BuilderError(f"branch(){where} needs an open gateway: call .exclusive/.inclusive/.parallel first")
        if split.open is not None:
            raise BuilderError(f"branch '{split.open}' of {split.describe()} is still open: call .end_branch() first")
        name = label or f"branch {len(split.branches) + 1}"
        if name in split.branches:
            raise BuilderError(f"{split.describe()} already has a branch '{name}'")
        is_default = label is not None and label == split.default
        if split.type == "parallelGateway" and condition is not None:
            raise BuilderError(f"branch '{name}' of parallel {split.describe()} cannot have a condition")
        if is_default and condition is not None:
            raise BuilderError(f"branch '{name}' is the default of {split.describe()}: it takes no condition")
        if split.type != "parallelGateway" and not is_default and condition is None:
            raise BuilderError(
                f"branch '{name}' of {split.describe()} needs a condition= (or name it as the gateway's default=)"
            )
        split.branches.append(name)
        split.open = name
        self._cursor = split.gateway
        self._pending = {"name": label, "condition": d.feel(condition), "default": is_default}
        return self

    def end_branch(self) -> FlowChain:
        """Close the innermost open branch: a gateway branch, or a boundary event's path."""
        frame = self._frames[-1] if self._frames else None
        if isinstance(frame, _BoundaryPath):
            if self._cursor is not None:
                raise BuilderError(
                    f"{frame.describe()} does not end: finish it with .end(...) or .connect_to(...)"
                    " before .end_branch()"
                )
            self._frames.pop()
            self._cursor = frame.host
            return self
        if not isinstance(frame, _Split) or frame.open is None:
            raise BuilderError("end_branch() without an open branch")
        if self._cursor == frame.gateway:
            frame.ends.append((frame.gateway, self._pending))  # empty branch: the flow goes to the join
        elif self._cursor is not None:
            frame.ends.append((self._cursor, {}))
        frame.open, self._cursor, self._pending = None, None, {}
        return self

    def join(self, label: str | None = None, *, id: str | None = None) -> FlowChain:
        """Merge the branches that did not end into a gateway of the split's kind."""
        split = self._closing_split("join()")
        if not split.ends:
            raise BuilderError(f"every branch of {split.describe()} ends: nothing to join, call .end_split()")
        self._frames.pop()
        draft = self._draft(split.type, label, id or (None if label else self._unique(f"{split.gateway}-join")))
        self._register(draft)
        for source, attributes in split.ends:
            self._connect(source, draft["id"], attributes)
        self._cursor = draft["id"]
        return self

    def end_split(self) -> FlowChain:
        """Close a gateway whose branches all end (no join)."""
        split = self._closing_split("end_split()")
        if split.ends:
            open_ends = ", ".join(f"'{source}'" for source, _ in split.ends)
            raise BuilderError(f"branches of {split.describe()} continue after {open_ends}: call .join()")
        self._frames.pop()
        self._ended = f"{split.describe()} (every branch ended)"
        return self

    def _closing_split(self, call: str) -> _Split:
        split = self._frames[-1] if self._frames else None
        if not isinstance(split, _Split):
            where = f": {split.describe()} is still open, call .end_branch()" if split else ""
            raise BuilderError(f"{call} without an open gateway{where}")
        if split.open is not None:
            raise BuilderError(f"branch '{split.open}' of {split.describe()} is still open: call .end_branch()")
        if not split.branches:
            raise BuilderError(f"{split.describe()} has no branches: add them with .branch()")
        if split.default is not None and split.default not in split.branches:
            raise BuilderError(f"the default branch '{split.default}' of {split.describe()} was never declared")
        return split

    # -- boundary events ------------------------------------------------------------------

    def on_timer(
        self,
        label: str,
        *,
        id: str | None = None,
        duration: str | None = None,
        date: str | None = None,
        cycle: str | None = None,
        interrupting: bool = True,
    ) -> FlowChain:
        """A timer boundary event on the current activity; build its path, then .end_branch()."""
        return self._boundary(label, id, d.timer(duration, date, cycle), interrupting)

    def on_message(
        self,
        label: str,
        *,
        message: str,
        correlation_key: str | None = None,
        id: str | None = None,
        interrupting: bool = True,
    ) -> FlowChain:
        return self._boundary(label, id, d.message(message, correlation_key), interrupting)

    def on_error(self, label: str, *, error: str | None = None, id: str | None = None) -> FlowChain:
        """An error boundary event (always interrupting); error=None catches every error."""
        return self._boundary(label, id, d.error(error), True)

    def _boundary(self, label: str, id: str | None, event: EventDefinition, interrupting: bool) -> FlowChain:
        host = self._current_activity("a boundary event")
        draft = self._draft("boundaryEvent", label, id, event=event)
        draft.update(attached_to=host["id"], cancel_activity=interrupting)
        self._register(draft)
        self._frames.append(_BoundaryPath(draft["id"], host["id"]))
        self._cursor = draft["id"]
        return self

    # -- paths ----------------------------------------------------------------------------

    def connect_to(self, target: str, *, label: str | None = None, condition: str | None = None) -> FlowChain:
        """A flow from the cursor to the element with id `target` (a loop, or a path
        rejoining later: the target may be added afterwards). The path ends here."""
        if self._cursor is None:
            raise BuilderError(f"connect_to('{target}') needs a path: the last path ended at {self._ended}")
        attributes = dict(self._pending)
        if label is not None or condition is not None:
            if attributes.get("name") or attributes.get("condition"):
                raise BuilderError("the branch already gives this flow its label and condition")
            attributes.update(name=label, condition=d.feel(condition))
        flow_id = self._connect(self._cursor, target, attributes)
        self._links.append((flow_id, target))
        self._ended, self._cursor, self._pending = f"connect_to('{target}')", None, {}
        return self

    # -- internals ------------------------------------------------------------------------

    def _draft(self, tag: str, label: str | None, id: str | None, auto: str | None = None, **fields: Any) -> Draft:
        if id is not None:
            element_id = d.check_id(id)
        elif label is not None:
            element_id = d.slug(label)
        else:
            element_id = self._unique(f"{self._prefix}{auto or tag}")
        return {"id": element_id, "type": tag, "name": label, "parent_id": None, **fields}

    def _unique(self, base: str) -> str:
        found, n = base, 1
        while found in self._ids:
            n += 1
            found = f"{base}-{n}"
        return found

    def _register(self, draft: Draft) -> None:
        if draft["id"] in self._ids:
            raise BuilderError(f"duplicate id '{draft['id']}': pass id= to tell the elements apart")
        self._ids.add(draft["id"])
        self._drafts[draft["id"]] = draft

    def _add(self, draft: Draft) -> FlowChain:
        frame = self._frames[-1] if self._frames else None
        if isinstance(frame, _Split) and frame.open is None:
            raise BuilderError(f"{frame.describe()} is open: begin a path with .branch() or close it with .join()")
        if self._cursor is None and draft["type"] != "startEvent":
            if self._ended is None:
                raise BuilderError(f"'{draft['id']}' has nothing before it: begin with .start()")
            raise BuilderError(
                f"'{draft['id']}' cannot follow {self._ended}: the path ended"
                " (open a new path with .start(), or add it in a .branch())"
            )
        self._register(draft)
        if self._cursor is not None:
            self._connect(self._cursor, draft["id"], self._pending)
        self._cursor, self._pending = draft["id"], {}
        return self

    def _connect(self, source: str, target: str, attributes: Mapping[str, Any]) -> str:
        flow_id = self._unique(f"flow-{source}-{target}")
        self._ids.add(flow_id)
        self._flows.append(
            SequenceFlow(flow_id, source, target, name=attributes.get("name"), condition=attributes.get("condition"))
        )
        if attributes.get("default"):
            self._drafts[source]["default_flow"] = flow_id
        return flow_id

    def _current_activity(self, what: str) -> Draft:
        draft = self._drafts.get(self._cursor or "")
        if draft is None or draft["type"] not in d.ACTIVITIES:
            at = f"'{self._cursor}' ({draft['type']})" if draft else f"{self._ended or 'the beginning'}"
            raise BuilderError(f"{what} needs an activity to attach to; the path is at {at}")
        return draft

    def _embed(self, fragment: FlowChain, *, event: bool, interrupting: bool) -> FlowChain:
        if fragment is self:
            raise BuilderError("a subprocess cannot contain itself")
        fragment._check_complete()
        sub_id = fragment._scope_id
        children = [k for k, v in fragment._drafts.items() if v["parent_id"] is None]
        if not any(fragment._drafts[k]["type"] == "startEvent" for k in children):
            raise BuilderError(f"subprocess '{sub_id}' has no start event: begin it with .start()")
        clash = sorted((fragment._ids - {sub_id}) & self._ids)
        if clash:
            raise BuilderError(f"duplicate id '{clash[0]}' in subprocess '{sub_id}': pass id= to tell them apart")
        draft = self._draft("subProcess", getattr(fragment, "name", None), sub_id, children=tuple(children))
        if event:
            draft["triggered_by_event"] = True
            self._register(draft)
        else:
            self._add(draft)
        for child in fragment._drafts.values():
            child = dict(child)
            if child["parent_id"] is None:
                child["parent_id"] = sub_id
                if event and child["type"] == "startEvent":
                    child["is_interrupting"] = interrupting
            self._register(child)
        self._ids |= fragment._ids
        self._flows += fragment._flows
        self._links += fragment._links
        return self

    def _check_complete(self) -> None:
        """Every gateway closed, every path ended, every connect_to target present."""
        if self._frames:
            frame = self._frames[-1]
            if isinstance(frame, _Split) and frame.open is not None:
                raise BuilderError(f"branch '{frame.open}' of {frame.describe()} is still open: call .end_branch()")
            fix = ".end_branch()" if isinstance(frame, _BoundaryPath) else ".join() or .end_split()"
            raise BuilderError(f"{frame.describe()} is still open: close it with {fix}")
        if self._cursor is not None:
            raise BuilderError(f"the path ends at '{self._cursor}' without an end event: finish it with .end()")
        for flow_id, target in self._links:
            flow = next(f for f in self._flows if f.id == flow_id)
            if target not in self._drafts:
                raise BuilderError(f"connect_to('{target}') from '{flow.source}': there is no element '{target}'")
            if self._drafts[target]["parent_id"] != self._drafts[flow.source]["parent_id"]:
                raise BuilderError(
                    f"connect_to('{target}') from '{flow.source}' crosses a subprocess border;"
                    " flows stay inside their scope"
                )
