"""Two ways to drive a scenario, with one API.

`memory`: the runner on one in-memory working set that is never reloaded.
`reloaded`: the services against the database; every step loads every row
again (and the compiled-model cache is cleared), so state that was never
persisted shows up as a difference between the two.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from orchestration.bpmn import parse_bpmn


@dataclass
class Wait:
    key: uuid.UUID
    element_id: str
    kind: str
    detail: str = ""


class MemoryDriver:
    name = "memory"

    def __init__(self) -> None:
        self.processes: dict[str, Any] = {}
        self.instance = None

    def deploy(self, xml: str) -> None:
        from orchestration.services.deployments import validate_for_deploy

        definitions, problems = validate_for_deploy(xml)
        assert not problems, problems
        for process in definitions.executable_processes:
            self.processes[process.id] = process

    def start(self, process_id: str, variables: dict | None = None, business_key: str = "") -> None:
        from orchestration.engine.memory import MemoryInstance

        self.instance = MemoryInstance.start(self.processes[process_id], variables or {}, business_key=business_key)

    # -- reads ---------------------------------------------------------------
    @property
    def state(self) -> str:
        return self.instance.state

    def variables(self) -> dict:
        return self.instance.variables()

    def active_elements(self) -> list[str]:
        return self.instance.active_element_ids()

    def jobs(self, job_type: str | None = None) -> list[Wait]:
        return sorted(
            (Wait(j.key, j.element_id, "job", j.type) for j in self.instance.jobs.values() if j.retries > 0 and (job_type is None or j.type == job_type)),
            key=lambda w: w.element_id,
        )

    def user_tasks(self) -> list[Wait]:
        return sorted((Wait(t.key, t.element_id, "user_task", t.assignee) for t in self.instance.user_tasks.values()), key=lambda w: w.element_id)

    def timers(self) -> list[Wait]:
        return sorted((Wait(t.key, t.element_id, "timer", t.due_at.isoformat()) for t in self.instance.timers.values()), key=lambda w: w.element_id)

    def subscriptions(self) -> list[Wait]:
        return sorted((Wait(s.key, s.element_id, "subscription", f"{s.message_name}/{s.correlation_key}") for s in self.instance.subscriptions.values()), key=lambda w: w.element_id)

    def incidents(self) -> list[Wait]:
        return sorted((Wait(i.key, i.element_id, "incident", i.message) for i in self.instance.incidents.values()), key=lambda w: w.element_id)

    def audit_types(self) -> list[str]:
        return [a.type for a in self.instance.history]

    # -- commands ------------------------------------------------------------
    def complete_job(self, key, variables: dict | None = None) -> None:
        self.instance.complete_job(key, variables)

    def fail_job(self, key, retries: int, message: str = "boom") -> None:
        self.instance.fail_job(key, retries, message)

    def throw_error(self, key, code: str, message: str = "") -> None:
        self.instance.throw_error(key, code, message)

    def fire_timers(self) -> int:
        keys = list(self.instance.timers)
        for key in keys:
            self.instance.fire_timer(key)
        return len(keys)

    def correlate(self, name: str, correlation_key: str = "", variables: dict | None = None) -> bool:
        return self.instance.correlate(name, correlation_key, variables)

    def complete_user_task(self, key, variables: dict | None = None) -> None:
        self.instance.complete_user_task(key, variables)

    def resolve_incident(self, key, variables: dict | None = None) -> None:
        self.instance.resolve_incident(key, variables)

    def cancel(self) -> None:
        self.instance.cancel()


class ReloadedDriver:
    name = "reloaded"

    def __init__(self) -> None:
        self.instance_key = None

    def _reload(self) -> None:
        from orchestration.services import deployments

        deployments._cache.clear()

    def deploy(self, xml: str) -> None:
        from orchestration import services

        services.deploy(xml, actor="test")

    def start(self, process_id: str, variables: dict | None = None, business_key: str = "") -> None:
        from orchestration import services

        self._reload()
        self.instance_key = services.start_instance(process_id, variables=variables or {}, business_key=business_key, actor="test").key

    @property
    def _instance(self):
        from orchestration.models import ProcessInstance

        return ProcessInstance.objects.get(key=self.instance_key)

    @property
    def state(self) -> str:
        return self._instance.state

    def variables(self) -> dict:
        from orchestration.models import Variable

        return dict(Variable.objects.filter(instance_id=self.instance_key, scope_key=self.instance_key).values_list("name", "value"))

    def active_elements(self) -> list[str]:
        from orchestration.models import ElementInstance

        return sorted(ElementInstance.objects.filter(instance_id=self.instance_key, state="active").values_list("element_id", flat=True))

    def jobs(self, job_type: str | None = None) -> list[Wait]:
        from orchestration.models import Job

        qs = Job.objects.filter(instance_id=self.instance_key, state__in=["activatable", "locked"])
        if job_type:
            qs = qs.filter(type=job_type)
        return sorted((Wait(j.key, j.element_id, "job", j.type) for j in qs), key=lambda w: w.element_id)

    def user_tasks(self) -> list[Wait]:
        from orchestration.models import UserTask

        return sorted(
            (Wait(t.key, t.element_id, "user_task", t.assignee) for t in UserTask.objects.filter(instance_id=self.instance_key, state="created")),
            key=lambda w: w.element_id,
        )

    def timers(self) -> list[Wait]:
        from orchestration.models import Timer

        return sorted(
            (Wait(t.key, t.element_id, "timer", t.due_at.isoformat()) for t in Timer.objects.filter(instance_id=self.instance_key, state="scheduled")),
            key=lambda w: w.element_id,
        )

    def subscriptions(self) -> list[Wait]:
        from orchestration.models import MessageSubscription

        return sorted(
            (
                Wait(s.key, s.element_id, "subscription", f"{s.message_name}/{s.correlation_key}")
                for s in MessageSubscription.objects.filter(instance_id=self.instance_key, state="open")
            ),
            key=lambda w: w.element_id,
        )

    def incidents(self) -> list[Wait]:
        from orchestration.models import Incident

        return sorted(
            (Wait(i.key, i.element_id, "incident", i.message) for i in Incident.objects.filter(instance_id=self.instance_key, state="open")),
            key=lambda w: w.element_id,
        )

    def audit_types(self) -> list[str]:
        from orchestration.models import AuditEvent

        return list(AuditEvent.objects.filter(instance_key=self.instance_key).order_by("id").values_list("type", flat=True))

    def complete_job(self, key, variables: dict | None = None) -> None:
        from orchestration import services

        self._reload()
        services.complete_job(key, variables or {}, actor="test")

    def fail_job(self, key, retries: int, message: str = "boom") -> None:
        from orchestration import services

        self._reload()
        services.fail_job(key, retries=retries, error_message=message, actor="test", retry_backoff=timedelta(0))

    def throw_error(self, key, code: str, message: str = "") -> None:
        from orchestration import services

        self._reload()
        services.throw_job_error(key, code, message=message, actor="test")

    def fire_timers(self) -> int:
        from orchestration import services
        from orchestration.models import Timer

        self._reload()
        Timer.objects.filter(instance_id=self.instance_key, state="scheduled").update(due_at=timezone.now() - timedelta(seconds=1))
        fired = 0
        for key in services.claim_due_timers():
            fired += int(services.fire_timer(key))
        return fired

    def correlate(self, name: str, correlation_key: str = "", variables: dict | None = None) -> bool:
        from orchestration import services
        from orchestration.exceptions import NoSubscription

        self._reload()
        try:
            services.correlate_message(name, correlation_key=correlation_key or None, variables=variables or {}, actor="test")
        except NoSubscription:
            return False
        return True

    def complete_user_task(self, key, variables: dict | None = None) -> None:
        from orchestration import services

        self._reload()
        services.complete_user_task(key, variables=variables or {}, actor="test")

    def resolve_incident(self, key, variables: dict | None = None) -> None:
        from orchestration import services

        self._reload()
        services.resolve_incident(key, variables=variables, actor="test")

    def cancel(self) -> None:
        from orchestration import services

        self._reload()
        services.cancel_instance(self.instance_key, actor="test")
