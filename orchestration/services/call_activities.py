"""Call activities around a command's save: start children, cancel them, tell parents.

Lock order is always parent, then child: a parent's command starts children
(new rows, nobody else can hold them) and cancels children (locks them after
its own lock) in its own transaction. A child never locks its parent: when it
ends (or throws an error nobody catches inside it) it writes an internal
"outbox" job on the parent's call activity; Celery (and the sweeper, at least
once) runs it through the built-in handler below, which completes the call
activity with the child's output variables, or throws the child's error at it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import store
from ..bpmn.model import Element
from ..engine import lifecycle
from ..engine.behaviors.call_activity import CALL_ACTIVITY_JOB
from ..engine.mechanics import expressions
from ..engine.runner import Runner
from ..engine.state import CallSpec
from ..handlers import BpmnErrorRaised, JobContext, handler
from ..keys import new_key
from ..models import Job, ProcessDefinition, ProcessInstance, Variable
from .deployments import process_for

if TYPE_CHECKING:
    from ._command import Command

MAX_CALL_DEPTH = 32


class CallFailed(Exception):
    pass


@dataclass
class Pending:
    calls: list[tuple[CallSpec, ProcessDefinition]] = field(default_factory=list)
    notices: list[dict[str, Any]] = field(default_factory=list)
    cancel: list[uuid.UUID] = field(default_factory=list)


def resolve_definition(cmd: Command, spec: CallSpec) -> ProcessDefinition:
    rows = ProcessDefinition.objects.filter(bpmn_process_id=spec.process_id)
    what = f"process '{spec.process_id}'"
    if spec.binding == "deployment":
        rows = rows.filter(deployment_id=cmd.definition.deployment_id)
        what += " in the deployment of the calling process"
    elif spec.binding == "version":
        try:
            rows = rows.filter(version=int(spec.version))
        except ValueError:
            raise CallFailed(f"called element version '{spec.version}' is not a number") from None
        what += f" version {spec.version}"
    elif spec.binding == "versionTag":
        rows = rows.filter(version_tag=spec.version)
        what += f" with version tag '{spec.version}'"
    definition = rows.order_by("-version").first()
    if definition is None:
        raise CallFailed(f"cannot call {what}: no such process definition is deployed")
    if process_for(definition).none_start_event(None) is None:
        raise CallFailed(f"cannot call process '{spec.process_id}': it has no none start event")
    return definition


def before_save(cmd: Command) -> Pending:
    """Resolve the children to start (an unresolvable one is an incident) and collect what to do after the save."""
    ws = cmd.ws
    pending = Pending()
    depth = int((ws.instance.payload.get("called_by") or {}).get("depth", 0))
    for spec in ws.new_calls:
        ei = ws.elements.get(spec.element_instance_key)
        if ei is None or not ei.is_active:
            continue  # terminated in the same command
        try:
            if depth + 1 > MAX_CALL_DEPTH:
                raise CallFailed(f"call depth limit of {MAX_CALL_DEPTH} reached (a process calling itself?)")
            pending.calls.append((spec, resolve_definition(cmd, spec)))
        except CallFailed as exc:
            ei.payload.pop("called_instance", None)
            ei.payload["failed_phase"] = "activate"
            ei.is_dirty = True
            cmd.runner.raise_incident(ei, "called_element", str(exc))
    ws.new_calls.clear()
    pending.notices = list(ws.to_parent)
    ws.to_parent.clear()
    for key in ws.closed_waits:
        ei = ws.elements.get(key)
        if ei is not None and ei.state == lifecycle.TERMINATED and ei.payload.get("called_instance"):
            pending.cancel.append(uuid.UUID(ei.payload["called_instance"]))
    return pending


def after_save(cmd: Command, pending: Pending, *, ended: bool) -> None:
    for spec, definition in pending.calls:
        _start_child(cmd, spec, definition)
    if pending.cancel:
        cancel_children(cmd, pending.cancel)
    if cmd.instance.parent_id is None:
        return
    notices = list(pending.notices)
    if ended and cmd.instance.state == ProcessInstance.State.COMPLETED:
        notices.append({"kind": "completed"})
    for notice in notices:
        _notify_parent(cmd, notice)


def _start_child(cmd: Command, spec: CallSpec, definition: ProcessDefinition) -> None:
    from ._command import Command, finish

    process = process_for(definition)
    ws = store.new_working_set(spec.key, definition.bpmn_process_id, spec.business_key, cmd.now)
    parent_depth = int((cmd.ws.instance.payload.get("called_by") or {}).get("depth", 0))
    ws.instance.payload["called_by"] = {
        "instance": str(cmd.instance.key),
        "element_instance": str(spec.element_instance_key),
        "element_id": spec.element_id,
        "depth": parent_depth + 1,
    }
    runner = Runner(process, ws, now=cmd.now)
    child = Command(None, definition, process, ws, runner, cmd.now, cmd.actor, cmd.dispatch)  # type: ignore[arg-type]
    runner.start(spec.variables)
    finish(child, new_instance=True, parent=cmd.instance, parent_element_instance_key=spec.element_instance_key)
    if not cmd.dispatch:
        cmd.internal_jobs.extend(child.internal_jobs)


def cancel_children(cmd: Command, keys: list[uuid.UUID]) -> None:
    """Cancel called instances (and, through their own commands, their children). Caller holds the parent's lock."""
    from ._command import instance_command

    for key in sorted(
        ProcessInstance.objects.filter(key__in=keys, state=ProcessInstance.State.ACTIVE).values_list("key", flat=True)
    ):
        with instance_command(key, actor=cmd.actor, dispatch=cmd.dispatch, allow_suspended=True) as child:
            child.runner.cancel()
            child.runner.audit(
                "operator_reason", data={"action": "cancel", "reason": "its call activity in the parent instance ended"}
            )


