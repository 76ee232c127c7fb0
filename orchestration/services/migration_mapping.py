"""Migration plans edited by hand: which source elements get a row, what each may map to,
and the per-row check that refuses a bad mapping before anything runs.

`generate_plan` (services.migration) proposes same-id, same-kind rows; the Operate migration
page shows them as a table of selects, and what comes back is the whole mapping, so a row
set to "unmapped" removes an automatic instruction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from ..bpmn.model import Element, Process
from ..exceptions import InvalidInput
from ..models import ProcessDefinition
from .deployments import process_for
from .migration import MigrationPlan, _definition, element_kind
from .migration_kinds import kind_label


class MappingRefused(InvalidInput):
    """Some rows of an edited mapping are wrong; `errors` maps each source element id to why."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("invalid migration mapping: " + "; ".join(f"{s}: {e}" for s, e in errors.items()))


def holds_token(element: Element, process: Process) -> bool:
    """Whether an element can have an active element instance or an open wait that a mapping must place.

    Start events pass their token on at once, except the start of an event subprocess (its
    subscription waits on the scope); end events end it.
    """
    if element.type == "endEvent":
        return False
    if element.type == "startEvent":
        parent = process.elements.get(element.parent_id) if element.parent_id else None
        return parent is not None and parent.triggered_by_event
    return True


def mappable_elements(process: Process) -> list[Element]:
    """The source elements a mapping has a row for, in document order."""
    return [element for element in process.elements.values() if holds_token(element, process)]


def compatible_targets(element: Element, target: Process) -> list[Element]:
    """Target elements a source element may map to: the same kind (what its open rows mean)."""
    kind = element_kind(element)
    return [other for other in mappable_elements(target) if element_kind(other) == kind]


def plan_from_mapping(
    source_definition: ProcessDefinition | uuid.UUID | str,
    target_definition: ProcessDefinition | uuid.UUID | str,
    mapping: Mapping[str, str] | Iterable[tuple[str, str]] | Iterable[list[str]],
) -> MigrationPlan:
    """The plan for a mapping edited by hand, exactly as given: nothing automatic is added, so a
    source element left out stays unmapped.

    Every row is checked before anything runs: the source element exists and can hold a token,
    the target element exists and is of the same kind. MappingRefused names each bad row.
    """
    source_def = _definition(source_definition, "source")
    target_def = _definition(target_definition, "target")
    source, target = process_for(source_def), process_for(target_def)
    rows = mapping.items() if isinstance(mapping, Mapping) else mapping
    errors: dict[str, str] = {}
    instructions: dict[str, str] = {}
    for row in rows:
        if isinstance(row, str) or len(row) != 2 or not all(isinstance(part, str) for part in row):
            raise InvalidInput(f"a mapping instruction is a [source, target] pair of element ids, not {row!r}")
        source_id, target_id = row
        source_element = source.elements.get(source_id)
        target_element = target.elements.get(target_id)
        if source_element is None:
            errors[source_id] = f"'{source_id}' is not an element of v{source_def.version}"
        elif not holds_token(source_element, source):
            kind = kind_label(source_element.type)
            errors[source_id] = f"'{source_id}' ({kind}) never holds a token; leave it unmapped"
        elif target_element is None:
            errors[source_id] = f"'{target_id}' is not an element of v{target_def.version}"
        elif element_kind(target_element) != element_kind(source_element):
            errors[source_id] = (
                f"'{source_id}' is a {kind_label(element_kind(source_element))} but '{target_id}' is a "
                f"{kind_label(element_kind(target_element))}: their open jobs, timers or subscriptions would not fit"
            )
        elif source_id in instructions and instructions[source_id] != target_id:
            errors[source_id] = f"'{source_id}' is mapped twice ('{instructions[source_id]}' and '{target_id}')"
        instructions[source_id] = target_id
    if errors:
        raise MappingRefused(errors)
    return MigrationPlan(source_def.key, target_def.key, tuple(sorted(instructions.items())))
