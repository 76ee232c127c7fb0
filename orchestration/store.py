"""The only ORM code the engine's commands use: load a working set, write it back.

Caller holds the instance lock (inside the service's transaction).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.db.models import F

from . import notify
from .engine import lifecycle
from .engine.state import ElementInstanceState, InstanceState, WorkingSet
from .models import (
    AuditEvent,
    ElementInstance,
    Incident,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    SignalSubscription,
    Timer,
    UserTask,
    Variable,
)
from .models.incidents import fingerprint

WAIT_KINDS = ("job", "timer", "subscription", "user_task", "incident", "signal")


_COPY_PLANS: dict[type, tuple[str, list]] = {}


def _copy_plan(model) -> tuple[str, list]:
    """The COPY statement and per-field value getters of a model, worked out once."""
    plan = _COPY_PLANS.get(model)
    if plan is not None:
        return plan
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    getters = []
    for f in fields:
        if isinstance(f, models.JSONField):
            getters.append(lambda row, name=f.attname: json.dumps(getattr(row, name), cls=DjangoJSONEncoder))
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            getters.append(lambda row, f=f: f.pre_save(row, add=True))
        else:
            getters.append(lambda row, name=f.attname: getattr(row, name))
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    plan = (sql, getters)
    _COPY_PLANS[model] = plan
    return plan


def insert_rows(model, rows: list) -> None:
    """Insert many new rows. On PostgreSQL with COPY (several times cheaper than a
    parameterised multi-row INSERT for the audit and element rows every command
    writes), elsewhere with bulk_create. Rows carry their primary keys or use a
    database default (AuditEvent's serial id); JSON fields here are never SQL NULL."""
    if not rows:
        return
    if connection.vendor != "postgresql" or len(rows) < 4:
        model.objects.bulk_create(rows)
        return
    sql, getters = _copy_plan(model)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row([get(row) for get in getters])


def load(instance: ProcessInstance) -> WorkingSet:
    ws = WorkingSet(
        instance=InstanceState(
            key=instance.key,
            bpmn_process_id=instance.bpmn_process_id,
            business_key=instance.business_key,
            state=instance.state,
            started_at=instance.started_at,
            ended_at=instance.ended_at,
            payload=instance.payload or {},
        )
    )
    for row in ElementInstance.objects.filter(instance=instance, state=ElementInstance.State.ACTIVE):
        ws.elements[row.key] = ElementInstanceState(
            key=row.key,
            element_id=row.element_id,
            element_type=row.element_type,
            scope_key=row.scope_key,
            state=row.state,
            incoming_flow=row.incoming_flow,
            payload=row.payload or {},
            started_at=row.started_at,
        )
    for scope_key, name, value in Variable.objects.filter(instance=instance).values_list("scope_key", "name", "value"):
        ws.variables.setdefault(scope_key, {})[name] = value
    return ws


def new_working_set(key: uuid.UUID, bpmn_process_id: str, business_key: str, now: datetime) -> WorkingSet:
    return WorkingSet(
        instance=InstanceState(
            key=key, bpmn_process_id=bpmn_process_id, business_key=business_key, started_at=now, is_new=True
        )
    )


def value_text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)[:255]
    if isinstance(value, str):
        return value[:255]
    return json.dumps(value, sort_keys=True, default=str)[:255]


@dataclass
class SaveResult:
    instance: ProcessInstance
    internal_jobs: list[uuid.UUID] = field(default_factory=list)
    ended: bool = False


