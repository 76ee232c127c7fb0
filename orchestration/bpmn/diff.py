"""What changed between two versions of a process: elements and sequence flows added,
removed or changed, compared field by field on the frozen model.

Pure Python, no Django. Line numbers are ignored (moving an element in the file is not
a change); so are an element's ``incoming``/``outgoing`` ids, which the flow diff reports.
Nested values (task definition, timer, mappings, ...) are flattened to dotted paths
(``task.type``, ``event.timer.expr``) and shown as text, expressions as written.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from .model import Expr, IoMapping, Process

IGNORED_ELEMENT_FIELDS = frozenset({"id", "line", "incoming", "outgoing"})
IGNORED_FLOW_FIELDS = frozenset({"id", "line"})


@dataclass(frozen=True)
class Change:
    """One attribute that differs: its dotted path and its text before and after ("" if absent)."""

    attribute: str
    before: str
    after: str


@dataclass(frozen=True)
class ItemDiff:
    """One element or sequence flow, as it is in the version it exists in (the newer one if both)."""

    id: str
    type: str
    name: str
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class ProcessDiff:
    added: tuple[ItemDiff, ...]
    removed: tuple[ItemDiff, ...]
    changed: tuple[ItemDiff, ...]
    flows_added: tuple[ItemDiff, ...]
    flows_removed: tuple[ItemDiff, ...]
    flows_changed: tuple[ItemDiff, ...]

    @property
    def is_empty(self) -> bool:
        return not any(
            (self.added, self.removed, self.changed, self.flows_added, self.flows_removed, self.flows_changed)
        )


def text(value: Any) -> str:
    """A model value as a person reads it: expressions as written, mappings as ``source → target``."""
    if value is None:
        return ""
    if isinstance(value, Expr):
        return f"={value.source}" if value.dialect == "feel" else value.source
    if isinstance(value, IoMapping):
        return f"{text(value.source)} → {value.target}"
    if isinstance(value, tuple):
        return "; ".join(text(v) if not isinstance(v, tuple) else "=".join(text(p) for p in v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten(value: Any, path: str, out: dict[str, str]) -> None:
    if is_dataclass(value) and not isinstance(value, (Expr, IoMapping)):
        for f in fields(value):
            _flatten(getattr(value, f.name), f"{path}.{f.name}", out)
    else:
        out[path] = text(value)


def attributes(item: Any, ignored: frozenset[str]) -> dict[str, str]:
    """Every compared field of an element or flow as dotted path -> text."""
    out: dict[str, str] = {}
    for f in fields(item):
        if f.name not in ignored:
            _flatten(getattr(item, f.name), f.name, out)
    return out


def _changes(old: Any, new: Any, ignored: frozenset[str]) -> tuple[Change, ...]:
    before, after = attributes(old, ignored), attributes(new, ignored)
    return tuple(
        Change(name, before.get(name, ""), after.get(name, ""))
        for name in sorted(before.keys() | after.keys())
        if before.get(name, "") != after.get(name, "")
    )


def _element(element: Any, changes: tuple[Change, ...] = ()) -> ItemDiff:
    return ItemDiff(element.id, element.type, element.name or "", changes)


def _flow(flow: Any, changes: tuple[Change, ...] = ()) -> ItemDiff:
    return ItemDiff(flow.id, f"{flow.source} → {flow.target}", flow.name or "", changes)


def diff_processes(old: Process, new: Process) -> ProcessDiff:
    """Changes from ``old`` to ``new`` (ids compared; a renamed id is a removal plus an addition)."""
    changed = []
    for element_id in sorted(old.elements.keys() & new.elements.keys()):
        found = _changes(old.elements[element_id], new.elements[element_id], IGNORED_ELEMENT_FIELDS)
        if found:
            changed.append(_element(new.elements[element_id], found))
    flows_changed = []
    for flow_id in sorted(old.flows.keys() & new.flows.keys()):
        found = _changes(old.flows[flow_id], new.flows[flow_id], IGNORED_FLOW_FIELDS)
        if found:
            flows_changed.append(_flow(new.flows[flow_id], found))
    return ProcessDiff(
        added=tuple(_element(new.elements[i]) for i in sorted(new.elements.keys() - old.elements.keys())),
        removed=tuple(_element(old.elements[i]) for i in sorted(old.elements.keys() - new.elements.keys())),
        changed=tuple(changed),
        flows_added=tuple(_flow(new.flows[i]) for i in sorted(new.flows.keys() - old.flows.keys())),
        flows_removed=tuple(_flow(old.flows[i]) for i in sorted(old.flows.keys() - new.flows.keys())),
        flows_changed=tuple(flows_changed),
    )
