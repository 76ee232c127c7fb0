"""Tasklist reads: the inbox (views, filters, sort, columns, SLAs), saved filters with
counts, and what the task page shows. Permission rules come from orchestration.access;
these functions apply them to querysets so a page never loads rows it may not show.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from orchestration import access, selectors
from orchestration.models import (
    AuditEvent,
    ElementInstance,
    ProcessDefinition,
    SavedTaskFilter,
    TaskComment,
    Timer,
    UserTask,
    Variable,
)

VIEWS = {
    "mine": "My tasks",
    "group": "My groups' unassigned tasks",
    "all": "All tasks I may see",
    "completed": "Completed by me",
}
SORTS = {
    "due": "Due date (soonest first)",
    "created": "Created (newest first)",
    "priority": "Priority (highest first)",
}
LIMIT = 200


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows. Empty values mean "any"."""

    view: str = "all"
    process: str = ""
    business_key: str = ""
    name: str = ""
    due_after: dt.datetime | None = None
    due_before: dt.datetime | None = None
    follow_up_after: dt.datetime | None = None
    follow_up_before: dt.datetime | None = None
    priority_min: int | None = None
    priority_max: int | None = None
    variable_name: str = ""
    variable_value: str = ""
    sort: str = "due"
    columns: tuple[str, ...] = ()


@dataclass
class InboxRow:
    task: UserTask
    columns: list[Any] = field(default_factory=list)
    sla_due: dt.datetime | None = None
    overdue: bool = False


@dataclass
class Inbox:
    rows: list[InboxRow]
    total: int
    columns: tuple[str, ...]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _contains(field_name: str, value: str) -> Q:
    """JSON list ``field_name`` holds ``value``; on SQLite a text match on the annotation
    ``selectors.list_visible_tasks`` adds (rows are re-checked in Python)."""
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field_name}__contains": [value]})
    import json

    return Q(**{f"{field_name}_text__contains": json.dumps(value)})


def visible_tasks(user) -> QuerySet[UserTask]:
    """Tasks in any state this user may see: candidates (or all, for admins), on processes
    where the user may work on tasks (role, narrowed or widened by ProcessPermission)."""
    tasks = selectors.list_visible_tasks(
        user.get_username(), access.group_names_of(user), see_all=access.sees_all_tasks(user)
    )
    denied = access.processes_denied(user, "work_tasks")
    if denied:
        tasks = tasks.exclude(bpmn_process_id__in=denied)
    if not access.can_work_tasks(user):
        tasks = tasks.filter(bpmn_process_id__in=access.processes_granted(user, "work_tasks"))
    return tasks


def filtered_tasks(user, flt: InboxFilter) -> QuerySet[UserTask]:
    username = user.get_username()
    tasks = visible_tasks(user)
    if flt.view == "completed":
        tasks = tasks.filter(state=UserTask.State.COMPLETED, completed_by=username)
    else:
        tasks = tasks.filter(state=UserTask.State.CREATED)
    if flt.view == "mine":
        tasks = tasks.filter(assignee=username)
    elif flt.view == "group":
        in_my_groups = Q(pk__in=[])
        for group in access.group_names_of(user):
            in_my_groups |= _contains("candidate_groups", group)
        tasks = tasks.filter(in_my_groups, assignee="")
    if flt.process:
        tasks = tasks.filter(bpmn_process_id=flt.process)
    if flt.business_key:
        tasks = tasks.filter(business_key__startswith=flt.business_key)
    if flt.name:
        tasks = tasks.filter(name__icontains=flt.name)
    for column, lookup, value in (
        ("due_date", "gte", flt.due_after),
        ("due_date", "lte", flt.due_before),
        ("follow_up_date", "gte", flt.follow_up_after),
        ("follow_up_date", "lte", flt.follow_up_before),
        ("priority", "gte", flt.priority_min),
        ("priority", "lte", flt.priority_max),
    ):
        if value is not None:
            tasks = tasks.filter(**{f"{column}__{lookup}": value})
    if flt.variable_name:
        matching = Variable.objects.filter(
            instance=OuterRef("instance"), name=flt.variable_name, value_text=flt.variable_value
        )
        tasks = tasks.filter(Exists(matching))
    return tasks