def save(
    ws: WorkingSet,
    *,
    definition: ProcessDefinition,
    instance: ProcessInstance | None,
    actor: str,
    now: datetime,
    is_internal,
    parent: ProcessInstance | None = None,
    parent_element_instance_key: uuid.UUID | None = None,
) -> SaveResult:
    state = ws.instance
    if instance is None:
        instance = ProcessInstance.objects.create(
            key=state.key,
            definition=definition,
            bpmn_process_id=definition.bpmn_process_id,
            business_key=state.business_key,
            state=state.state,
            incident_count=max(state.incident_delta, 0),
            payload=state.payload,
            started_by=actor,
            started_at=state.started_at or now,
            ended_at=state.ended_at,
            root_key=(parent.root_key or parent.key) if parent else state.key,
            parent=parent,
            parent_element_instance_key=parent_element_instance_key,
        )
    else:
        fields = {}
        if instance.state != state.state:
            fields["state"] = state.state
            fields["ended_at"] = state.ended_at
        if state.incident_delta:
            fields["incident_count"] = F("incident_count") + state.incident_delta
        if state.payload_dirty:
            fields["payload"] = state.payload
        if fields:
            ProcessInstance.objects.filter(key=instance.key).update(updated_at=now, **fields)
            instance.refresh_from_db()
    _save_elements(ws, instance)
    _save_variables(ws, instance, now)
    _close_waits(ws, instance, now, actor)
    result = SaveResult(instance=instance, ended=state.state != "active")
    _create_waits(ws, instance, definition, now, is_internal, result)
    if ws.audit:
        insert_rows(
            AuditEvent,
            [
                AuditEvent(
                    instance_key=instance.key,
                    type=a.type,
                    element_id=a.element_id,
                    element_instance_key=a.element_instance_key,
                    actor=actor,
                    data=a.data,
                    created_at=a.at or now,
                )
                for a in ws.audit
            ],
        )
    _reset(ws)
    return result


def _save_elements(ws: WorkingSet, instance: ProcessInstance) -> None:
    new_rows, dirty_rows = [], []
    for ei in ws.elements.values():
        if ei.is_new:
            new_rows.append(
                ElementInstance(
                    key=ei.key,
                    instance=instance,
                    element_id=ei.element_id,
                    element_type=ei.element_type,
                    scope_key=ei.scope_key,
                    state=ei.state,
                    incoming_flow=ei.incoming_flow,
                    payload=ei.payload,
                    started_at=ei.started_at,
                    ended_at=ei.ended_at,
                )
            )
        elif ei.is_dirty:
            dirty_rows.append(ElementInstance(key=ei.key, state=ei.state, payload=ei.payload, ended_at=ei.ended_at))
    if new_rows:
        insert_rows(ElementInstance, new_rows)
    # Rows ended by one command share state, payload and end time: one UPDATE per
    # group is much cheaper than bulk_update's CASE WHEN per row and field.
    groups: dict[tuple, list] = {}
    for row in dirty_rows:
        marker = (row.state, row.ended_at, json.dumps(row.payload, sort_keys=True, cls=DjangoJSONEncoder))
        groups.setdefault(marker, []).append(row.key)
    for (state, ended_at, _), keys in groups.items():
        payload = next(r.payload for r in dirty_rows if r.key == keys[0])
        ElementInstance.objects.filter(key__in=keys).update(state=state, payload=payload, ended_at=ended_at)


def _save_variables(ws: WorkingSet, instance: ProcessInstance, now: datetime) -> None:
    if ws.dropped_scopes:
        Variable.objects.filter(instance=instance, scope_key__in=list(ws.dropped_scopes)).delete()
    if not ws.changed_variables:
        return
    rows = []
    for scope, name in sorted(ws.changed_variables, key=lambda item: (str(item[0]), item[1])):
        if scope not in ws.variables or name not in ws.variables[scope]:
            continue
        value = ws.variables[scope][name]
        rows.append(
            Variable(
                instance=instance, scope_key=scope, name=name, value=value, value_text=value_text(value), updated_at=now
            )
        )
    if rows:
        Variable.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["instance", "scope_key", "name"],
            update_fields=["value", "value_text", "updated_at"],
        )


