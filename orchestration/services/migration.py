"""Migrate running instances from one process version to another.

A migration plan maps element ids of the source version to element ids of the
target version. `generate_plan` maps every element that keeps its id and its
kind (a job task stays a job task, a user task a user task, a timer catch
event a timer catch event, ...); explicit instructions add to or override the
generated ones. `validate_plan` reports, per instance, every active element
(tokens, subprocess scopes, waiting joins) and every open wait that cannot be
mapped, and why. `migrate_instances` runs nothing while any selected instance
is invalid (unless skip_invalid), then migrates each instance in its own
transaction inside its lock: the instance switches version, its active element
instances are renamed, and their open jobs, timers, message and signal
subscriptions, user tasks and incidents follow (a job keeps its type, retries
and lock, as in Camunda).

Not here: waits for elements the target adds on a migrated element (a new
boundary event, a new event subprocess start) are not opened; engine
bookkeeping in payloads that names element ids (compensation records) is not
rewritten; multi-instance bodies migrate only with their element kind unchanged.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from ..bpmn.model import Element, Process
from ..exceptions import InvalidInput, NotFound
from ..models import (
    ElementInstance,
    Incident,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    SignalSubscription,
    Timer,
    UserTask,
)
from ._command import instance_command
from .deployments import process_for
from .migration_kinds import kind_label

_JOB_TASKS = frozenset({"serviceTask", "sendTask", "businessRuleTask"})


class MigrationRefused(InvalidInput):
    """Some selected instances cannot be migrated with this plan; `report` says why, per instance."""

    code = "migration_refused"

    def __init__(self, report: dict[uuid.UUID, list[str]]):
        self.report = report
        lines = [f"{key}: {'; '.join(problems)}" for key, problems in report.items()]
        super().__init__(f"{len(report)} instance(s) cannot be migrated: " + " | ".join(lines))


@dataclass(frozen=True)
class MigrationPlan:
    source_definition_key: uuid.UUID
    target_definition_key: uuid.UUID
    instructions: tuple[tuple[str, str], ...]  # (source element id, target element id)

    @property
    def mapping(self) -> dict[str, str]:
        return dict(self.instructions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_definition": str(self.source_definition_key),
            "target_definition": str(self.target_definition_key),
            "instructions": [[source, target] for source, target in self.instructions],
        }


@dataclass
class MigrationResult:
    migrated: list[uuid.UUID] = field(default_factory=list)
    skipped: dict[uuid.UUID, list[str]] = field(default_factory=dict)


def element_kind(element: Element) -> str:
    """What an element waits on, as far as migration cares: two elements are compatible
    when their kinds are equal (the open rows of one mean the same for the other)."""
    kind = element.type
    if element.type in _JOB_TASKS or (element.type == "scriptTask" and element.task is not None):
        kind = "job task"
    elif element.type == "userTask":
        kind = "job worker user task" if element.task is not None and element.user_task is None else "user task"
    elif element.event is not None:
        kind = f"{element.event.kind} {element.type}"
    elif element.type == "subProcess" and element.triggered_by_event:
        kind = "event subprocess"
    if element.multi_instance is not None:
        kind += " (sequential multi-instance)" if element.multi_instance.sequential else " (parallel multi-instance)"
    return kind


def _definition(value: ProcessDefinition | uuid.UUID | str, what: str) -> ProcessDefinition:
    if isinstance(value, ProcessDefinition):
        return value
    try:
        return ProcessDefinition.objects.get(key=value)
    except (ProcessDefinition.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(f"{what} definition {value} not found") from None


def generate_plan(
    source_definition: ProcessDefinition | uuid.UUID | str,
    target_definition: ProcessDefinition | uuid.UUID | str,
    *,
    instructions: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    auto: bool = True,
) -> MigrationPlan:
    """Map same-id, same-kind elements automatically; explicit instructions add or override.

    Unknown element ids in explicit instructions are refused here (InvalidInput);
    kind changes are reported per active element by validate_plan.
    """
    source_def = _definition(source_definition, "source")
    target_def = _definition(target_definition, "target")
    source, target = process_for(source_def), process_for(target_def)
    mapping: dict[str, str] = {}
    if auto:
        for element_id, element in source.elements.items():
            other = target.elements.get(element_id)
            if other is not None and element_kind(other) == element_kind(element):
                mapping[element_id] = element_id
    explicit = list(instructions.items() if isinstance(instructions, Mapping) else instructions or ())
    problems = []
    for source_id, target_id in explicit:
        if source_id not in source.elements:
            problems.append(f"'{source_id}' is not an element of {source_def}")
        if target_id not in target.elements:
            problems.append(f"'{target_id}' is not an element of {target_def}")
        mapping[source_id] = target_id
    if problems:
        raise InvalidInput("invalid migration instructions: " + "; ".join(problems))
    return MigrationPlan(source_def.key, target_def.key, tuple(sorted(mapping.items())))


# -- validation ----------------------------------------------------------------


@dataclass
class _Snapshot:
    """What validation looks at for one instance: its row, active element instances, open waits."""

    instance: ProcessInstance
    elements: list[ElementInstance]
    waits: list[tuple[str, Any]]  # (kind, row)


_WAIT_MODELS: tuple[tuple[str, Any, dict[str, Any]], ...] = (
    ("job", Job, {"state__in": [*Job.OPEN_STATES, Job.State.ERROR_THROWN]}),
    ("timer", Timer, {"state__in": [Timer.State.SCHEDULED, Timer.State.FIRING]}),
    ("message subscription", MessageSubscription, {"state": MessageSubscription.State.OPEN}),
    ("signal subscription", SignalSubscription, {"state": SignalSubscription.State.OPEN}),
    ("user task", UserTask, {"state": UserTask.State.CREATED}),
    ("incident", Incident, {"state": Incident.State.OPEN}),
)


def _snapshots(keys: list[uuid.UUID]) -> dict[uuid.UUID, _Snapshot]:
    instances = ProcessInstance.objects.filter(key__in=keys)
    snaps = {i.key: _Snapshot(i, [], []) for i in instances}
    for row in ElementInstance.objects.filter(instance_id__in=keys, state=ElementInstance.State.ACTIVE).order_by(
        "started_at"
    ):
        snaps[row.instance_id].elements.append(row)
    active = {row.key for snap in snaps.values() for row in snap.elements}
    for kind, model, open_filter in _WAIT_MODELS:
        for row in model.objects.filter(instance_id__in=keys, **open_filter):
            if kind == "job" and row.state == Job.State.ERROR_THROWN and row.element_instance_key not in active:
                continue  # the error was caught (or the element ended since): a final row, not a wait
            snaps[row.instance_id].waits.append((kind, row))
    return snaps


def _problems(plan: MigrationPlan, snap: _Snapshot | None, source: Process, target: Process) -> list[str]:
    if snap is None:
        return ["instance not found"]
    instance = snap.instance
    if instance.state != ProcessInstance.State.ACTIVE:
        return [f"instance is {instance.state}, not active"]
    if instance.definition_id != plan.source_definition_key:
        return [
            f"instance runs on definition {instance.definition_id}, not on the plan's source {plan.source_definition_key}"
        ]
    mapping = plan.mapping
    by_key = {row.key: row for row in snap.elements}
    problems: list[str] = []
    for row in snap.elements:
        problems.extend(_element_problems(row, by_key, mapping, source, target))
    for kind, row in snap.waits:
        if kind == "incident":
            continue  # an incident always names its own element instance's element
        owner = by_key.get(row.element_instance_key)
        if owner is not None and row.element_id == owner.element_id:
            continue  # follows its element instance, checked above
        owner_target = mapping.get(owner.element_id) if owner is not None else None
        where = f"'{owner.element_id}'" if owner is not None else "the process"
        if row.element_id not in mapping:
            if _fits_same_id(row.element_id, source, target):  # only a hand-edited mapping leaves it out
                problems.append(f"{row.element_id}: you left it unmapped; its open {kind} cannot move")
            else:
                problems.append(f"open {kind} of '{row.element_id}' (on {where}) has no mapping instruction")
            continue
        wait_target = target.elements.get(mapping[row.element_id])
        if wait_target is None:
            problems.append(
                f"open {kind} of '{row.element_id}' maps to '{mapping[row.element_id]}', which the target version lacks"
            )
        elif owner is not None and wait_target.attached_to and owner_target and wait_target.attached_to != owner_target:
            problems.append(
                f"open {kind} of '{row.element_id}' maps to '{wait_target.id}', which is attached to "
                f"'{wait_target.attached_to}', not to '{owner_target}'"
            )
    return problems


def _fits_same_id(element_id: str, source: Process, target: Process) -> bool:
    """Whether the automatic plan would map the element to itself (same id, same kind in the target)."""
    mine, same = source.elements.get(element_id), target.elements.get(element_id)
    return mine is not None and same is not None and element_kind(mine) == element_kind(same)


def _element_problems(
    row: ElementInstance,
    by_key: dict[uuid.UUID, ElementInstance],
    mapping: dict[str, str],
    source: Process,
    target: Process,
) -> list[str]:
    element_id = row.element_id
    source_element = source.elements.get(element_id)
    if source_element is None:
        return [f"active element '{element_id}' is not part of the source version"]
    if element_id not in mapping:
        same = target.elements.get(element_id)
        if _fits_same_id(element_id, source, target):  # the automatic row was set to "unmapped" by hand
            return [f"{element_id}: you left it unmapped; tokens there cannot move"]
        if same is not None:
            return [
                f"active element '{element_id}' has no mapping instruction: it is a "
                f"{kind_label(element_kind(source_element))} and the target's '{element_id}' is a "
                f"{kind_label(element_kind(same))}"
            ]
        return [f"active element '{element_id}' has no mapping instruction (the target version has no '{element_id}')"]
    target_id = mapping[element_id]
    target_element = target.elements.get(target_id)
    if target_element is None:
        return [f"active element '{element_id}' maps to '{target_id}', which the target version lacks"]
    problems = []
    if element_kind(target_element) != element_kind(source_element):
        problems.append(
            f"active element '{element_id}' is a {kind_label(element_kind(source_element))} but its target "
            f"'{target_id}' is a {kind_label(element_kind(target_element))}"
        )
    parent = by_key.get(row.scope_key) if row.scope_key else None
    if parent is not None and parent.element_id == element_id:
        return problems  # an inner instance of a multi-instance body: the body's scope was checked
    expected_parent = mapping.get(parent.element_id) if parent is not None else None
    if (parent is None or expected_parent is not None) and target_element.parent_id != expected_parent:
        inside = f"'{target_element.parent_id}'" if target_element.parent_id else "the process"
        wanted = f"'{expected_parent}'" if expected_parent else "the process"
        problems.append(
            f"active element '{element_id}' maps to '{target_id}' inside {inside}, but its scope maps to {wanted}"
        )
    arrived = (row.payload or {}).get("arrived")
    if arrived:
        missing = [f for f in arrived if f not in target.flows or target.flows[f].target != target_id]
        if missing:
            problems.append(
                f"waiting join '{element_id}' has tokens from flows the target version does not lead into "
                f"'{target_id}': {', '.join(missing)}"
            )
    return problems


def _instance_keys(selection: Any) -> list[uuid.UUID]:
    if isinstance(selection, QuerySet):
        return list(selection.values_list("key", flat=True))
    if isinstance(selection, Mapping):
        return list(ProcessInstance.objects.filter(**selection).values_list("key", flat=True))
    if isinstance(selection, (str, uuid.UUID)):
        selection = [selection]
    keys = []
    for value in selection:
        try:
            keys.append(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))
        except ValueError:
            raise InvalidInput(f"'{value}' is not a process instance key") from None
    return list(dict.fromkeys(keys))


def _processes(plan: MigrationPlan) -> tuple[Process, Process]:
    return (
        process_for(_definition(plan.source_definition_key, "source")),
        process_for(_definition(plan.target_definition_key, "target")),
    )


def validate_plan(plan: MigrationPlan, instance_keys: Any) -> dict[uuid.UUID, list[str]]:
    """Per selected instance, what cannot be migrated and why (an empty list: it can be).

    `instance_keys`: keys, a ProcessInstance queryset, or a dict of filter arguments.
    A read without locks (a preview); migrate_instances validates again under each lock.
    """
    source, target = _processes(plan)
    keys = _instance_keys(instance_keys)
    report: dict[uuid.UUID, list[str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        snaps = _snapshots(chunk)
        for key in chunk:
            report[key] = _problems(plan, snaps.get(key), source, target)
    return report


# -- execution -----------------------------------------------------------------


def migrate_instances(
    plan: MigrationPlan, instance_keys: Any, *, actor: Any, skip_invalid: bool = False
) -> MigrationResult:
    """Migrate every selected instance, each in its own transaction inside its lock.

    Nothing runs while any selected instance is invalid (MigrationRefused with the
    report), unless skip_invalid: then the invalid ones are skipped and reported.
    An instance that changed between the check and its turn is validated again
    under its lock and skipped if it no longer fits.
    """
    report = validate_plan(plan, instance_keys)
    invalid = {key: problems for key, problems in report.items() if problems}
    if invalid and not skip_invalid:
        raise MigrationRefused(invalid)
    result = MigrationResult(skipped=dict(invalid))
    source, target = _processes(plan)
    for key in report:
        if key in invalid:
            continue
        try:
            _migrate_locked(plan, key, source, target, actor)
        except MigrationRefused as refused:
            result.skipped.update(refused.report)
        except NotFound:
            result.skipped[key] = ["instance not found"]
        else:
            result.migrated.append(key)
    return result


def migrate_instance(plan: MigrationPlan, instance_key: uuid.UUID | str, *, actor: Any) -> ProcessInstance:
    """Migrate one instance (MigrationRefused says why when it cannot be)."""
    source, target = _processes(plan)
    key = _instance_keys([instance_key])[0]
    _migrate_locked(plan, key, source, target, actor)
    return ProcessInstance.objects.get(key=key)


def _migrate_locked(plan: MigrationPlan, key: uuid.UUID, source: Process, target: Process, actor: Any) -> None:
    with instance_command(key, actor=actor, require_active=False, allow_suspended=True) as cmd:
        snap = _snapshots([key]).get(key)
        problems = _problems(plan, snap, source, target)
        if problems:
            raise MigrationRefused({key: problems})
        assert snap is not None
        target_def = _definition(plan.target_definition_key, "target")
        mapping = plan.mapping
        renamed = []
        for row in snap.elements:
            new_id = mapping[row.element_id]
            renamed.append([str(row.key), row.element_id, new_id])
            # an engine-made type (a multi-instance body) stays; a plain one follows the element
            if row.element_type == source.element(row.element_id).type:
                row.element_type = target.element(new_id).type
            row.element_id = new_id
        ElementInstance.objects.bulk_update(snap.elements, ["element_id", "element_type"])
        _follow_waits(snap, mapping, target_def)
        ProcessInstance.objects.filter(key=key).update(
            definition=target_def, bpmn_process_id=target_def.bpmn_process_id, updated_at=cmd.now
        )
        cmd.runner.audit(
            "instance_migrated",
            data={
                **plan.as_dict(),
                "source_version": cmd.definition.version,
                "target_version": target_def.version,
                "elements": renamed,
                "actor": cmd.actor,
            },
        )


def _follow_waits(snap: _Snapshot, mapping: dict[str, str], target_def: ProcessDefinition) -> None:
    """Open rows of migrated elements take the new element ids (grouped by kind and rename)."""
    groups: dict[tuple[str, str], list[uuid.UUID]] = {}
    models = {kind: model for kind, model, _ in _WAIT_MODELS}
    for kind, row in snap.waits:
        new_id = mapping.get(row.element_id, row.element_id)
        groups.setdefault((kind, new_id), []).append(row.key)
    # every open row moves to the target definition, renamed or not
    for (kind, new_id), keys in groups.items():
        model = models[kind]
        values: dict[str, Any] = {"element_id": new_id}
        if model in (Job, Timer, MessageSubscription, SignalSubscription):
            values["definition"] = target_def
        if model in (Job, UserTask, Incident):
            values["bpmn_process_id"] = target_def.bpmn_process_id
        model.objects.filter(key__in=keys).update(**values)