def _ordered(tasks: QuerySet[UserTask], sort: str) -> QuerySet[UserTask]:
    if sort == "created":
        return tasks.order_by("-created_at", "key")
    if sort == "priority":
        return tasks.order_by("-priority", F("due_date").asc(nulls_last=True), "-created_at", "key")
    return tasks.order_by(F("due_date").asc(nulls_last=True), "-priority", "-created_at", "key")


def _recheck(user, task: UserTask, flt: InboxFilter) -> bool:
    """SQLite matches JSON lists by text: re-check the exact rule on each row."""
    if not access.may_see_task(user, task):
        return False
    if flt.view == "group":
        return bool(set(task.candidate_groups or []) & access.group_names_of(user))
    return True


def inbox(user, flt: InboxFilter, *, now: dt.datetime | None = None, limit: int = LIMIT) -> Inbox:
    """One page of the inbox with its business-variable columns and SLA timers: a fixed
    number of queries, whatever the number of rows."""
    now = now or timezone.now()
    tasks = filtered_tasks(user, flt)
    total = tasks.count()
    rows = [InboxRow(task=t) for t in _ordered(tasks, flt.sort)[:limit] if _recheck(user, t, flt)]
    _add_columns(user, rows, flt.columns)
    _add_slas(rows, now)
    for row in rows:
        due = row.task.due_date
        row.overdue = row.task.state == UserTask.State.CREATED and due is not None and due < now
    return Inbox(rows=rows, total=total, columns=flt.columns)


def _add_columns(user, rows: list[InboxRow], columns: tuple[str, ...]) -> None:
    if not columns or not rows:
        return
    values: dict[tuple[uuid.UUID, str], Any] = {}
    instance_keys = {r.task.instance_id for r in rows}
    variables = Variable.objects.filter(instance_id__in=instance_keys, scope_key__in=instance_keys, name__in=columns)
    for instance_key, name, value in variables.values_list("instance_id", "name", "value"):
        values[(instance_key, name)] = value
    for row in rows:
        shown = access.mask_variables(
            user, row.task.bpmn_process_id, {name: values.get((row.task.instance_id, name)) for name in columns}
        )
        row.columns = [shown[name] for name in columns]


def sla_timers(element_instance_keys: Iterable[uuid.UUID]) -> dict[uuid.UUID, list[Timer]]:
    """Scheduled timers owned by these element instances: on a user task, those are its
    boundary timers (a user task waits on nothing else with a Timer row)."""
    timers: dict[uuid.UUID, list[Timer]] = {}
    rows = Timer.objects.filter(
        element_instance_key__in=list(element_instance_keys), state=Timer.State.SCHEDULED
    ).order_by("due_at")
    for timer in rows:
        timers.setdefault(timer.element_instance_key, []).append(timer)
    return timers


def _add_slas(rows: list[InboxRow], now: dt.datetime) -> None:
    open_rows = [r for r in rows if r.task.state == UserTask.State.CREATED]
    if not open_rows:
        return
    timers = sla_timers(r.task.element_instance_key for r in open_rows)
    for row in open_rows:
        first = timers.get(row.task.element_instance_key)
        if first:
            row.sla_due = first[0].due_at


def process_ids_for(user) -> list[str]:
    """Process ids offered in the filter: those the user may work on."""
    ids = ProcessDefinition.objects.order_by("bpmn_process_id").values_list("bpmn_process_id", flat=True).distinct()
    return [p for p in ids if access.can_work_tasks(user, p)]


# -- saved filters -------------------------------------------------------------------


def saved_filters_for(user) -> list[SavedTaskFilter]:
    """The user's own filters and those shared with one of their groups."""
    groups = access.group_names_of(user)
    return list(
        SavedTaskFilter.objects.filter(Q(owner=user) | Q(shared_with__name__in=groups))
        .select_related("owner", "shared_with")
        .distinct()
        .order_by("name", "key")
    )


def get_saved_filter_for(user, key: uuid.UUID) -> SavedTaskFilter | None:
    for saved in saved_filters_for(user):
        if saved.key == key:
            return saved
    return None


