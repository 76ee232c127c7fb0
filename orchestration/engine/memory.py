"""An in-memory host for the runner: no database, no Celery.

Used by the engine's scenario tests (as the "never reloaded" twin of the
database-backed run) and by the in-process benchmark. It keeps the waits the
runner creates (jobs, timers, subscriptions, user tasks, incidents) in dicts
and closes them the way the store does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..bpmn.model import Process
from ..keys import new_key
from . import lifecycle
from .behaviors.conditional import has_conditionals
from .runner import Runner
from .state import (
    IncidentSpec,
    InstanceState,
    JobSpec,
    SignalSubscriptionSpec,
    SubscriptionSpec,
    TimerSpec,
    UserTaskSpec,
    WorkingSet,
)


@dataclass
class MemoryInstance:
    process: Process
    ws: WorkingSet
    jobs: dict[uuid.UUID, JobSpec] = field(default_factory=dict)
    timers: dict[uuid.UUID, TimerSpec] = field(default_factory=dict)
    subscriptions: dict[uuid.UUID, SubscriptionSpec] = field(default_factory=dict)
    user_tasks: dict[uuid.UUID, UserTaskSpec] = field(default_factory=dict)
    incidents: dict[uuid.UUID, IncidentSpec] = field(default_factory=dict)
    signal_subscriptions: dict[uuid.UUID, SignalSubscriptionSpec] = field(default_factory=dict)
    history: list = field(default_factory=list)
    audit_flows: bool = True

    @classmethod
    def start(
        cls,
        process: Process,
        variables: dict[str, Any] | None = None,
        *,
        business_key: str = "",
        now: datetime | None = None,
        audit_flows: bool = True,
        start_element_id: str | None = None,
    ) -> MemoryInstance:
        moment = now or datetime.now(UTC)
        key = new_key()
        ws = WorkingSet(
            instance=InstanceState(
                key=key, bpmn_process_id=process.id, business_key=business_key, started_at=moment, is_new=True
            )
        )
        inst = cls(process, ws, audit_flows=audit_flows)
        inst.runner(moment).start(variables or {}, start_element_id=start_element_id)
        inst._absorb()
        return inst

    def runner(self, now: datetime | None = None) -> Runner:
        return Runner(self.process, self.ws, now=now or datetime.now(UTC), audit_flows=self.audit_flows)

    @property
    def state(self) -> str:
        return self.ws.instance.state

    def variables(self) -> dict[str, Any]:
        return dict(self.ws.variables.get(self.ws.root_scope, {}))

    def complete_job(
        self, job_key: uuid.UUID, variables: dict[str, Any] | None = None, now: datetime | None = None
    ) -> None:
        job = self.jobs.pop(job_key)
        self.runner(now).complete_element(job.element_instance_key, variables or {})
        self._absorb()

    def fail_job(self, job_key: uuid.UUID, retries: int, message: str, now: datetime | None = None) -> None:
        job = self.jobs[job_key]
        job.retries = retries
        if retries <= 0:
            rt = self.runner(now)
            rt.raise_incident(self.ws.elements[job.element_instance_key], "job_no_retries", message, job_key=job.key)
            self._absorb()

    def throw_error(self, job_key: uuid.UUID, code: str, message: str = "", now: datetime | None = None) -> None:
        # The job stays (not activatable, as a job in state error_thrown): resolving an
        # unhandled-error incident makes it activatable again, as the services do.
        job = self.jobs[job_key]
        job.retries = 0
        self.runner(now).throw_error(job.element_instance_key, code, message, job_key=job.key)
        self._absorb()

    def fire_timer(self, timer_key: uuid.UUID, now: datetime | None = None) -> None:
        timer = self.timers.pop(timer_key)
        assert timer.element_instance_key is not None
        self.runner(now).trigger(timer.element_instance_key, timer.element_id, {})
        self._absorb()

    def correlate(
        self, name: str, correlation_key: str = "", variables: dict[str, Any] | None = None, now: datetime | None = None
    ) -> bool:
        for key, sub in list(self.subscriptions.items()):
            if sub.message_name == name and (not correlation_key or sub.correlation_key == correlation_key):
                del self.subscriptions[key]
                self.runner(now).trigger(sub.element_instance_key, sub.element_id, variables or {})
                self._absorb()
                return True
        return False

    def complete_user_task(
        self, task_key: uuid.UUID, variables: dict[str, Any] | None = None, now: datetime | None = None
    ) -> None:
        task = self.user_tasks.pop(task_key)
        self.runner(now).complete_element(task.element_instance_key, variables or {})
        self._absorb()

    def resolve_incident(
        self, incident_key: uuid.UUID, variables: dict[str, Any] | None = None, now: datetime | None = None
    ) -> None:
        incident = self.incidents.pop(incident_key)
        rt = self.runner(now)
        if variables:
            rt.set_variables(self.ws.root_scope, variables)
        if incident.job_key is not None:
            job = self.jobs.get(incident.job_key)
            if job is not None:
                job.retries = max(job.retries, 1)
        else:
            rt.retry(incident.element_instance_key)
        self._absorb()

    def cancel(self, now: datetime | None = None) -> None:
        self.runner(now).cancel()
        self._absorb()

    def broadcast(self, name: str, variables: dict[str, Any] | None = None, now: datetime | None = None) -> int:
        """Deliver a signal to this instance's subscriptions (a snapshot), one command each."""
        delivered = 0
        for key, sub in list(self.signal_subscriptions.items()):
            if sub.signal_name != name or key not in self.signal_subscriptions:
                continue
            del self.signal_subscriptions[key]
            rt = self.runner(now)
            if not rt.is_waiting(sub.element_instance_key):
                continue
            rt.audit("signal_received", sub.element_id, sub.element_instance_key, {"signal": name})
            rt.trigger(sub.element_instance_key, sub.element_id, dict(variables or {}))
            self._absorb()
            delivered += 1
        return delivered

    def active_element_ids(self) -> list[str]:
        return sorted(e.element_id for e in self.ws.elements.values() if e.is_active)

    def _absorb(self) -> None:
        ws = self.ws
        if ws.instance.state == "active" and has_conditionals(self.process):
            self.runner().run()  # conditional events see this command's variables (as services.finish)
        for spec in ws.new_signal_subscriptions:
            self.signal_subscriptions[spec.key] = spec
        for spec in ws.new_jobs:
            self.jobs[spec.key] = spec
        for spec in ws.new_timers:
            self.timers[spec.key] = spec
        for spec in ws.new_subscriptions:
            self.subscriptions[spec.key] = spec
        for spec in ws.new_user_tasks:
            self.user_tasks[spec.key] = spec
        for spec in ws.new_incidents:
            self.incidents[spec.key] = spec
        for owner, element_id in ws.closed_element_waits:
            for table in (self.timers, self.subscriptions, self.signal_subscriptions):
                for key in [
                    k for k, v in table.items() if v.element_instance_key == owner and v.element_id == element_id
                ]:
                    del table[key]
        closed = ws.closed_waits
        if closed:
            for table in (
                self.jobs,
                self.timers,
                self.subscriptions,
                self.user_tasks,
                self.incidents,
                self.signal_subscriptions,
            ):
                if not table:
                    continue
                for key in [k for k, v in table.items() if v.element_instance_key in closed]:
                    del table[key]
        if ws.instance.state != "active":
            for table in (self.jobs, self.timers, self.subscriptions, self.user_tasks, self.signal_subscriptions):
                table.clear()
        self.history.extend(ws.audit)
        for key in [k for k, e in ws.elements.items() if e.state != lifecycle.ACTIVE]:
            del ws.elements[key]
        for e in ws.elements.values():
            e.is_new = e.is_dirty = False
        ws.new_jobs.clear()
        ws.new_timers.clear()
        ws.new_subscriptions.clear()
        ws.new_user_tasks.clear()
        ws.new_incidents.clear()
        ws.new_calls.clear()  # call activities need the services (reloaded scenarios only)
        ws.to_parent.clear()
        ws.closed_waits.clear()
        ws.new_signal_subscriptions.clear()
        ws.closed_element_waits.clear()
        thrown, ws.signals_to_broadcast[:] = list(ws.signals_to_broadcast), []
        ws.changed_variables.clear()
        ws.dropped_scopes.clear()
        ws.audit.clear()
        for name, variables in thrown:
            # a signal thrown here reaches this instance's own subscriptions (in-memory: no other instances)
            self.broadcast(name, variables)
