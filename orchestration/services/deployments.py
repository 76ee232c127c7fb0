"""Deploy BPMN: parse, validate, check the engine runs every element, version, set start triggers."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ..bpmn import BpmnError, parse_bpmn
from ..bpmn.model import Expr, Problem, Process
from ..conf import setting
from ..engine.mechanics import timers as timer_mechanics
from ..engine.registry import check_support
from ..exceptions import DeploymentRefused
from ..feel import FeelError, compile_expression
from ..models import AuditEvent, Deployment, MessageSubscription, ProcessDefinition, SignalSubscription, Timer

_CACHE_SIZE = 256
_cache: OrderedDict[uuid.UUID, Process] = OrderedDict()
_cache_lock = threading.Lock()


def process_for(definition: ProcessDefinition) -> Process:
    """The compiled model of a definition version (cached: versions are immutable)."""
    with _cache_lock:
        process = _cache.get(definition.key)
        if process is not None:
            _cache.move_to_end(definition.key)
            return process
    xml = Deployment.objects.values_list("xml", flat=True).get(key=definition.deployment_id)
    process = parse_bpmn(xml, max_bytes=max(len(xml.encode()) + 1, setting("MAX_XML_BYTES"))).process(
        definition.bpmn_process_id
    )
    with _cache_lock:
        _cache[definition.key] = process
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return process


_definitions: dict[uuid.UUID, ProcessDefinition] = {}


def definition_by_key(key: uuid.UUID) -> ProcessDefinition:
    """Definition rows are immutable except startable_in_tasklist; cache them per process."""
    definition = _definitions.get(key)
    if definition is None:
        definition = ProcessDefinition.objects.get(key=key)
        if len(_definitions) > 4096:
            _definitions.clear()
        _definitions[key] = definition
    return definition


@dataclass
class DeployResult:
    deployment: Deployment | None
    definitions: list[ProcessDefinition]
    created: bool


def _expressions(value: Any, element_id: str | None, line: int | None, out: list) -> None:
    if isinstance(value, Expr):
        out.append((value, element_id, line))
    elif is_dataclass(value):
        for f in fields(value):
            _expressions(getattr(value, f.name), element_id, line, out)
    elif isinstance(value, (tuple, list)):
        for item in value:
            _expressions(item, element_id, line, out)


def expression_problems(process: Process) -> list[Problem]:
    found: list[tuple[Expr, str | None, int | None]] = []
    for element in process.elements.values():
        _expressions(element, element.id, element.line, found)
    for flow in process.flows.values():
        if flow.condition is not None:
            found.append((flow.condition, flow.id, flow.line))
    problems = []
    for expr, element_id, line in found:
        if expr.dialect == "static":
            continue
        try:
            compile_expression(expr.source, expr.dialect)
        except FeelError as exc:
            problems.append(Problem(f"invalid expression '{expr.source}': {exc}", element_id=element_id, line=line))
    return problems


def validate_for_deploy(xml: bytes | str) -> tuple[Any, list[Problem]]:
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        definitions = parse_bpmn(data, max_bytes=setting("MAX_XML_BYTES"))
    except BpmnError as exc:
        return None, list(exc.problems)
    problems: list[Problem] = []
    executable = definitions.executable_processes
    if not executable:
        problems.append(Problem('the file has no executable process (set isExecutable="true" on a process)'))
    for process in executable:
        problems.extend(check_support(process))
        problems.extend(expression_problems(process))
        problems.extend(start_trigger_problems(process))
    return definitions, problems


def start_trigger_problems(process: Process) -> list[Problem]:
    """Timer start events must have a schedule computable at deploy time."""
    from ..engine.errors import EngineIncident
    from ..engine.mechanics import expressions

    problems = []
    now = timezone.now()
    for start in process.start_events(None):
        if start.event is None or start.event.kind != "timer" or start.event.timer is None:
            continue
        try:
            value = expressions.evaluate(start.event.timer.expr, {}, now=now, what="start timer")
            timer_mechanics.schedule_for(start.event.timer.kind, value, now)
        except EngineIncident as exc:
            problems.append(Problem(f"timer start event: {exc.message}", element_id=start.id, line=start.line))
    return problems


def deploy(xml: bytes | str, *, actor: Any, resource_name: str = "process.bpmn", name: str = "") -> DeployResult:
    """Deploy a BPMN file. Identical XML is a no-op; any problem refuses the whole file."""
    from ._command import actor_name

    data = xml.encode() if isinstance(xml, str) else xml
    definitions, problems = validate_for_deploy(data)
    if problems:
        raise DeploymentRefused(problems)
    text = data.decode("utf-8", errors="replace")
    digest = hashlib.sha256(data).hexdigest()
    who = actor_name(actor)
    now = timezone.now()
    with transaction.atomic():
        processes = definitions.executable_processes
        latest: dict[str, ProcessDefinition] = {}
        for process in processes:
            row = (
                ProcessDefinition.objects.select_for_update()
                .select_related("deployment")
                .filter(bpmn_process_id=process.id)
                .order_by("-version")
                .first()
            )
            if row is not None:
                latest[process.id] = row
        if latest and len(latest) == len(processes) and all(r.deployment.xml_hash == digest for r in latest.values()):
            return DeployResult(None, list(latest.values()), created=False)
        deployment = Deployment.objects.create(
            name=name or resource_name,
            resource_name=resource_name,
            xml=text,
            xml_hash=digest,
            deployed_by=actor if getattr(actor, "pk", None) else None,
        )
        created = []
        for process in processes:
            previous = latest.get(process.id)
            version = (
                ProcessDefinition.objects.filter(bpmn_process_id=process.id).aggregate(v=Max("version"))["v"] or 0
            ) + 1
            definition = ProcessDefinition.objects.create(
                bpmn_process_id=process.id,
                version=version,
                name=process.name or "",
                version_tag=process.version_tag or "",
                deployment=deployment,
                flavour=definitions.flavour,
            )
            created.append(definition)
            with _cache_lock:
                _cache[definition.key] = process
            if previous is not None:
                _retire_start_triggers(previous)
            _create_start_triggers(definition, process, now)
            AuditEvent.objects.create(
                type="process_deployed",
                actor=who,
                data={
                    "process": process.id,
                    "version": version,
                    "definition": str(definition.key),
                    "resource": resource_name,
                },
                created_at=now,
            )
    return DeployResult(deployment, created, created=True)


def _retire_start_triggers(definition: ProcessDefinition) -> None:
    Timer.objects.filter(definition=definition, instance__isnull=True, state=Timer.State.SCHEDULED).update(
        state=Timer.State.CANCELLED
    )
    MessageSubscription.objects.filter(
        definition=definition, instance__isnull=True, state=MessageSubscription.State.OPEN
    ).update(state=MessageSubscription.State.CLOSED)
    SignalSubscription.objects.filter(
        definition=definition, instance__isnull=True, state=SignalSubscription.State.OPEN
    ).update(state=SignalSubscription.State.CLOSED)


def _create_start_triggers(definition: ProcessDefinition, process: Process, now) -> None:
    from ..engine.mechanics import expressions
    from ..feel import to_json

    for start in process.start_events(None):
        event = start.event
        if event is None:
            continue
        if event.kind == "timer" and event.timer is not None:
            value = expressions.evaluate(event.timer.expr, {}, now=now, what="start timer")
            schedule = timer_mechanics.schedule_for(event.timer.kind, value, now)
            Timer.objects.create(
                definition=definition,
                element_id=start.id,
                due_at=schedule.due_at,
                repetitions=schedule.repetitions,
                cycle=schedule.cycle,
                created_at=now,
            )
        elif event.kind == "message" and event.message_name is not None:
            name = expressions.evaluate(event.message_name, {}, now=now, what="message name")
            MessageSubscription.objects.create(
                definition=definition,
                element_id=start.id,
                message_name=str(to_json(name)),
                created_at=now,
            )
        elif event.kind == "signal" and event.signal_name is not None:
            name = expressions.evaluate(event.signal_name, {}, now=now, what="signal name")
            SignalSubscription.objects.create(
                definition=definition,
                element_id=start.id,
                signal_name=str(to_json(name)),
                created_at=now,
            )