def _close_waits(ws: WorkingSet, instance: ProcessInstance, now: datetime, actor: str) -> None:
    by_kind: dict[str, list[uuid.UUID]] = {kind: [] for kind in WAIT_KINDS}
    for key in ws.closed_waits:
        ei = ws.elements.get(key)
        if ei is None:
            continue
        for kind in ei.payload.get("waits", ()):
            by_kind[kind].append(key)
    if ws.instance.state != "active":
        # process-level waits (event subprocess starts) are owned by the instance key
        for kind in ws.instance.payload.get("waits", ()):
            by_kind[kind].append(ws.instance.key)
    if by_kind["job"]:
        Job.objects.filter(element_instance_key__in=by_kind["job"], state__in=Job.OPEN_STATES).update(
            state=Job.State.CANCELLED, updated_at=now
        )
    if by_kind["timer"]:
        Timer.objects.filter(
            element_instance_key__in=by_kind["timer"], state__in=[Timer.State.SCHEDULED, Timer.State.FIRING]
        ).update(state=Timer.State.CANCELLED)
    if by_kind["subscription"]:
        MessageSubscription.objects.filter(
            element_instance_key__in=by_kind["subscription"], state=MessageSubscription.State.OPEN
        ).update(state=MessageSubscription.State.CLOSED)
    if by_kind["user_task"]:
        UserTask.objects.filter(element_instance_key__in=by_kind["user_task"], state=UserTask.State.CREATED).update(
            state=UserTask.State.CANCELLED
        )
    if by_kind["signal"]:
        SignalSubscription.objects.filter(
            element_instance_key__in=by_kind["signal"], state=SignalSubscription.State.OPEN
        ).update(state=SignalSubscription.State.CLOSED)
    if ws.closed_element_waits:
        _close_element_waits(ws, instance)
    if by_kind["incident"]:
        closed = Incident.objects.filter(
            element_instance_key__in=by_kind["incident"], state=Incident.State.OPEN
        ).update(state=Incident.State.RESOLVED, resolved_at=now, resolved_by=actor or "system")
        if closed:
            ProcessInstance.objects.filter(key=instance.key).update(incident_count=F("incident_count") - closed)


def _close_element_waits(ws: WorkingSet, instance: ProcessInstance) -> None:
    """Rows of single catch elements withdrawn while their owner stays active."""
    match = models.Q()
    for owner, element_id in ws.closed_element_waits:
        match |= models.Q(element_instance_key=owner, element_id=element_id)
    Timer.objects.filter(match, instance=instance, state__in=[Timer.State.SCHEDULED, Timer.State.FIRING]).update(
        state=Timer.State.CANCELLED
    )
    MessageSubscription.objects.filter(match, instance=instance, state=MessageSubscription.State.OPEN).update(
        state=MessageSubscription.State.CLOSED
    )
    SignalSubscription.objects.filter(match, instance=instance, state=SignalSubscription.State.OPEN).update(
        state=SignalSubscription.State.CLOSED
    )


def _wait_closed(ws: WorkingSet, owner: uuid.UUID | None, element_id: str) -> bool:
    """Was this wait's owner ended (or the wait withdrawn) in the command that opened it?"""
    if owner is None:
        return False
    if (owner, element_id) in ws.closed_element_waits:
        return True
    if owner == ws.instance.key:
        return ws.instance.state != "active"
    if owner in ws.closed_waits:
        ei = ws.elements.get(owner)
        return ei is None or not ei.is_active
    return False


def _drop_closed_waits(ws: WorkingSet) -> None:
    """Waits opened and closed within one command are never written (closing runs
    before creating, so such a row would stay open for an ended element)."""
    ws.new_jobs[:] = [j for j in ws.new_jobs if not _wait_closed(ws, j.element_instance_key, j.element_id)]
    ws.new_timers[:] = [t for t in ws.new_timers if not _wait_closed(ws, t.element_instance_key, t.element_id)]
    ws.new_subscriptions[:] = [
        s for s in ws.new_subscriptions if not _wait_closed(ws, s.element_instance_key, s.element_id)
    ]
    ws.new_user_tasks[:] = [u for u in ws.new_user_tasks if not _wait_closed(ws, u.element_instance_key, u.element_id)]
    ws.new_signal_subscriptions[:] = [
        s for s in ws.new_signal_subscriptions if not _wait_closed(ws, s.element_instance_key, s.element_id)
    ]


