"""Bulk modification: one list of token instructions applied to every instance of one process version.

The instructions name element ids, and element ids belong to one model, so a
modify batch needs a filter that pins one version (process and version); its
definition key is stored in the batch params beside the instructions:

    {"definition": "<key>", "instructions": [
        {"op": "move", "from": "Task_A", "to": "Task_B"},      # cancel every token in A, start one before B
        {"op": "cancel", "element": "Task_A"},                 # cancel every token in A
        {"op": "start_before", "element": "Task_B"},           # a new token arrives at B
        {"op": "start_after", "element": "Task_B"},            # a new token takes B's only outgoing flow
    ]}

move, start_before and start_after take optional ``variables`` (set on the
process scope, as the instance modification does). Everything is checked
against the pinned version's model before the batch is created
(``check_params``); each item then runs ``services.modification.modify_instance``
inside the instance's lock (``skip_reason`` takes it first). An instance with
no token in a "from"/"cancel" element, no longer active, or migrated to
another version since the batch was submitted is skipped, not failed.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..bpmn.errors import BpmnError
from ..bpmn.model import Element, Process
from ..exceptions import InvalidInput
from ..instance_search import InstanceFilter
from ..models import BatchOperation, ElementInstance, ProcessDefinition, ProcessInstance
from ._command import check_variables, lock_instance
from .deployments import process_for
from .modification import (
    ModificationInstruction,
    cancel_element,
    modify_instance,
    move_tokens,
    start_after,
    start_before,
)

MOVE, CANCEL, START_BEFORE, START_AFTER = "move", "cancel", "start_before", "start_after"
OPS = (MOVE, CANCEL, START_BEFORE, START_AFTER)
OP_LABELS = {
    MOVE: "Move tokens from A to B",
    CANCEL: "Cancel the tokens in A",
    START_BEFORE: "Start a token before B",
    START_AFTER: "Start a token after B",
}
MAX_INSTRUCTIONS = 20
# the fields each op takes: (element fields, whether it takes variables)
_FIELDS: dict[str, tuple[tuple[str, ...], bool]] = {
    MOVE: (("from", "to"), True),
    CANCEL: (("element",), False),
    START_BEFORE: (("element",), True),
    START_AFTER: (("element",), True),
}
_PASS_THROUGH = frozenset({"startEvent", "boundaryEvent"})
_THROWING = frozenset({"endEvent", "intermediateThrowEvent"})


# -- the model: which elements an instruction may name ---------------------------------


def holds_tokens(element: Element) -> bool:
    """A token can wait at the element: activities, catching events, gateways (joins, incidents), jobs.

    Start and boundary events are passed through at once; a throwing or end event
    only holds a token while its job runs or its compensation handlers do.
    """
    if element.type in _PASS_THROUGH:
        return False
    if element.type in _THROWING:
        return element.task is not None or (element.event is not None and element.event.kind == "compensate")
    return True


def _startable_problem(element: Element) -> str:
    """Why a token cannot be started before the element ('' when it can)."""
    if element.type in _PASS_THROUGH:
        return f"'{element.id}' is a {element.type}: a token cannot be started there"
    if element.type == "parallelGateway" and len(element.incoming) > 1:
        return f"'{element.id}' is a joining parallel gateway: start after it or before its successors"
    if element.triggered_by_event:
        return f"'{element.id}' is an event subprocess: it starts only when its event occurs"
    return ""


def source_elements(process: Process) -> list[Element]:
    """Elements a "from"/"cancel" may name, by id."""
    return sorted((e for e in process.elements.values() if holds_tokens(e)), key=lambda e: e.id)


def target_elements(process: Process) -> list[Element]:
    """Elements a "to"/"start_before"/"start_after" may name, by id."""
    return sorted((e for e in process.elements.values() if not _startable_problem(e)), key=lambda e: e.id)


def pinned_definition(filters: InstanceFilter | None) -> ProcessDefinition:
    """The one version a modify batch's filter selects, or InvalidInput saying how to pin it."""
    if filters is None or not filters.process or filters.version is None:
        raise InvalidInput(
            "modify needs a filter that pins one process version (process and version): "
            "its instructions name elements of that version's model"
        )
    definition = ProcessDefinition.objects.filter(bpmn_process_id=filters.process, version=filters.version).first()
    if definition is None:
        raise InvalidInput(f"process '{filters.process}' has no version {filters.version}")
    return definition


def definition_process(definition: ProcessDefinition) -> Process:
    try:
        return process_for(definition)
    except BpmnError:
        raise InvalidInput(
            f"the model of {definition.bpmn_process_id} v{definition.version} cannot be loaded"
        ) from None


# -- submit: check the instructions against the pinned version --------------------------


