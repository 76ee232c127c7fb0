"""Process instance modification: an operator moves tokens by hand.

Instructions, applied in order inside one instance lock and one transaction:
- cancel an element instance (by key), or every active instance of an element;
- start before an element: a token arrives at it (its inputs, job, timer, ...
  run as usual), optionally with variables on the new element instance or on
  the process scope;
- start after an element: its single outgoing sequence flow is taken;
- move tokens: cancel every instance of one element, start before another.

Starting inside a subprocess uses its active instance; when it has none, the
missing scopes are created (inputs and scope waits, not their start events), as
Camunda does. When the instructions leave a subprocess without tokens it is
terminated, and when they leave the process without tokens the instance
completes. Anything that cannot be applied (unknown element, an element
instance that is not active, an ambiguous scope, ...) refuses the whole
modification with InvalidInput and changes nothing.

Not supported: starting before a joining parallel gateway, a boundary event or
an event subprocess start; creating a missing multi-instance or event subprocess scope.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from ..bpmn.model import Element
from ..engine.errors import EngineIncident
from ..engine.mechanics import variables as variable_mechanics
from ..engine.runner import Runner
from ..engine.state import ElementInstanceState
from ..exceptions import InvalidInput
from ..models import ProcessInstance
from ._command import check_variables, instance_command

CANCEL = "cancel"
START_BEFORE = "start_before"
START_AFTER = "start_after"
MOVE = "move"
KINDS = (CANCEL, START_BEFORE, START_AFTER, MOVE)


@dataclass(frozen=True)
class ModificationInstruction:
    """One step. Build with the helpers below (or from a dict with the same field names)."""

    kind: str
    element_id: str = ""  # cancel (all), start before/after, move (the source)
    element_instance_key: uuid.UUID | None = None  # cancel (one)
    target_element_id: str = ""  # move
    variables: dict[str, Any] | None = None
    local: bool = (
        False  # variables on the new element instance (start before/move) or the enclosing scope (start after)
    )
    ancestor_element_instance_key: uuid.UUID | None = None  # which scope to start in when several are active

    @classmethod
    def from_value(cls, value: ModificationInstruction | dict[str, Any]) -> ModificationInstruction:
        if isinstance(value, ModificationInstruction):
            return value
        if not isinstance(value, dict):
            raise InvalidInput(f"a modification instruction must be an object, got {type(value).__name__}")
        unknown = set(value) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise InvalidInput(f"unknown instruction fields: {', '.join(sorted(unknown))}")
        data = dict(value)
        for name in ("element_instance_key", "ancestor_element_instance_key"):
            if data.get(name):
                data[name] = _uuid(data[name])
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.element_id:
            data["element_id"] = self.element_id
        if self.element_instance_key:
            data["element_instance_key"] = str(self.element_instance_key)
        if self.target_element_id:
            data["target_element_id"] = self.target_element_id
        if self.variables:
            data["variables"] = sorted(self.variables)
            data["local"] = self.local
        if self.ancestor_element_instance_key:
            data["ancestor_element_instance_key"] = str(self.ancestor_element_instance_key)
        return data


def cancel_element_instance(key: uuid.UUID | str) -> ModificationInstruction:
    return ModificationInstruction(CANCEL, element_instance_key=_uuid(key))


def cancel_element(element_id: str) -> ModificationInstruction:
    return ModificationInstruction(CANCEL, element_id=element_id)


def start_before(
    element_id: str,
    variables: dict[str, Any] | None = None,
    *,
    local: bool = False,
    ancestor_element_instance_key: uuid.UUID | str | None = None,
) -> ModificationInstruction:
    ancestor = _uuid(ancestor_element_instance_key) if ancestor_element_instance_key else None
    return ModificationInstruction(
        START_BEFORE, element_id, variables=variables, local=local, ancestor_element_instance_key=ancestor
    )


def start_after(
    element_id: str,
    variables: dict[str, Any] | None = None,
    *,
    local: bool = False,
    ancestor_element_instance_key: uuid.UUID | str | None = None,
) -> ModificationInstruction:
    ancestor = _uuid(ancestor_element_instance_key) if ancestor_element_instance_key else None
    return ModificationInstruction(
        START_AFTER, element_id, variables=variables, local=local, ancestor_element_instance_key=ancestor
    )


def move_tokens(
    source_element_id: str, target_element_id: str, variables: dict[str, Any] | None = None, *, local: bool = False
) -> ModificationInstruction:
    return ModificationInstruction(
        MOVE, source_element_id, target_element_id=target_element_id, variables=variables, local=local
    )


def _uuid(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(f"'{value}' is not an element instance key") from None


def modify_instance(
    instance_key: uuid.UUID | str,
    *,
    actor: Any,
    instructions: list[ModificationInstruction | dict[str, Any]],
    reason: str = "",
) -> ProcessInstance:
    """Apply the instructions in order, then run until every token waits. All or nothing."""
    steps = [ModificationInstruction.from_value(i) for i in instructions or ()]
    if not steps:
        raise InvalidInput("a modification needs at least one instruction")
    for step in steps:
        if step.kind not in KINDS:
            raise InvalidInput(f"unknown instruction kind '{step.kind}' (expected one of {', '.join(KINDS)})")
        if step.variables is not None:
            check_variables(step.variables, "instruction variables")
    with instance_command(instance_key, actor=actor, allow_suspended=True) as cmd:
        rt = cmd.runner
        rt.audit("instance_modified", data={"instructions": [s.as_dict() for s in steps], "reason": reason})
        touched: list[uuid.UUID | None] = []
        for number, step in enumerate(steps, start=1):
            try:
                _apply(rt, step, touched)
            except EngineIncident as exc:
                raise InvalidInput(f"instruction {number} ({step.kind}): {exc.message}") from None
            except InvalidInput as exc:
                raise InvalidInput(f"instruction {number} ({step.kind}): {exc.message}") from None
        _settle(rt, touched)
        rt.run()
    return cmd.instance


def _apply(rt: Runner, step: ModificationInstruction, touched: list[uuid.UUID | None]) -> None:
    if step.kind == CANCEL:
        if step.element_instance_key is not None:
            ei = rt.ws.elements.get(step.element_instance_key)
            if ei is None or not ei.is_active:
                raise InvalidInput(f"element instance {step.element_instance_key} is not active in this instance")
            _cancel(rt, [ei], touched)
        else:
            _cancel(rt, _active_of(rt, _element(rt, step.element_id)), touched)
    elif step.kind == MOVE:
        target = _element(rt, step.target_element_id)
        _cancel(rt, _active_of(rt, _element(rt, step.element_id)), touched)
        _start_before(rt, target, step)
    elif step.kind == START_BEFORE:
        _start_before(rt, _element(rt, step.element_id), step)
    else:
        _start_after(rt, _element(rt, step.element_id), step)


def _element(rt: Runner, element_id: str) -> Element:
    if not element_id:
        raise InvalidInput("an element id is required")
    element = rt.process.elements.get(element_id)
    if element is None:
        raise InvalidInput(f"'{element_id}' is not an element of process '{rt.process.id}'")
    return element


def _active_of(rt: Runner, element: Element) -> list[ElementInstanceState]:
    found = [ei for ei in rt.ws.active_elements() if ei.element_id == element.id]
    if not found:
        raise InvalidInput(f"'{element.id}' has no active element instance")
    return found


def _cancel(rt: Runner, eis: list[ElementInstanceState], touched: list[uuid.UUID | None]) -> None:
    for ei in eis:
        if ei.is_active:  # an earlier one of the list may have been its scope
            rt.terminate(ei)
            touched.append(ei.scope_key)


def _startable(element: Element) -> None:
    if element.attached_to:
        raise InvalidInput(f"boundary event '{element.id}' starts only when its event occurs")
    if element.type == "parallelGateway" and len(element.incoming) > 1:
        raise InvalidInput(
            f"cannot start before joining parallel gateway '{element.id}'; start after it or before its successors"
        )


def _start_before(rt: Runner, element: Element, step: ModificationInstruction) -> None:
    _startable(element)
    scope_key = _scope_for(rt, element, step.ancestor_element_instance_key)
    before = set(rt.ws.elements)
    rt.activate(element, scope_key, "")
    if step.variables:
        if step.local:
            (ei,) = [e for k, e in rt.ws.elements.items() if k not in before and e.element_id == element.id]
            for name, value in step.variables.items():
                variable_mechanics.set_local(rt.ws, ei.key, name, value)
        else:
            rt.set_variables(rt.ws.root_scope, step.variables)


def _start_after(rt: Runner, element: Element, step: ModificationInstruction) -> None:
    if len(element.outgoing) != 1:
        raise InvalidInput(
            f"start after '{element.id}' needs exactly one outgoing sequence flow, it has {len(element.outgoing)}; "
            "start before the element you want instead"
        )
    scope_key = _scope_for(rt, element, step.ancestor_element_instance_key)
    if step.variables:
        target_scope = scope_key if step.local and scope_key is not None else rt.ws.root_scope
        rt.set_variables(target_scope, step.variables)
    rt.take(rt.process.flows[element.outgoing[0]], scope_key)


def _scope_for(rt: Runner, element: Element, ancestor: uuid.UUID | None) -> uuid.UUID | None:
    """The active scope instance a new token for `element` lives in; missing scopes are created."""
    if element.parent_id is None:
        return None
    parent = rt.process.element(element.parent_id)
    candidates = [ei for ei in rt.ws.active_elements() if ei.element_id == parent.id]
    if ancestor is not None:
        if ancestor not in rt.ws.elements or not rt.ws.elements[ancestor].is_active:
            raise InvalidInput(f"ancestor element instance {ancestor} is not active in this instance")
        candidates = [ei for ei in candidates if _within(rt, ei, ancestor)]
    if len(candidates) == 1:
        return candidates[0].key
    if len(candidates) > 1:
        raise InvalidInput(
            f"'{parent.id}' has {len(candidates)} active instances; name the one to start '{element.id}' in "
            "with ancestor_element_instance_key"
        )
    if parent.triggered_by_event or parent.multi_instance is not None or parent.type != "subProcess":
        raise InvalidInput(f"'{element.id}' is inside '{parent.id}', which has no active instance to start it in")
    grand = _scope_for(rt, parent, ancestor)
    scope = rt.create_element_instance(parent, grand, "")
    # what activating the subprocess does, except entering its start event
    if parent.inputs:
        rt.apply_inputs(scope, parent)
    registry = rt.behavior_registry()
    registry.on_activated(rt, scope, parent)
    registry.on_scope_started(rt, scope)
    return scope.key


def _within(rt: Runner, ei: ElementInstanceState, ancestor: uuid.UUID) -> bool:
    current: ElementInstanceState | None = ei
    while current is not None:
        if current.key == ancestor:
            return True
        current = rt.ws.elements.get(current.scope_key) if current.scope_key else None
    return False


def _settle(rt: Runner, touched: list[uuid.UUID | None]) -> None:
    """Scopes left without tokens end: a subprocess is terminated, the process completes."""
    pending = list(touched)
    while pending:
        scope_key = pending.pop()
        if rt.ws.active_children(scope_key):
            continue
        if scope_key is None:
            rt.check_scope_completion(None)
            continue
        scope = rt.ws.elements.get(scope_key)
        if scope is not None and scope.is_active:
            rt.terminate(scope)
            pending.append(scope.scope_key)
