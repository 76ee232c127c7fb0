"""Start, cancel, and set variables of process instances."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from .. import store
from ..engine.runner import Runner
from ..exceptions import InvalidInput, InvalidState, NotFound
from ..keys import new_key
from ..models import ProcessDefinition, ProcessInstance
from ._command import Command, actor_name, check_variables, finish, instance_command, now
from .deployments import process_for


def latest_definition(bpmn_process_id: str) -> ProcessDefinition:
    definition = ProcessDefinition.objects.filter(bpmn_process_id=bpmn_process_id).order_by("-version").first()
    if definition is None:
        raise NotFound(f"no process definition with id '{bpmn_process_id}' is deployed")
    return definition


def start_instance(
    process_id: str | None = None,
    *,
    actor: Any,
    definition: ProcessDefinition | None = None,
    variables: dict[str, Any] | None = None,
    business_key: str = "",
    start_element_id: str | None = None,
    dispatch: bool = True,
) -> ProcessInstance:
    """Create an instance (latest version unless a definition is given) and run it until it waits."""
    variables = check_variables(variables)
    if business_key and len(business_key) > 255:
        raise InvalidInput("business key must be at most 255 characters")
    if definition is None:
        if not process_id:
            raise InvalidInput("a process id or a definition is required")
        definition = latest_definition(process_id)
    process = process_for(definition)
    if start_element_id is None and process.none_start_event(None) is None:
        raise InvalidInput(
            f"process '{definition.bpmn_process_id}' has no none start event; start it by its message or timer"
        )
    moment = now()
    key = new_key()
    ws = store.new_working_set(key, definition.bpmn_process_id, business_key or "", moment)
    runner = Runner(process, ws, now=moment)
    with transaction.atomic():
        cmd = Command(
            instance=None,  # type: ignore[arg-type]
            definition=definition,
            process=process,
            ws=ws,
            runner=runner,
            now=moment,
            actor=actor_name(actor),
            dispatch=dispatch,
        )
        runner.start(variables, start_element_id=start_element_id)
        finish(cmd, new_instance=True)
    instance = cmd.instance
    instance._internal_jobs = cmd.internal_jobs  # for callers that run jobs inline (benchmarks)
    return instance


def cancel_instance(instance_key: uuid.UUID | str, *, actor: Any, reason: str = "") -> ProcessInstance:
    with instance_command(instance_key, actor=actor, allow_suspended=True) as cmd:
        if cmd.instance.parent_id is not None:
            raise InvalidState(
                f"process instance {cmd.instance.key} is called by instance {cmd.instance.parent_id}; cancel that one (or its root) instead"
            )
        cmd.runner.cancel()
        if reason:
            cmd.runner.audit("operator_reason", data={"action": "cancel", "reason": reason})
    return cmd.instance


def set_variables(
    instance_key: uuid.UUID | str,
    variables: dict[str, Any],
    *,
    actor: Any,
    scope_key: uuid.UUID | str | None = None,
    reason: str = "",
) -> ProcessInstance:
    """Set variables on the process scope (or a given element instance scope); audited with a diff."""
    variables = check_variables(variables)
    with instance_command(instance_key, actor=actor, allow_suspended=True) as cmd:
        scope = cmd.ws.root_scope
        if scope_key:
            scope = uuid.UUID(str(scope_key))
            if scope != cmd.ws.root_scope and scope not in cmd.ws.elements:
                raise NotFound(f"scope {scope_key} is not an active element instance of this process instance")
        current = cmd.ws.variables.get(scope, {})
        diff = {
            name: {"old": current.get(name), "new": value, "created": name not in current}
            for name, value in variables.items()
            if name not in current or current[name] != value
        }
        cmd.runner.set_variables(scope, variables)
        cmd.runner.audit(
            "variables_updated",
            data={"scope": str(scope), "diff": diff, **({"reason": reason} if reason else {})},
        )
    return cmd.instance


def trigger_element_instance(
    instance_key: uuid.UUID | str,
    element_instance_key: uuid.UUID | str,
    *,
    actor: Any,
    variables: dict[str, Any] | None = None,
) -> ProcessInstance:
    """Continue a receive task that waits without a message (Camunda 7 "signal execution")."""
    variables = check_variables(variables)
    with instance_command(instance_key, actor=actor) as cmd:
        try:
            key = uuid.UUID(str(element_instance_key))
        except ValueError:
            raise NotFound(f"element instance {element_instance_key} not found") from None
        ei = cmd.ws.elements.get(key)
        if ei is None:
            raise NotFound(f"element instance {element_instance_key} is not active in this instance")
        # a receive task with a message waits for it (its boundary events may add other waits)
        if ei.element_type != "receiveTask" or cmd.process.element(ei.element_id).event is not None:
            raise InvalidInput(f"element '{ei.element_id}' is not waiting for a trigger")
        cmd.runner.audit("element_triggered", ei.element_id, ei.key, {"variables": sorted(variables)})
        cmd.runner.complete_element(ei.key, variables)
    return cmd.instance
