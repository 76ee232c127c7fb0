"""Fold an instance's audit events back into the state they describe.

The audit log claims to be the history of every transition; if it is, folding
it gives the stored state: which element instances exist, with which element
id, in which state and in which scope, whether the instance runs, which
incidents are open, and which process variables were ever announced.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .backends import Event


class ReplayError(AssertionError):
    """The log contradicts itself (an element ending twice, an unknown key, ...)."""


@dataclass
class ReplayedElement:
    element_id: str
    state: str
    scope: str | None  # str(scope key), None at process level; "?" if the log did not say


@dataclass
class Replayed:
    state: str | None = None
    elements: dict[uuid.UUID, ReplayedElement] = field(default_factory=dict)
    open_incidents: dict[str, uuid.UUID | None] = field(default_factory=dict)  # incident key -> element instance
    variable_names: set[str] = field(default_factory=set)

    def active(self) -> dict[uuid.UUID, str]:
        return {k: e.element_id for k, e in self.elements.items() if e.state == "active"}


def _names(data: dict[str, Any]) -> Iterable[str]:
    names = data.get("variables")
    if isinstance(names, list):
        yield from names
    diff = data.get("diff")
    if isinstance(diff, dict):
        yield from diff


def replay(events: Iterable[Event]) -> Replayed:
    out = Replayed()
    for event in events:
        data = event.data
        key = event.element_instance_key
        if event.type == "instance_started":
            if out.state is not None:
                raise ReplayError("instance_started twice")
            out.state = "active"
        elif event.type in ("instance_completed", "instance_cancelled"):
            if out.state != "active":
                raise ReplayError(f"{event.type} of an instance that is {out.state}")
            out.state = event.type.removeprefix("instance_")
        elif event.type == "element_activated":
            if key is None or key in out.elements:
                raise ReplayError(f"element_activated of '{event.element_id}' with key {key} seen before")
            scope = data["scope"] if "scope" in data else "?"
            out.elements[key] = ReplayedElement(event.element_id, "active", scope)
        elif event.type in ("element_completed", "element_terminated"):
            element = out.elements.get(key) if key is not None else None
            if element is None or element.state != "active":
                raise ReplayError(f"{event.type} of '{event.element_id}' ({key}) which is not active")
            if element.element_id != event.element_id:
                raise ReplayError(f"{event.type} names '{event.element_id}' but {key} is '{element.element_id}'")
            element.state = event.type.removeprefix("element_")
            for incident, owner in list(out.open_incidents.items()):
                if owner == key:
                    del out.open_incidents[incident]  # the store closes the incidents of an ended element
        elif event.type == "instance_migrated":
            for element_key, old, new in data["elements"]:
                element = out.elements.get(uuid.UUID(element_key))
                if element is None or element.state != "active" or element.element_id != old:
                    raise ReplayError(f"migration renames {element_key} from '{old}', which is not active there")
                element.element_id = new
        elif event.type == "incident_created":
            out.open_incidents[data["incident"]] = key
        elif event.type == "incident_resolved":
            if out.open_incidents.pop(data["incident"], "missing") == "missing":
                raise ReplayError(f"incident {data['incident']} resolved but not open")
        elif event.type in ("variables_set", "variables_updated"):
            out.variable_names.update(_names(data))
    return out