def count_saved_filters(user, saved: list[SavedTaskFilter], parse) -> dict[uuid.UUID, int]:
    """Live counts: one COUNT per filter (``parse`` turns criteria into an InboxFilter)."""
    counts = {}
    for item in saved:
        flt = parse(item.criteria, item.columns)
        counts[item.key] = filtered_tasks(user, flt).count() if flt is not None else 0
    return counts


# -- the task page ---------------------------------------------------------------------


@dataclass
class ShownVariable:
    name: str
    value: Any
    masked: bool


def task_variables(user, task: UserTask) -> tuple[list[ShownVariable], dict[str, Any]]:
    """The variables the task sees, masked for this user; and the raw values by name
    (for form prefill, which skips masked names)."""
    rows = selectors.list_task_variables(task)
    raw = {v.name: v.value for v in rows}
    hidden = access.masked_names(user, task.bpmn_process_id)
    shown = [ShownVariable(v.name, access.MASK if v.name in hidden else v.value, v.name in hidden) for v in rows]
    return shown, raw


@dataclass
class HistoryEntry:
    when: dt.datetime
    what: str
    who: str
    detail: str = ""
    comment: str = ""


_EVENT_LABELS = {
    "user_task_created": "Created",
    "user_task_claimed": "Claimed",
    "user_task_unclaimed": "Unclaimed",
    "user_task_assigned": "Assigned",
    "user_task_delegated": "Delegated",
    "user_task_delegation_resolved": "Returned to owner",
    "user_task_dates_changed": "Dates changed",
    "user_task_completed": "Completed",
    "user_task_commented": "Commented",
}


def task_history(task: UserTask) -> list[HistoryEntry]:
    """Created, claimed, reassigned, delegated, completed (audit events) and comments, oldest first."""
    events = AuditEvent.objects.filter(instance_key=task.instance_id, element_instance_key=task.element_instance_key)
    entries = []
    for event in events.order_by("id"):
        data = event.data or {}
        if event.type not in _EVENT_LABELS or event.type == "user_task_commented":
            continue
        if data.get("task") not in (None, str(task.key)):
            continue
        entries.append(
            HistoryEntry(event.created_at, _EVENT_LABELS[event.type], event.actor, _detail(event.type, data))
        )
    for comment in TaskComment.objects.filter(task=task).order_by("created_at", "key"):
        entries.append(HistoryEntry(comment.created_at, "Comment", comment.author, comment=comment.text))
    entries.sort(key=lambda e: e.when)
    return entries


def _detail(kind: str, data: dict) -> str:
    if kind in ("user_task_claimed", "user_task_assigned"):
        text = f"to {data.get('assignee') or 'nobody'}"
        return text + (f" (was {data['previous']})" if data.get("previous") else "")
    if kind == "user_task_delegated":
        return f"to {data.get('assignee')} by owner {data.get('owner')}"
    if kind == "user_task_delegation_resolved":
        return f"back to {data.get('assignee')} from {data.get('delegate')}"
    if kind == "user_task_unclaimed" and data.get("previous"):
        return f"was {data['previous']}"
    if kind == "user_task_dates_changed":
        return f"due {data.get('due_date') or '—'}, follow-up {data.get('follow_up_date') or '—'}"
    if kind == "user_task_completed" and data.get("variables"):
        return "wrote " + ", ".join(data["variables"])
    if kind == "user_task_created" and data.get("assignee"):
        return f"for {data['assignee']}"
    return ""


@dataclass
class PathStep:
    element_id: str
    element_type: str
    state: str
    current: bool


def task_path(task: UserTask) -> list[PathStep]:
    """The path the instance took to this task (the fallback when no diagram renderer exists)."""
    # one command starts several elements at the same moment: ended ones came first
    rows = ElementInstance.objects.filter(instance_id=task.instance_id).order_by(
        "started_at", F("ended_at").asc(nulls_last=True), "key"
    )
    return [
        PathStep(e.element_id, e.element_type, e.state, e.key == task.element_instance_key)
        for e in rows
        if e.element_type not in ("sequenceFlow", "multiInstanceBody")
    ]
