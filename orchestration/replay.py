"""The state of one instance at a past moment, folded from its audit log.

Pure: no database, no Django. The caller passes the instance's audit events in log
order (``id``); events after ``as_of`` are ignored. The result has the same shape as
``selectors.diagram_overlays_for_instance`` so the diagram draws "then" as it draws "now".

Read from the log: ``instance_started/completed/cancelled``; ``element_activated``,
``element_completed`` and ``element_terminated`` keyed by ``element_instance_key``
(``data.type`` gives the element type); ``instance_migrated`` (renames active element
ids); ``incident_created/resolved``; ``sequence_flow_taken``; ``activity_compensated``.
The replay is lenient: a log that contradicts itself (an end without a start) is drawn
as well as it can be, never raised; the property tests check that the log is consistent.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

MI_BODY = "multiInstanceBody"


class AuditLike(Protocol):
    type: str
    element_id: str
    element_instance_key: uuid.UUID | None
    data: Any
    created_at: dt.datetime


@dataclass
class ReplayedElement:
    element_id: str
    element_type: str
    state: str  # "active", "completed" or "terminated"


@dataclass
class ReplayedState:
    as_of: dt.datetime
    state: str | None = None  # None before instance_started; then active/completed/cancelled
    elements: dict[uuid.UUID, ReplayedElement] = field(default_factory=dict)
    # incident key -> (element instance key, element id)
    open_incidents: dict[str, tuple[uuid.UUID | None, str]] = field(default_factory=dict)
    taken_flows: set[str] = field(default_factory=set)
    compensated: set[str] = field(default_factory=set)
    events: int = 0

    @property
    def waiting(self) -> list[str]:
        """Element ids where a token waited then, sorted (one per token)."""
        return sorted(e.element_id for e in self.elements.values() if e.state == "active" and e.element_type != MI_BODY)

    def overlays(self) -> dict[str, dict[str, object]]:
        """Per element id, the overlay entry render_svg expects (as diagram_overlays_for_instance)."""
        out: dict[str, dict[str, object]] = {}

        def entry(element_id: str) -> dict[str, object]:
            return out.setdefault(
                element_id,
                {"active": 0, "incidents": 0, "completed": 0, "cancelled": 0, "taken": False, "compensated": False},
            )

        for element in self.elements.values():
            row = entry(element.element_id)
            row["taken"] = True
            if element.element_type == MI_BODY:
                continue  # counted through its inner instances
            name = {"active": "active", "completed": "completed"}.get(element.state, "cancelled")
            row[name] = int(row[name]) + 1  # type: ignore[call-overload]
        for _owner, element_id in self.open_incidents.values():
            row = entry(element_id)
            row["incidents"] = int(row["incidents"]) + 1  # type: ignore[call-overload]
        for element_id in self.compensated:
            entry(element_id)["compensated"] = True
        return out


def _key(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def replay(events: Iterable[AuditLike], as_of: dt.datetime) -> ReplayedState:
    """Fold the events up to and including ``as_of`` (they must come in log order)."""
    out = ReplayedState(as_of=as_of)
    for event in events:
        if event.created_at > as_of:
            continue  # log order and clock order may differ by a hair; keep folding the rest
        out.events += 1
        data = event.data if isinstance(event.data, dict) else {}
        key = _key(event.element_instance_key)
        kind = event.type
        if kind == "instance_started":
            out.state = "active"
        elif kind in ("instance_completed", "instance_cancelled"):
            out.state = kind.removeprefix("instance_")
        elif kind == "element_activated" and key is not None:
            out.elements[key] = ReplayedElement(event.element_id, str(data.get("type") or ""), "active")
        elif kind in ("element_completed", "element_terminated") and key is not None:
            element = out.elements.setdefault(key, ReplayedElement(event.element_id, "", "active"))
            element.state = kind.removeprefix("element_")
            for incident, (owner, _element_id) in list(out.open_incidents.items()):
                if owner == key:
                    del out.open_incidents[incident]  # the store closes the incidents of an ended element
        elif kind == "instance_migrated":
            for row in data.get("elements") or ():
                _rename(out, row)
        elif kind == "incident_created" and data.get("incident"):
            out.open_incidents[str(data["incident"])] = (key, event.element_id)
        elif kind == "incident_resolved" and data.get("incident"):
            out.open_incidents.pop(str(data["incident"]), None)
        elif kind == "sequence_flow_taken":
            out.taken_flows.add(event.element_id)
        elif kind == "activity_compensated":
            out.compensated.add(event.element_id)
    return out


def _rename(state: ReplayedState, row: Any) -> None:
    try:
        element_key, _old, new = row
    except (TypeError, ValueError):
        return
    key = _key(element_key)
    element = state.elements.get(key) if key is not None else None
    if element is not None:
        element.element_id = str(new)
    for incident, (owner, _element_id) in list(state.open_incidents.items()):
        if owner is not None and owner == key:
            state.open_incidents[incident] = (owner, str(new))
