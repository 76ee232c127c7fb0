"""Two hosts for the state machine with one API: the services on the database, and
the runner in memory (`MemoryInstance`, no database, no migration).

A backend runs commands and takes *snapshots*: per instance, its element
instances, open and closed waits, and audit events, in plain dataclasses the
invariants read without caring where they came from.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

WAIT_TABLES = ("jobs", "timers", "subscriptions", "user_tasks", "signals")


@dataclass
class Elem:
    key: uuid.UUID
    element_id: str
    element_type: str
    scope_key: uuid.UUID | None
    state: str
    payload: dict[str, Any]


@dataclass
class WaitRow:
    """A job, timer, message or signal subscription, user task or incident.

    `open`: still waiting (a job a worker may take, a scheduled timer, an open
    subscription, a created task, an open incident). `stuck_open`: a row that is
    not waiting but must still belong to a live element (a failed job whose
    incident is open)."""

    kind: str
    key: uuid.UUID
    owner: uuid.UUID | None
    element_id: str
    open: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Event:
    type: str
    element_id: str
    element_instance_key: uuid.UUID | None
    data: dict[str, Any]


@dataclass
class InstanceSnap:
    key: uuid.UUID
    state: str
    definition: Any
    elements: dict[uuid.UUID, Elem]
    waits: list[WaitRow]
    audit: list[Event]
    root_variables: dict[str, Any]
    # the database keeps ended element instances; memory drops them after each command
    keeps_ended: bool

    def active(self) -> list[Elem]:
        return [e for e in self.elements.values() if e.state == "active"]

    def open_waits(self, kind: str | None = None) -> list[WaitRow]:
        return [w for w in self.waits if w.open and (kind is None or w.kind == kind)]


class DatabaseBackend:
    """The services, every command in its own transaction, the model cache cleared
    before each (the reloaded path: what was never persisted shows up)."""

    name = "database"
    supports_migration = True

    def deploy(self, xml: str) -> Any:
        from orchestration import services

        result = services.deploy(xml, actor="props")
        (definition,) = result.definitions
        return definition.key

    def _reload(self) -> None:
        from orchestration.services import deployments

        deployments._cache.clear()

    def start(self, definition_key: Any, variables: dict[str, Any]) -> uuid.UUID:
        from orchestration import services
        from orchestration.models import ProcessDefinition

        self._reload()
        definition = ProcessDefinition.objects.get(key=definition_key)
        return services.start_instance(definition=definition, variables=variables, actor="props").key

    def complete_job(self, snap: InstanceSnap, job: WaitRow, variables: dict[str, Any]) -> None:
        from orchestration import services

        self._reload()
        services.complete_job(job.key, variables, actor="props")

    def fail_job(self, snap: InstanceSnap, job: WaitRow, retries: int) -> None:
        from orchestration import services

        self._reload()
        services.fail_job(job.key, retries=retries, error_message="boom", retry_backoff=timedelta(0), actor="props")

    def throw_error(self, snap: InstanceSnap, job: WaitRow, code: str) -> None:
        from orchestration import services

        self._reload()
        services.throw_job_error(job.key, code, message="thrown", actor="props")

    def resolve_incident(self, snap: InstanceSnap, incident: WaitRow, variables: dict[str, Any]) -> None:
        from orchestration import services

        self._reload()
        services.resolve_incident(incident.key, variables=variables or None, actor="props")

    def correlate(self, snap: InstanceSnap, subscription: WaitRow, variables: dict[str, Any]) -> None:
        from orchestration import services

        self._reload()
        services.correlate_message(
            subscription.detail["name"],
            correlation_key=subscription.detail["correlation_key"],
            process_instance_key=str(snap.key),
            variables=variables,
            actor="props",
        )

    def fire_timer(self, snap: InstanceSnap, timer: WaitRow) -> None:
        """As the beat does: the timer is due, claim every due timer, fire what was claimed."""
        from django.utils import timezone

        from orchestration import services
        from orchestration.models import Timer

        self._reload()
        Timer.objects.filter(key=timer.key).update(due_at=timezone.now() - timedelta(seconds=1))
        claimed = services.claim_due_timers()
        assert timer.key in claimed, "a due timer was not claimed"
        for key in claimed:
            services.fire_timer(key)

    def complete_user_task(self, snap: InstanceSnap, task: WaitRow, variables: dict[str, Any]) -> None:
        from orchestration import services

        self._reload()
        services.complete_user_task(task.key, variables=variables, actor="props")

    def cancel(self, snap: InstanceSnap) -> None:
        from orchestration import services

        self._reload()
        services.cancel_instance(snap.key, actor="props")

    def migrate(self, snap: InstanceSnap, target_definition: Any) -> None:
        from orchestration import services

        self._reload()
        plan = services.generate_plan(snap.definition, target_definition)
        services.migrate_instance(plan, snap.key, actor="props")

    def snapshot(self, keys: list[uuid.UUID]) -> dict[uuid.UUID, InstanceSnap]:
        from orchestration.models import (
            AuditEvent,
            ElementInstance,
            Incident,
            Job,
            MessageSubscription,
            ProcessInstance,
            SignalSubscription,
            Timer,
            UserTask,
            Variable,
        )

        snaps: dict[uuid.UUID, InstanceSnap] = {}
        for row in ProcessInstance.objects.filter(key__in=keys):
            snaps[row.key] = InstanceSnap(row.key, row.state, row.definition_id, {}, [], [], {}, keeps_ended=True)
        for e in ElementInstance.objects.filter(instance_id__in=keys):
            snaps[e.instance_id].elements[e.key] = Elem(
                e.key, e.element_id, e.element_type, e.scope_key, e.state, e.payload or {}
            )
        for j in Job.objects.filter(instance_id__in=keys):
            snaps[j.instance_id].waits.append(
                WaitRow(
                    "job",
                    j.key,
                    j.element_instance_key,
                    j.element_id,
                    j.state in (Job.State.ACTIVATABLE, Job.State.LOCKED),
                    {"state": j.state, "retries": j.retries, "held": j.state == Job.State.FAILED},
                )
            )
        for t in Timer.objects.filter(instance_id__in=keys):
            snaps[t.instance_id].waits.append(
                WaitRow("timer", t.key, t.element_instance_key, t.element_id, t.state in ("scheduled", "firing"))
            )
        for s in MessageSubscription.objects.filter(instance_id__in=keys):
            snaps[s.instance_id].waits.append(
                WaitRow(
                    "subscription",
                    s.key,
                    s.element_instance_key,
                    s.element_id,
                    s.state == "open",
                    {"name": s.message_name, "correlation_key": s.correlation_key},
                )
            )
        for s in SignalSubscription.objects.filter(instance_id__in=keys):
            snaps[s.instance_id].waits.append(
                WaitRow(
                    "signal", s.key, s.element_instance_key, s.element_id, s.state == "open", {"name": s.signal_name}
                )
            )
        for u in UserTask.objects.filter(instance_id__in=keys):
            snaps[u.instance_id].waits.append(
                WaitRow("user_task", u.key, u.element_instance_key, u.element_id, u.state == "created")
            )
        for i in Incident.objects.filter(instance_id__in=keys):
            snaps[i.instance_id].waits.append(
                WaitRow("incident", i.key, i.element_instance_key, i.element_id, i.state == "open", {"type": i.type})
            )
        for a in AuditEvent.objects.filter(instance_key__in=keys).order_by("id"):
            snaps[a.instance_key].audit.append(Event(a.type, a.element_id, a.element_instance_key, a.data or {}))
        for instance_id, scope, name, value in Variable.objects.filter(instance_id__in=keys).values_list(
            "instance_id", "scope_key", "name", "value"
        ):
            if scope == instance_id:
                snaps[instance_id].root_variables[name] = value
        return snaps


class MemoryBackend:
    """The runner on in-memory working sets (engine/memory.py): fast, no migration."""

    name = "memory"
    supports_migration = False

    def __init__(self) -> None:
        self.processes: dict[Any, Any] = {}
        self.instances: dict[uuid.UUID, Any] = {}
        self.definition_of: dict[uuid.UUID, Any] = {}

    def deploy(self, xml: str) -> Any:
        from orchestration.services.deployments import validate_for_deploy

        definitions, problems = validate_for_deploy(xml)
        assert not problems, problems
        (process,) = definitions.executable_processes
        key = uuid.uuid4()
        self.processes[key] = process
        return key

    def start(self, definition_key: Any, variables: dict[str, Any]) -> uuid.UUID:
        from orchestration.engine.memory import MemoryInstance

        instance = MemoryInstance.start(self.processes[definition_key], variables)
        self.instances[instance.ws.instance.key] = instance
        self.definition_of[instance.ws.instance.key] = definition_key
        return instance.ws.instance.key

    def complete_job(self, snap: InstanceSnap, job: WaitRow, variables: dict[str, Any]) -> None:
        self.instances[snap.key].complete_job(job.key, variables)

    def fail_job(self, snap: InstanceSnap, job: WaitRow, retries: int) -> None:
        self.instances[snap.key].fail_job(job.key, retries, "boom")

    def throw_error(self, snap: InstanceSnap, job: WaitRow, code: str) -> None:
        self.instances[snap.key].throw_error(job.key, code, "thrown")

    def resolve_incident(self, snap: InstanceSnap, incident: WaitRow, variables: dict[str, Any]) -> None:
        self.instances[snap.key].resolve_incident(incident.key, variables or None)

    def correlate(self, snap: InstanceSnap, subscription: WaitRow, variables: dict[str, Any]) -> None:
        delivered = self.instances[snap.key].correlate(
            subscription.detail["name"], subscription.detail["correlation_key"], variables
        )
        assert delivered

    def fire_timer(self, snap: InstanceSnap, timer: WaitRow) -> None:
        self.instances[snap.key].fire_timer(timer.key)

    def complete_user_task(self, snap: InstanceSnap, task: WaitRow, variables: dict[str, Any]) -> None:
        self.instances[snap.key].complete_user_task(task.key, variables)

    def cancel(self, snap: InstanceSnap) -> None:
        self.instances[snap.key].cancel()

    def migrate(self, snap: InstanceSnap, target_definition: Any) -> None:  # pragma: no cover
        raise NotImplementedError("migration needs the database")

    def snapshot(self, keys: list[uuid.UUID]) -> dict[uuid.UUID, InstanceSnap]:
        snaps = {}
        for key in keys:
            inst = self.instances[key]
            ws = inst.ws
            elements = {
                e.key: Elem(e.key, e.element_id, e.element_type, e.scope_key, e.state, dict(e.payload))
                for e in ws.elements.values()
            }
            waits = [
                WaitRow("job", j.key, j.element_instance_key, j.element_id, j.retries > 0, {"held": j.retries <= 0})
                for j in inst.jobs.values()
            ]
            waits += [WaitRow("timer", t.key, t.element_instance_key, t.element_id, True) for t in inst.timers.values()]
            waits += [
                WaitRow(
                    "subscription",
                    s.key,
                    s.element_instance_key,
                    s.element_id,
                    True,
                    {"name": s.message_name, "correlation_key": s.correlation_key},
                )
                for s in inst.subscriptions.values()
            ]
            waits += [
                WaitRow("signal", s.key, s.element_instance_key, s.element_id, True, {"name": s.signal_name})
                for s in inst.signal_subscriptions.values()
            ]
            waits += [
                WaitRow("user_task", u.key, u.element_instance_key, u.element_id, True)
                for u in inst.user_tasks.values()
            ]
            waits += [
                WaitRow("incident", i.key, i.element_instance_key, i.element_id, True, {"type": i.type})
                for i in inst.incidents.values()
            ]
            audit = [Event(a.type, a.element_id, a.element_instance_key, dict(a.data)) for a in inst.history]
            snaps[key] = InstanceSnap(
                key,
                inst.state,
                self.definition_of[key],
                elements,
                waits,
                audit,
                dict(ws.variables.get(ws.root_scope, {})),
                keeps_ended=False,
            )
        return snaps