def _create_waits(ws, instance, definition, now, is_internal, result: SaveResult) -> None:
    _drop_closed_waits(ws)
    if ws.new_jobs:
        jobs = []
        for spec in ws.new_jobs:
            internal = is_internal(spec.type)
            job = Job(
                key=spec.key,
                instance=instance,
                definition=definition,
                bpmn_process_id=instance.bpmn_process_id,
                business_key=instance.business_key,
                element_instance_key=spec.element_instance_key,
                element_id=spec.element_id,
                type=spec.type,
                internal=internal,
                retries=spec.retries,
                retry_time_cycle=spec.retry_time_cycle,
                priority=spec.priority,
                headers=spec.headers,
                created_at=now,
                dispatched_at=now if internal else None,
            )
            if spec.completed_by:
                # a local handler already ran it inside this command
                job.state = Job.State.COMPLETED
                job.lock_owner = spec.completed_by[:255]
                job.attempts = 1
            elif internal:
                result.internal_jobs.append(spec.key)
            jobs.append(job)
        insert_rows(Job, jobs)
        notify.jobs_created(j.type for j in jobs if not j.internal and j.state == Job.State.ACTIVATABLE)
    if ws.new_timers:
        Timer.objects.bulk_create(
            [
                Timer(
                    key=t.key,
                    definition=definition,
                    instance=instance,
                    element_instance_key=t.element_instance_key,
                    element_id=t.element_id,
                    due_at=t.due_at,
                    repetitions=t.repetitions,
                    cycle=t.cycle,
                    created_at=now,
                )
                for t in ws.new_timers
            ]
        )
    if ws.new_subscriptions:
        MessageSubscription.objects.bulk_create(
            [
                MessageSubscription(
                    key=s.key,
                    definition=definition,
                    instance=instance,
                    element_instance_key=s.element_instance_key,
                    element_id=s.element_id,
                    message_name=s.message_name,
                    correlation_key=s.correlation_key,
                    created_at=now,
                )
                for s in ws.new_subscriptions
            ]
        )
    if ws.new_signal_subscriptions:
        SignalSubscription.objects.bulk_create(
            [
                SignalSubscription(
                    key=s.key,
                    definition=definition,
                    instance=instance,
                    element_instance_key=s.element_instance_key,
                    element_id=s.element_id,
                    signal_name=s.signal_name,
                    created_at=now,
                )
                for s in ws.new_signal_subscriptions
            ]
        )
    if ws.new_user_tasks:
        UserTask.objects.bulk_create(
            [
                UserTask(
                    key=u.key,
                    instance=instance,
                    bpmn_process_id=instance.bpmn_process_id,
                    business_key=instance.business_key,
                    element_instance_key=u.element_instance_key,
                    element_id=u.element_id,
                    name=u.name,
                    assignee=u.assignee,
                    candidate_users=u.candidate_users,
                    candidate_groups=u.candidate_groups,
                    due_date=u.due_date,
                    follow_up_date=u.follow_up_date,
                    priority=u.priority,
                    form_key=u.form_key,
                    form=u.form,
                    created_at=now,
                )
                for u in ws.new_user_tasks
            ]
        )
    if ws.new_incidents:
        Incident.objects.bulk_create(
            [
                Incident(
                    key=i.key,
                    instance=instance,
                    bpmn_process_id=instance.bpmn_process_id,
                    element_instance_key=i.element_instance_key,
                    element_id=i.element_id,
                    job_id=i.job_key,
                    type=i.type,
                    message=i.message[:10000],
                    details=i.details,
                    fingerprint=fingerprint(i.message),
                    created_at=now,
                )
                for i in ws.new_incidents
            ]
        )


def _reset(ws: WorkingSet) -> None:
    """After a save the working set matches the database again."""
    for key in [k for k, e in ws.elements.items() if e.state != lifecycle.ACTIVE]:
        del ws.elements[key]
    for ei in ws.elements.values():
        ei.is_new = False
        ei.is_dirty = False
    ws.changed_variables.clear()
    ws.dropped_scopes.clear()
    ws.new_jobs.clear()
    ws.new_timers.clear()
    ws.new_subscriptions.clear()
    ws.new_user_tasks.clear()
    ws.new_incidents.clear()
    ws.new_calls.clear()
    ws.to_parent.clear()
    ws.closed_waits.clear()
    ws.new_signal_subscriptions.clear()
    ws.closed_element_waits.clear()
    ws.audit.clear()
    ws.instance.incident_delta = 0
    ws.instance.is_new = False
    ws.instance.payload_dirty = False