def _notify_parent(cmd: Command, notice: dict[str, Any]) -> None:
    from ._command import dispatch_jobs

    called_by = cmd.ws.instance.payload.get("called_by") or {}
    parent = (
        ProcessInstance.objects.filter(key=cmd.instance.parent_id)
        .values_list("definition_id", "bpmn_process_id", "business_key")
        .first()
    )
    if parent is None or not called_by:
        return
    job = Job.objects.create(
        key=new_key(),
        instance_id=cmd.instance.parent_id,
        definition_id=parent[0],
        bpmn_process_id=parent[1],
        business_key=parent[2],
        element_instance_key=uuid.UUID(called_by["element_instance"]),
        element_id=called_by["element_id"],
        type=CALL_ACTIVITY_JOB,
        internal=True,
        retries=3,
        headers={"child": str(cmd.instance.key), **notice},
        created_at=cmd.now,
        dispatched_at=cmd.now,
    )
    if cmd.dispatch:
        dispatch_jobs([job.key])
    else:
        cmd.internal_jobs.append(job.key)


def output_variables(element: Element, child_variables: dict[str, Any], now) -> dict[str, Any]:
    """What a completed child gives back to its call activity (before the call activity's output mappings)."""
    called = element.called_element
    assert called is not None
    result: dict[str, Any] = {}
    if called.propagate_all_child_variables or element.outputs:
        result.update(child_variables)
    for mapping in called.out_mappings:
        result[mapping.target] = expressions.evaluate_json(
            mapping.source, child_variables, now=now, what=f"output variable '{mapping.target}'"
        )
    return result


@handler(CALL_ACTIVITY_JOB)
def complete_call_activity(job: JobContext) -> dict[str, Any]:
    """Built-in handler of the outbox job: the child's outcome, delivered to the call activity."""
    from ._command import now

    headers = job.headers
    if headers.get("kind") == "error":
        raise BpmnErrorRaised(str(headers.get("code") or "error"), str(headers.get("message") or ""))
    child_key = headers["child"]
    child_variables = dict(
        Variable.objects.filter(instance_id=child_key, scope_key=child_key).values_list("name", "value")
    )
    definition = ProcessInstance.objects.select_related("definition").get(key=job.instance_key).definition
    element = process_for(definition).element(job.element_id)
    return output_variables(element, child_variables, now())