def check_params(params: dict[str, Any], filters: InstanceFilter | None) -> dict[str, Any]:
    """The batch params to store: the pinned definition and the checked, normalised instructions."""
    definition = pinned_definition(filters)
    process = definition_process(definition)
    instructions = params.get("instructions")
    if not isinstance(instructions, list) or not instructions:
        raise InvalidInput("modify needs at least one instruction")
    if len(instructions) > MAX_INSTRUCTIONS:
        raise InvalidInput(f"modify takes at most {MAX_INSTRUCTIONS} instructions, got {len(instructions)}")
    where = f"{definition.bpmn_process_id} v{definition.version}"
    checked = [_check_instruction(number, value, process, where) for number, value in enumerate(instructions, 1)]
    return {"definition": str(definition.key), "instructions": checked}


def _check_instruction(number: int, value: Any, process: Process, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f'instruction {number} must be an object like {{"op": "move", "from": ..., "to": ...}}')
    op = value.get("op")
    if op not in OPS:
        raise InvalidInput(f"instruction {number}: unknown op {op!r} (expected one of {', '.join(OPS)})")
    names, takes_variables = _FIELDS[op]
    allowed = {"op", *names, *(("variables",) if takes_variables else ())}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise InvalidInput(f"instruction {number} ({op}): unknown fields {', '.join(map(str, unknown))}")
    checked: dict[str, Any] = {"op": op}
    for name in names:
        element_id = value.get(name)
        if not isinstance(element_id, str) or not element_id.strip():
            raise InvalidInput(f"instruction {number} ({op}): '{name}' needs an element id")
        element = process.elements.get(element_id.strip())
        if element is None:
            raise InvalidInput(f"instruction {number} ({op}): '{element_id}' is not an element of {where}")
        if (op == MOVE and name == "from") or op == CANCEL:
            if not holds_tokens(element):
                raise InvalidInput(
                    f"instruction {number} ({op}): '{element.id}' is a {element.type}, where a token never waits"
                )
        else:
            problem = _startable_problem(element)
            if problem:
                raise InvalidInput(f"instruction {number} ({op}): {problem}")
            if op == START_AFTER and len(element.outgoing) != 1:
                raise InvalidInput(
                    f"instruction {number} ({op}): '{element.id}' has {len(element.outgoing)} outgoing "
                    "sequence flows; start after needs exactly one (start before the element you want instead)"
                )
        checked[name] = element.id
    if takes_variables and value.get("variables") is not None:
        variables = check_variables(value["variables"], f"instruction {number} variables")
        if variables:
            checked["variables"] = variables
    return checked


# -- run: one item --------------------------------------------------------------------


def _sources(instructions: list[dict[str, Any]]) -> list[str]:
    """The elements whose tokens the instructions take, except those an earlier instruction starts."""
    started: set[str] = set()
    needed: list[str] = []
    for step in instructions:
        source = step.get("from") if step["op"] == MOVE else step.get("element") if step["op"] == CANCEL else None
        if source and source not in started and source not in needed:
            needed.append(source)
        if step["op"] in (MOVE, START_BEFORE):
            started.add(step.get("to") or step["element"])
    return needed


def skip_reason(batch: BatchOperation, instance_key: uuid.UUID) -> str:
    """Lock the instance (held until the item's transaction ends) and say why it is skipped ('' to apply)."""
    instance = lock_instance(instance_key)
    if instance.state != ProcessInstance.State.ACTIVE:
        return f"instance is {instance.state}"
    if str(instance.definition_id) != batch.params["definition"]:
        return "instance is on another version now (migrated after the batch was submitted)"
    needed = _sources(batch.params["instructions"])
    present = set(
        ElementInstance.objects.filter(
            instance_id=instance_key, state=ElementInstance.State.ACTIVE, element_id__in=needed
        ).values_list("element_id", flat=True)
    )
    missing = [element_id for element_id in needed if element_id not in present]
    if missing:
        return f"no token in {', '.join(missing)}"
    return ""


def _instruction(step: dict[str, Any]) -> ModificationInstruction:
    variables = step.get("variables") or None
    if step["op"] == MOVE:
        return move_tokens(step["from"], step["to"], variables)
    if step["op"] == CANCEL:
        return cancel_element(step["element"])
    if step["op"] == START_BEFORE:
        return start_before(step["element"], variables)
    return start_after(step["element"], variables)


def describe(step: dict[str, Any]) -> str:
    if step["op"] == MOVE:
        return f"moved {step['from']} → {step['to']}"
    if step["op"] == CANCEL:
        return f"cancelled {step['element']}"
    return f"started {'before' if step['op'] == START_BEFORE else 'after'} {step['element']}"


def apply(batch: BatchOperation, instance_key: uuid.UUID) -> str:
    """Apply the batch's instructions to one instance (caller holds its lock: ``skip_reason``)."""
    steps = batch.params["instructions"]
    modify_instance(
        instance_key, actor=batch.created_by, instructions=[_instruction(s) for s in steps], reason=batch.reason
    )
    return "; ".join(describe(s) for s in steps)
