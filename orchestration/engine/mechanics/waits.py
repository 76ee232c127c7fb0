"""Create the rows an element waits on: jobs, timers, message subscriptions, user tasks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...bpmn.model import Element, EventDefinition, TaskDefinition, UserTaskDefinition
from ...feel import to_json
from ..errors import EngineIncident
from ..state import ElementInstanceState, JobSpec, SubscriptionSpec, TimerSpec, UserTaskSpec
from . import expressions, timers

if TYPE_CHECKING:
    from ..runner import Runner

DEFAULT_RETRIES = 3


def create_job(rt: Runner, ei: ElementInstanceState, element: Element, task: TaskDefinition) -> JobSpec:
    context = rt.context(ei)
    job_type = expressions.evaluate_string(task.type, context, now=rt.now, what="job type")
    if not job_type:
        raise EngineIncident("expression", f"job type of '{element.id}' evaluated to an empty string")
    retries_value = expressions.evaluate(task.retries, context, now=rt.now, what="job retries")
    try:
        retries = int(str(retries_value))
    except ValueError:
        raise EngineIncident(
            "expression", f"job retries '{task.retries.source}' is not a number: {retries_value!r}"
        ) from None
    priority = 0
    if task.priority is not None:
        try:
            priority = int(str(expressions.evaluate(task.priority, context, now=rt.now, what="job priority")))
        except ValueError:
            raise EngineIncident("expression", f"job priority '{task.priority.source}' is not a number") from None
    spec = JobSpec(
        key=rt.new_key(),
        element_instance_key=ei.key,
        element_id=element.id,
        type=job_type,
        retries=max(retries, 0),
        headers=dict(task.headers),
        retry_time_cycle=task.retry_time_cycle or "",
        priority=priority,
    )
    rt.ws.new_jobs.append(spec)
    ei.add_wait("job")
    rt.audit("job_created", element.id, ei.key, {"job": str(spec.key), "type": job_type, "retries": spec.retries})
    return spec


def create_timer(rt: Runner, ei: ElementInstanceState | None, element: Element, event: EventDefinition) -> TimerSpec:
    assert event.timer is not None
    value = expressions.evaluate(event.timer.expr, rt.context(ei), now=rt.now, what="timer")
    schedule = timers.schedule_for(event.timer.kind, value, rt.now)
    spec = TimerSpec(
        key=rt.new_key(),
        element_instance_key=ei.key if ei else None,
        element_id=element.id,
        due_at=schedule.due_at,
        repetitions=schedule.repetitions,
        cycle=schedule.cycle,
    )
    rt.ws.new_timers.append(spec)
    if ei is not None:
        ei.add_wait("timer")
    rt.audit(
        "timer_scheduled",
        element.id,
        ei.key if ei else None,
        {"timer": str(spec.key), "due_at": spec.due_at.isoformat()},
    )
    return spec


def create_subscription(
    rt: Runner, ei: ElementInstanceState, element: Element, event: EventDefinition
) -> SubscriptionSpec:
    context = rt.context(ei)
    if event.message_name is None:
        raise EngineIncident("expression", f"'{element.id}' has no message name")
    name = expressions.evaluate_string(event.message_name, context, now=rt.now, what="message name")
    correlation_key = ""
    if event.correlation_key is not None:
        value = expressions.evaluate(event.correlation_key, context, now=rt.now, what="correlation key")
        if value is None:
            raise EngineIncident(
                "extract_value",
                f"correlation key '{event.correlation_key.source}' of '{element.id}' evaluated to null",
            )
        correlation_key = value if isinstance(value, str) else json.dumps(to_json(value))
    spec = SubscriptionSpec(rt.new_key(), ei.key, element.id, name, correlation_key)
    rt.ws.new_subscriptions.append(spec)
    ei.add_wait("subscription")
    rt.audit("message_subscribed", element.id, ei.key, {"message": name, "correlation_key": correlation_key})
    return spec


def create_user_task(rt: Runner, ei: ElementInstanceState, element: Element, task: UserTaskDefinition) -> UserTaskSpec:
    context = rt.context(ei)
    assignee = expressions.evaluate_string(task.assignee, context, now=rt.now, what="assignee")
    candidate_users = expressions.evaluate_list(task.candidate_users, context, now=rt.now, what="candidate users")
    candidate_groups = expressions.evaluate_list(task.candidate_groups, context, now=rt.now, what="candidate groups")
    due = _optional_date(rt, task.due_date, context, "due date")
    follow_up = _optional_date(rt, task.follow_up_date, context, "follow-up date")
    priority = 50
    if task.priority is not None:
        try:
            priority = int(str(expressions.evaluate(task.priority, context, now=rt.now, what="priority")))
        except ValueError:
            raise EngineIncident("expression", f"priority '{task.priority.source}' is not a number") from None
    spec = UserTaskSpec(
        key=rt.new_key(),
        element_instance_key=ei.key,
        element_id=element.id,
        name=element.name or element.id,
        assignee=assignee,
        candidate_users=candidate_users,
        candidate_groups=candidate_groups,
        due_date=due,
        follow_up_date=follow_up,
        priority=priority,
        form_key=task.form_key or "",
        form=form_of(task),
    )
    rt.ws.new_user_tasks.append(spec)
    ei.add_wait("user_task")
    rt.audit("user_task_created", element.id, ei.key, {"task": str(spec.key), "assignee": assignee})
    return spec


def _optional_date(rt: Runner, expr, context: dict[str, Any], what: str):
    if expr is None:
        return None
    value = expressions.evaluate(expr, context, now=rt.now, what=what)
    if value in (None, ""):
        return None
    return timers.as_datetime(value)


def form_of(task: UserTaskDefinition) -> Any:
    """The task's form as JSON: Camunda 7 formData fields or a Camunda 8 form schema."""
    if task.form_fields:
        return {
            "flavour": "camunda7",
            "fields": [
                {
                    "id": f.id,
                    "label": f.label or f.id,
                    "type": f.type,
                    "defaultValue": f.default_value,
                    "values": [{"id": v, "name": n} for v, n in f.values],
                    "validation": [{"name": n, "config": c} for n, c in f.constraints],
                    "properties": dict(f.properties),
                }
                for f in task.form_fields
            ],
        }
    if task.form_json:
        try:
            return {"flavour": "camunda8", "schema": json.loads(task.form_json)}
        except ValueError:
            return None
    return None
