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
from pathlib import Path
from typing import Any

from django.utils import timezone

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def bpmn(scenario: str) -> str:
    """The hand-drawn model of a scenario: tests/engine/fixtures/<scenario>.bpmn."""
    return (FIXTURES / f"{scenario}.bpmn").read_text()


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
        from orchestration.exceptions import DeploymentRefused
        from orchestration.services.deployments import validate_for_deploy

        definitions, problems = validate_for_deploy(xml)
        if problems:
            raise DeploymentRefused(problems)
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
            (
                Wait(j.key, j.element_id, "job", j.type)
                for j in self.instance.jobs.values()
                if j.retries > 0 and (job_type is None or j.type == job_type)
            ),
            key=lambda w: w.element_id,
        )

    def user_tasks(self) -> list[Wait]:
        return sorted(
            (Wait(t.key, t.element_id, "user_task", t.assignee) for t in self.instance.user_tasks.values()),
            key=lambda w: w.element_id,
        )

    def timers(self) -> list[Wait]:
        return sorted(
            (Wait(t.key, t.element_id, "timer", t.due_at.isoformat()) for t in self.instance.timers.values()),
            key=lambda w: w.element_id,
        )

    def subscriptions(self) -> list[Wait]:
        return sorted(
            (
                Wait(s.key, s.element_id, "subscription", f"{s.message_name}/{s.correlation_key}")
                for s in self.instance.subscriptions.values()
            ),
            key=lambda w: w.element_id,
        )

    def incidents(self) -> list[Wait]:
        return sorted(
            (Wait(i.key, i.element_id, "incident", i.message) for i in self.instance.incidents.values()),
            key=lambda w: w.element_id,
        )

    def audit_types(self) -> list[str]:
        return [a.type for a in self.instance.history]

    def audit_elements(self, type: str) -> list[str]:
        return [a.element_id for a in self.instance.history if a.type == type]

    def job_info(self, key) -> dict:
        j = self.instance.jobs[key]
        return {"element_id": j.element_id, "type": j.type, "retries": j.retries, "headers": dict(j.headers)}

    def job_variables(self, key) -> dict:
        """What a worker of this job sees (its scope chain, innermost wins)."""
        from orchestration.engine.mechanics.variables import context_for

        ei = self.instance.ws.elements[self.instance.jobs[key].element_instance_key]
        return {k: v for k, v in context_for(self.instance.ws, ei).items() if not k.startswith("__")}

    def user_task_info(self, key) -> dict:
        t = self.instance.user_tasks[key]
        return {
            "name": t.name,
            "assignee": t.assignee,
            "candidate_users": list(t.candidate_users),
            "candidate_groups": list(t.candidate_groups),
            "due_date": t.due_date,
            "follow_up_date": t.follow_up_date,
            "priority": t.priority,
            "form_key": t.form_key,
            "form": t.form,
        }

    def incident_info(self) -> list[tuple[str, str, str]]:
        return sorted((i.element_id, i.type, i.message) for i in self.instance.incidents.values())

    def local_variables(self, element_id: str) -> dict:
        (ei,) = [e for e in self.instance.ws.elements.values() if e.element_id == element_id and e.is_active]
        return dict(self.instance.ws.variables.get(ei.key, {}))

    def local_scope_count(self) -> int:
        """How many scopes other than the process scope hold variables."""
        ws = self.instance.ws
        return sum(1 for scope, values in ws.variables.items() if scope != ws.root_scope and values)

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

    def set_variables(self, values: dict) -> None:
        self.instance.runner().set_variables(self.instance.ws.root_scope, values)
        self.instance._absorb()

    # -- events (boundary, event subprocess, signals) ------------------------------
    def fire_timer(self, element_id: str) -> bool:
        """Fire the scheduled timers of one element (a boundary event, an event subprocess start, ...)."""
        keys = [k for k, t in self.instance.timers.items() if t.element_id == element_id]
        for key in keys:
            self.instance.fire_timer(key)
        return bool(keys)

    def broadcast(self, name: str, variables: dict | None = None) -> int:
        return self.instance.broadcast(name, variables)

    def signal_subscriptions(self) -> list[Wait]:
        return sorted(
            (Wait(s.key, s.element_id, "signal", s.signal_name) for s in self.instance.signal_subscriptions.values()),
            key=lambda w: w.element_id,
        )


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
        self.instance_key = services.start_instance(
            process_id, variables=variables or {}, business_key=business_key, actor="test"
        ).key

    @property
    def _instance(self):
        from orchestration.models import ProcessInstance

        return ProcessInstance.objects.get(key=self.instance_key)

    @property
    def state(self) -> str:
        return self._instance.state

    def variables(self) -> dict:
        from orchestration.models import Variable

        return dict(
            Variable.objects.filter(instance_id=self.instance_key, scope_key=self.instance_key).values_list(
                "name", "value"
            )
        )

    def active_elements(self) -> list[str]:
        from orchestration.models import ElementInstance

        return sorted(
            ElementInstance.objects.filter(instance_id=self.instance_key, state="active").values_list(
                "element_id", flat=True
            )
        )

    def jobs(self, job_type: str | None = None) -> list[Wait]:
        from orchestration.models import Job

        qs = Job.objects.filter(instance_id=self.instance_key, state__in=["activatable", "locked"])
        if job_type:
            qs = qs.filter(type=job_type)
        return sorted((Wait(j.key, j.element_id, "job", j.type) for j in qs), key=lambda w: w.element_id)

    def user_tasks(self) -> list[Wait]:
        from orchestration.models import UserTask

        return sorted(
            (
                Wait(t.key, t.element_id, "user_task", t.assignee)
                for t in UserTask.objects.filter(instance_id=self.instance_key, state="created")
            ),
            key=lambda w: w.element_id,
        )

    def timers(self) -> list[Wait]:
        from orchestration.models import Timer

        return sorted(
            (
                Wait(t.key, t.element_id, "timer", t.due_at.isoformat())
                for t in Timer.objects.filter(instance_id=self.instance_key, state="scheduled")
            ),
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
            (
                Wait(i.key, i.element_id, "incident", i.message)
                for i in Incident.objects.filter(instance_id=self.instance_key, state="open")
            ),
            key=lambda w: w.element_id,
        )

    def audit_types(self) -> list[str]:
        from orchestration.models import AuditEvent

        return list(
            AuditEvent.objects.filter(instance_key=self.instance_key).order_by("id").values_list("type", flat=True)
        )

    def audit_elements(self, type: str) -> list[str]:
        from orchestration.models import AuditEvent

        return list(
            AuditEvent.objects.filter(instance_key=self.instance_key, type=type)
            .order_by("id")
            .values_list("element_id", flat=True)
        )

    def job_info(self, key) -> dict:
        from orchestration.models import Job

        j = Job.objects.get(key=key)
        return {"element_id": j.element_id, "type": j.type, "retries": j.retries, "headers": dict(j.headers)}

    def job_variables(self, key) -> dict:
        """What a worker of this job sees (its scope chain, innermost wins)."""
        from orchestration.models import Job
        from orchestration.tasks import job_variables

        return job_variables(Job.objects.get(key=key))

    def user_task_info(self, key) -> dict:
        from orchestration.models import UserTask

        t = UserTask.objects.get(key=key)
        return {
            "name": t.name,
            "assignee": t.assignee,
            "candidate_users": list(t.candidate_users),
            "candidate_groups": list(t.candidate_groups),
            "due_date": t.due_date,
            "follow_up_date": t.follow_up_date,
            "priority": t.priority,
            "form_key": t.form_key,
            "form": t.form,
        }

    def incident_info(self) -> list[tuple[str, str, str]]:
        from orchestration.models import Incident

        return sorted(
            Incident.objects.filter(instance_id=self.instance_key, state="open").values_list(
                "element_id", "type", "message"
            )
        )

    def local_variables(self, element_id: str) -> dict:
        from orchestration.models import ElementInstance, Variable

        ei = ElementInstance.objects.get(instance_id=self.instance_key, element_id=element_id, state="active")
        return dict(
            Variable.objects.filter(instance_id=self.instance_key, scope_key=ei.key).values_list("name", "value")
        )

    def local_scope_count(self) -> int:
        from orchestration.models import Variable

        return (
            Variable.objects.filter(instance_id=self.instance_key)
            .exclude(scope_key=self.instance_key)
            .values("scope_key")
            .distinct()
            .count()
        )

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
        Timer.objects.filter(instance_id=self.instance_key, state="scheduled").update(
            due_at=timezone.now() - timedelta(seconds=1)
        )
        fired = 0
        for key in services.claim_due_timers():
            fired += int(services.fire_timer(key))
        return fired

    def correlate(self, name: str, correlation_key: str = "", variables: dict | None = None) -> bool:
        from orchestration import services
        from orchestration.exceptions import NoSubscription

        self._reload()
        try:
            services.correlate_message(
                name, correlation_key=correlation_key or None, variables=variables or {}, actor="test"
            )
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

    def set_variables(self, values: dict) -> None:
        from orchestration import services

        self._reload()
        services.set_variables(self.instance_key, values, actor="test")

    def fire_timer(self, element_id: str) -> bool:
        from orchestration import services
        from orchestration.models import Timer

        self._reload()
        keys = list(
            Timer.objects.filter(instance_id=self.instance_key, element_id=element_id, state="scheduled").values_list(
                "key", flat=True
            )
        )
        Timer.objects.filter(key__in=keys).update(due_at=timezone.now() - timedelta(seconds=1), state="firing")
        return any([services.fire_timer(key) for key in keys])

    def broadcast(self, name: str, variables: dict | None = None) -> int:
        from orchestration import services

        self._reload()
        return services.broadcast_signal(name, variables=variables or {}, actor="test")

    def signal_subscriptions(self) -> list[Wait]:
        from orchestration.models import SignalSubscription

        return sorted(
            (
                Wait(s.key, s.element_id, "signal", s.signal_name)
                for s in SignalSubscription.objects.filter(instance_id=self.instance_key, state="open")
            ),
            key=lambda w: w.element_id,
        )

    def deliver_outbox(self) -> int:
        """Run the call-activity outbox jobs (children telling parents they ended), as Celery would after commit.

        The transactional `db` fixture never commits, so on_commit dispatch never fires here.
        """
        from orchestration.engine.behaviors.call_activity import CALL_ACTIVITY_JOB
        from orchestration.models import Job
        from orchestration.tasks import execute_job

        delivered = 0
        for _ in range(50):
            keys = list(Job.objects.filter(type=CALL_ACTIVITY_JOB, state="activatable").values_list("key", flat=True))
            if not keys:
                break
            for key in keys:
                self._reload()
                execute_job(key, worker="test")
                delivered += 1
        return delivered
