"""Read queries for the consoles and the API.

Selectors own ``select_related``/``annotate`` so views and templates never
trigger a query per row. They take plain values (keys, names, filters), not
requests, and never write. Permission checks happen in the callers, through
``orchestration.access``; list selectors take ``hidden`` (the process ids a rule hides
from the reader, ``access.hidden_processes``) and add no condition when it is empty.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import groupby

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Window,
)
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from .instance_search import Cursor, InstanceFilter, filter_instances, order_instances  # noqa: F401
from .models import (
    AuditEvent,
    ElementInstance,
    Incident,
    Job,
    MessageSubscription,
    ProcessDefinition,
    ProcessInstance,
    Timer,
    UserTask,
    Variable,
)

INSTANCE_STATES = ("active", "completed", "cancelled", "incident")

# ---------------------------------------------------------------------------
# Definitions and counts
# ---------------------------------------------------------------------------


def list_definitions_with_counts(bpmn_process_id: str | None = None) -> list[ProcessDefinition]:
    """Every definition version, newest version first per process id, with instance counts.

    Each row has ``active_count``, ``completed_count``, ``cancelled_count`` and
    ``open_incident_count``. One query: the definitions joined to two grouped
    derived tables. (A join of definitions to instances grouped per definition
    with the incident count as a correlated subquery made PostgreSQL evaluate
    that subquery once per instance row: minutes at 1M instances.)
    """
    instance_table = ProcessInstance._meta.db_table
    incident_table = Incident._meta.db_table
    # The counts are grouped over every row even for one process: an index-only scan of
    # pi_state_def beats reading the process's rows through another index (measured at 1M).
    where_definition, params = "", []
    if bpmn_process_id is not None:
        where_definition, params = "WHERE d.bpmn_process_id = %s", [bpmn_process_id]
    state = ProcessInstance.State
    # computed once each, not once per definition row of a nested loop
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    sql = f"""
        WITH by_state AS {materialized}(
            SELECT i.definition_id, i.state, COUNT(*) AS n
            FROM {instance_table} i
            GROUP BY i.definition_id, i.state
        ), c AS (
            SELECT definition_id,
                   SUM(CASE WHEN state = '{state.ACTIVE}' THEN n ELSE 0 END) AS active_count,
                   SUM(CASE WHEN state = '{state.COMPLETED}' THEN n ELSE 0 END) AS completed_count,
                   SUM(CASE WHEN state = '{state.CANCELLED}' THEN n ELSE 0 END) AS cancelled_count
            FROM by_state
            GROUP BY definition_id
        ), o AS {materialized}(
            SELECT p.definition_id, COUNT(*) AS open_incident_count
            FROM {incident_table} x JOIN {instance_table} p ON p.key = x.instance_id
            WHERE x.state = '{Incident.State.OPEN}'
            GROUP BY p.definition_id
        )
        SELECT d.*,
               COALESCE(c.active_count, 0) AS active_count,
               COALESCE(c.completed_count, 0) AS completed_count,
               COALESCE(c.cancelled_count, 0) AS cancelled_count,
               COALESCE(o.open_incident_count, 0) AS open_incident_count
        FROM {ProcessDefinition._meta.db_table} d
        LEFT JOIN c ON c.definition_id = d.key
        LEFT JOIN o ON o.definition_id = d.key
        {where_definition}
        ORDER BY d.bpmn_process_id, d.version DESC
    """
    return list(ProcessDefinition.objects.raw(sql, params))


@dataclass(frozen=True)
class CountTotals:
    active: int = 0
    completed: int = 0
    cancelled: int = 0
    open_incidents: int = 0


def _totals(definitions: Iterable[ProcessDefinition]) -> CountTotals:
    rows = list(definitions)
    return CountTotals(
        active=sum(d.active_count for d in rows),
        completed=sum(d.completed_count for d in rows),
        cancelled=sum(d.cancelled_count for d in rows),
        open_incidents=sum(d.open_incident_count for d in rows),
    )


@dataclass(frozen=True)
class ProcessSummary:
    """One process id with its versions (newest first) and totals over them."""

    bpmn_process_id: str
    name: str
    versions: list[ProcessDefinition]
    totals: CountTotals

    @property
    def latest(self) -> ProcessDefinition:
        return self.versions[0]


def _visible(definitions: Iterable[ProcessDefinition], hidden: Collection[str]) -> list[ProcessDefinition]:
    """The definitions of processes not in ``hidden`` (filtered here: the counting query stays one plan)."""
    return [d for d in definitions if d.bpmn_process_id not in hidden] if hidden else list(definitions)


def list_processes(*, hidden: Collection[str] = ()) -> list[ProcessSummary]:
    """Definitions grouped by process id (one query); ``hidden`` process ids are left out."""
    summaries = []
    definitions = _visible(list_definitions_with_counts(), hidden)
    for process_id, rows in groupby(definitions, key=lambda d: d.bpmn_process_id):
        versions = list(rows)
        summaries.append(
            ProcessSummary(
                bpmn_process_id=process_id,
                name=versions[0].name,
                versions=versions,
                totals=_totals(versions),
            )
        )
    return summaries


@dataclass(frozen=True)
class DashboardCounts:
    rows: list[ProcessDefinition]
    totals: CountTotals


def count_instances_by_definition(*, hidden: Collection[str] = ()) -> DashboardCounts:
    """Counts per process id and version, for the versions that have any instance
    (not of the ``hidden`` process ids)."""
    rows = [
        d
        for d in _visible(list_definitions_with_counts(), hidden)
        if d.active_count or d.completed_count or d.cancelled_count or d.open_incident_count
    ]
    return DashboardCounts(rows=rows, totals=_totals(rows))


def get_definition(key: uuid.UUID) -> ProcessDefinition | None:
    return ProcessDefinition.objects.select_related("deployment").filter(key=key).first()


def list_process_ids(*, hidden: Collection[str] = ()) -> list[str]:
    ids = ProcessDefinition.objects.order_by("bpmn_process_id").values_list("bpmn_process_id", flat=True).distinct()
    return [p for p in ids if p not in hidden]


# ---------------------------------------------------------------------------
# Incidents
# ---------------------------------------------------------------------------


@dataclass
class IncidentGroup:
    """Open incidents that share a fingerprint (the normalised error message)."""

    fingerprint: str
    count: int
    instance_count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    example_message: str
    recent: list[Incident] = field(default_factory=list)


def open_incidents(hidden: Collection[str] = ()) -> QuerySet[Incident]:
    """Open incidents, without those of the ``hidden`` process ids (no condition when empty)."""
    incidents = Incident.objects.filter(state=Incident.State.OPEN)
    return incidents.exclude(bpmn_process_id__in=sorted(hidden)) if hidden else incidents


def list_open_incident_groups(recent_per_group: int = 0, *, hidden: Collection[str] = ()) -> list[IncidentGroup]:
    """Open incidents grouped by fingerprint, the largest group first.

    With ``recent_per_group``, each group also carries its most recent
    incidents (with their instance), fetched in one more query. Incidents of the
    ``hidden`` process ids are left out.
    """
    aggregates = (
        open_incidents(hidden)
        .order_by()
        .values("fingerprint")
        .annotate(
            count=Count("key"),
            instance_count=Count("instance", distinct=True),
            first_seen=Min("created_at"),
            last_seen=Max("created_at"),
            example_message=Max("message"),
        )
        .order_by("-count", "-last_seen", "fingerprint")
    )
    groups = [IncidentGroup(**row) for row in aggregates]
    if not groups or recent_per_group <= 0:
        return groups
    by_fingerprint = {g.fingerprint: g for g in groups}
    recent = (
        open_incidents(hidden)
        .select_related("instance", "instance__definition")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("fingerprint")],
                order_by=[F("created_at").desc(), F("key").desc()],
            )
        )
        .filter(rank__lte=recent_per_group)
        .order_by("fingerprint", "-created_at", "-key")
    )
    for incident in recent:
        group = by_fingerprint.get(incident.fingerprint)
        if group is not None:
            group.recent.append(incident)
    return groups


# ---------------------------------------------------------------------------
# Instances
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InstancePage:
    instances: list[ProcessInstance]
    next_cursor: Cursor | None


def _open_incidents_of_instance() -> Exists:
    return Exists(Incident.objects.filter(instance=OuterRef("pk"), state=Incident.State.OPEN))


def list_instances(
    filters: InstanceFilter, *, after: Cursor | None = None, limit: int = 50, hidden: Collection[str] = ()
) -> InstancePage:
    """One page of instances in the filter's sort order (newest first by default), keyset-paginated.

    Filters and keyset ordering live in ``instance_search``, shared with CSV export and batches;
    ``hidden`` process ids (``access.hidden_processes``) are left out.
    """
    instances = ProcessInstance.objects.select_related("definition").annotate(
        has_open_incident=_open_incidents_of_instance()
    )
    instances = order_instances(filter_instances(filters, instances, hidden=hidden), filters.sort, after)
    rows = list(instances[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = Cursor.after_row(rows[-1], filters.sort)
    return InstancePage(instances=rows, next_cursor=next_cursor)


def count_instances_capped(filters: InstanceFilter, *, cap: int, hidden: Collection[str] = ()) -> int:
    """How many instances the filter matches, counting no further than ``cap + 1`` (a result
    above ``cap`` means "more than cap"): COUNT over the filtered query with LIMIT, so a broad
    filter over a million rows stops early instead of counting every match."""
    matching = filter_instances(filters, ProcessInstance.objects.all(), hidden=hidden).order_by()
    return matching[: cap + 1].count()


def get_instance(key: uuid.UUID) -> ProcessInstance | None:
    return ProcessInstance.objects.select_related("definition", "parent", "parent__definition").filter(key=key).first()


@dataclass(frozen=True)
class VariableScope:
    """Variables of one scope: the process (element is None) or an element instance."""

    scope_key: uuid.UUID
    element: ElementInstance | None
    variables: list[Variable]


@dataclass(frozen=True)
class WaitingElement:
    """An active element instance and what its token waits for."""

    element: ElementInstance
    waits_for: list[str]


@dataclass(frozen=True)
class InstanceDetail:
    instance: ProcessInstance
    has_open_incident: bool
    waiting: list[WaitingElement]
    history: list[ElementInstance]
    scopes: list[VariableScope]
    jobs: list[Job]
    timers: list[Timer]
    subscriptions: list[MessageSubscription]
    user_tasks: list[UserTask]
    incidents: list[Incident]
    audit_events: list[AuditEvent]
    children: list[ProcessInstance]
    # every actor and element id of the instance's audit events (for the timeline's filter)
    audit_actors: list[str] = field(default_factory=list)
    audit_elements: list[str] = field(default_factory=list)


def _variable_scopes(
    instance: ProcessInstance, variables: list[Variable], elements: dict[uuid.UUID, ElementInstance]
) -> list[VariableScope]:
    scopes = []
    ordered = sorted(variables, key=lambda v: (v.scope_key != instance.key, str(v.scope_key), v.name))
    for scope_key, rows in groupby(ordered, key=lambda v: v.scope_key):
        scopes.append(VariableScope(scope_key=scope_key, element=elements.get(scope_key), variables=list(rows)))
    return scopes


def count_open_incidents_in_tree(instance: ProcessInstance) -> int:
    """Open incidents of an instance and every instance it called, directly or not."""
    root = instance.root_key or instance.key
    if instance.parent_id is None:
        return Incident.objects.filter(instance__root_key=root, state=Incident.State.OPEN).count()
    keys = [instance.key]
    frontier = [instance.key]
    while frontier:
        frontier = list(ProcessInstance.objects.filter(parent_id__in=frontier).values_list("key", flat=True))
        keys.extend(frontier)
    return Incident.objects.filter(instance_id__in=keys, state=Incident.State.OPEN).count()


def get_instance_detail(
    instance: ProcessInstance,
    *,
    audit_limit: int = 1000,
    hidden: Collection[str] = (),
    audit_types: Collection[str] | None = None,
    audit_element: str = "",
    audit_actor: str = "",
) -> InstanceDetail:
    """Everything the instance page shows, one query per kind of row; called instances of the
    ``hidden`` process ids are left out. The audit events can be narrowed to ``audit_types``,
    one element id and one actor."""
    history = list(instance.element_instances.order_by("started_at", "key"))
    elements = {e.key: e for e in history}
    variables = list(instance.variables.all())
    jobs = list(instance.jobs.filter(state__in=Job.OPEN_STATES).order_by("created_at", "key"))
    timers = list(
        instance.timers.filter(state__in=(Timer.State.SCHEDULED, Timer.State.FIRING)).order_by("due_at", "key")
    )
    subscriptions = list(
        instance.subscriptions.filter(state=MessageSubscription.State.OPEN).order_by("created_at", "key")
    )
    user_tasks = list(instance.user_tasks.order_by("-created_at", "key"))
    incidents = list(instance.incidents.select_related("job").order_by("state", "-created_at", "key"))
    all_events = AuditEvent.objects.filter(instance_key=instance.key)
    events = all_events
    if audit_types is not None:
        events = events.filter(type__in=list(audit_types))
    if audit_element:
        events = events.filter(element_id=audit_element)
    if audit_actor:
        events = events.filter(actor=audit_actor)
    audit_events = list(events.order_by("id")[:audit_limit])
    audit_facets = set(all_events.order_by().values_list("actor", "element_id").distinct())
    children = list(instance.children.select_related("definition").order_by("started_at", "key"))
    if hidden:
        children = [c for c in children if c.bpmn_process_id not in hidden]

    waits: dict[uuid.UUID, list[str]] = {}
    for job in jobs:
        waits.setdefault(job.element_instance_key, []).append(f"job {job.type} ({job.state})")
    for timer in timers:
        due = timezone.localtime(timer.due_at)
        waits.setdefault(timer.element_instance_key, []).append(f"timer due {due:%Y-%m-%d %H:%M:%S %Z}")
    for sub in subscriptions:
        label = f"message {sub.message_name}"
        if sub.correlation_key:
            label += f" [{sub.correlation_key}]"
        waits.setdefault(sub.element_instance_key, []).append(label)
    for task in user_tasks:
        if task.state == UserTask.State.CREATED:
            who = task.assignee or "unassigned"
            waits.setdefault(task.element_instance_key, []).append(f"user task ({who})")
    for child in children:
        if child.is_active and child.parent_element_instance_key:
            label = f"called instance {child.bpmn_process_id}"
            below = count_open_incidents_in_tree(child)
            if below:
                label += f" ({below} open incident{'s' if below != 1 else ''} in its tree)"
            waits.setdefault(child.parent_element_instance_key, []).append(label)
    for incident in incidents:
        if incident.state == Incident.State.OPEN:
            waits.setdefault(incident.element_instance_key, []).append(f"incident: {incident.get_type_display()}")

    waiting = [
        WaitingElement(element=e, waits_for=waits.get(e.key, []))
        for e in history
        if e.state == ElementInstance.State.ACTIVE
    ]
    return InstanceDetail(
        instance=instance,
        has_open_incident=any(i.state == Incident.State.OPEN for i in incidents),
        waiting=waiting,
        history=history,
        scopes=_variable_scopes(instance, variables, elements),
        jobs=jobs,
        timers=timers,
        subscriptions=subscriptions,
        user_tasks=user_tasks,
        incidents=incidents,
        audit_events=audit_events,
        children=children,
        audit_actors=sorted({actor for actor, _ in audit_facets if actor}),
        audit_elements=sorted({element for _, element in audit_facets if element}),
    )


# ---------------------------------------------------------------------------
# User tasks
# ---------------------------------------------------------------------------


def _json_list_contains(field_name: str, value: str) -> Q:
    """Rows whose JSON list ``field_name`` holds the string ``value``.

    SQLite has no JSON containment lookup, so there we match the quoted value in
    the JSON text; callers re-check candidates in Python (``may_see_task``).
    """
    if connection.features.supports_json_field_contains:
        return Q(**{f"{field_name}__contains": [value]})
    return Q(**{f"{field_name}_text__contains": json.dumps(value)})


def _tasks_visible_to(username: str, group_names: Iterable[str], *, see_all: bool) -> QuerySet[UserTask]:
    tasks = UserTask.objects.select_related("instance", "instance__definition")
    if see_all:
        return tasks
    if not connection.features.supports_json_field_contains:
        tasks = tasks.annotate(
            candidate_users_text=Cast("candidate_users", TextField()),
            candidate_groups_text=Cast("candidate_groups", TextField()),
        )
    visible = Q(assignee=username) | _json_list_contains("candidate_users", username)
    for group in group_names:
        visible |= _json_list_contains("candidate_groups", group)
    return tasks.filter(visible)


def may_see_task(task: UserTask, username: str, group_names: Iterable[str], *, see_all: bool) -> bool:
    """The exact rule: the assignee, a candidate user, or a member of a candidate group."""
    if see_all:
        return True
    if task.assignee == username:
        return True
    if username in (task.candidate_users or []):
        return True
    return bool(set(task.candidate_groups or []) & set(group_names))


def list_inbox_tasks(username: str, group_names: Iterable[str], *, see_all: bool, limit: int = 200) -> list[UserTask]:
    """Open user tasks this user may work on: most urgent (due) first, then newest."""
    group_names = list(group_names)
    tasks = (
        _tasks_visible_to(username, group_names, see_all=see_all)
        .filter(state=UserTask.State.CREATED)
        .order_by(F("due_date").asc(nulls_last=True), "-created_at", "key")[:limit]
    )
    return [t for t in tasks if may_see_task(t, username, group_names, see_all=see_all)]


def get_task_for(key: uuid.UUID, username: str, group_names: Iterable[str], *, see_all: bool) -> UserTask | None:
    group_names = list(group_names)
    task = _tasks_visible_to(username, group_names, see_all=see_all).filter(key=key).first()
    if task is None or not may_see_task(task, username, group_names, see_all=see_all):
        return None
    return task


def list_task_variables(task: UserTask) -> list[Variable]:
    """The variables a task sees: its own scope, then each enclosing scope up to the process.

    A name in an inner scope hides the same name further out.
    """
    parents = dict(ElementInstance.objects.filter(instance_id=task.instance_id).values_list("key", "scope_key"))
    chain: list[uuid.UUID] = []
    scope: uuid.UUID | None = task.element_instance_key
    while scope is not None and scope not in chain:
        chain.append(scope)
        scope = parents.get(scope)
    if task.instance_id not in chain:
        chain.append(task.instance_id)
    depth = {key: i for i, key in enumerate(chain)}
    variables = Variable.objects.filter(instance_id=task.instance_id, scope_key__in=chain)
    nearest: dict[str, Variable] = {}
    for variable in sorted(variables, key=lambda v: depth[v.scope_key]):
        nearest.setdefault(variable.name, variable)
    return sorted(nearest.values(), key=lambda v: v.name)


def list_visible_tasks(username: str, group_names: Iterable[str], *, see_all: bool) -> QuerySet[UserTask]:
    """User tasks in any state that this user may see, for the API's search (callers add
    filters and pagination). On SQLite a superset: re-check rows with ``may_see_task``."""
    return _tasks_visible_to(username, list(group_names), see_all=see_all)


# ---------------------------------------------------------------------------
# Diagram overlays (drawn by operate/diagram.py)
# ---------------------------------------------------------------------------

_MI_BODY = "multiInstanceBody"


@dataclass(frozen=True)
class DiagramOverlays:
    """Per element id: active/incidents/completed/cancelled counts, taken, compensated, mi
    ("done/total" for multi-instance); plus the ids of the sequence flows taken."""

    elements: dict[str, dict[str, object]]
    taken_flows: frozenset[str] = frozenset()


def _overlay_entry(elements: dict[str, dict[str, object]], element_id: str) -> dict[str, object]:
    return elements.setdefault(
        element_id,
        {"active": 0, "incidents": 0, "completed": 0, "cancelled": 0, "taken": False, "compensated": False},
    )


def diagram_overlays_for_instance(instance: ProcessInstance) -> DiagramOverlays:
    """Where tokens wait, open incidents, the path taken, compensated activities and
    multi-instance progress of one instance. Four queries, whatever its size."""
    elements: dict[str, dict[str, object]] = {}
    flows: set[str] = set()
    totals: dict[str, int] = {}
    rows = (
        ElementInstance.objects.filter(instance=instance)
        .values("element_id", "element_type", "state", "incoming_flow")
        .annotate(n=Count("key"))
        .order_by()
    )
    for row in rows:
        if row["incoming_flow"]:
            flows.add(row["incoming_flow"])
        entry = _overlay_entry(elements, row["element_id"])
        entry["taken"] = True
        if row["element_type"] == _MI_BODY:
            continue  # counted through its inner instances
        if row["state"] == ElementInstance.State.ACTIVE:
            entry["active"] += row["n"]
        elif row["state"] == ElementInstance.State.COMPLETED:
            entry["completed"] += row["n"]
        else:
            entry["cancelled"] += row["n"]
    bodies = (
        ElementInstance.objects.filter(instance=instance, element_type=_MI_BODY)
        .values_list("element_id", "payload__mi__n")
        .order_by("started_at", "key")
    )
    for element_id, total in bodies:
        entry = _overlay_entry(elements, element_id)
        if isinstance(total, int):
            totals[element_id] = totals.get(element_id, 0) + total
            entry["mi"] = f"{entry['completed']}/{totals[element_id]}"
    incidents = (
        Incident.objects.filter(instance=instance, state=Incident.State.OPEN)
        .values("element_id")
        .annotate(n=Count("key"))
        .order_by()
    )
    for row in incidents:
        _overlay_entry(elements, row["element_id"])["incidents"] = row["n"]
    events = (
        AuditEvent.objects.filter(instance_key=instance.key, type__in=("sequence_flow_taken", "activity_compensated"))
        .values_list("type", "element_id")
        .distinct()
        .order_by()
    )
    for event_type, element_id in events:
        if event_type == "sequence_flow_taken":
            flows.add(element_id)
        else:
            _overlay_entry(elements, element_id)["compensated"] = True
    return DiagramOverlays(elements=elements, taken_flows=frozenset(flows))


# Median and p95 come from the newest completed element instances of the version, not from all
# of them: sorting millions of rows on every ?overlay=duration view costs seconds. "Newest" is by
# key: keys are time-ordered (orchestration.keys, UUIDv7), so the primary key index walks them
# newest first and the query stops after DURATION_SAMPLE rows, on PostgreSQL and SQLite alike.
DURATION_SAMPLE = 20_000


def _percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks, as PostgreSQL's percentile_cont."""
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _counts_with_percentiles(counts: QuerySet, newest: QuerySet) -> list[dict[str, object]]:
    """PostgreSQL: the per-element counts joined to median and p95 (percentile_cont) over the
    ``newest`` sample, in one statement (the heatmap costs no more queries than the counts)."""
    counts_sql, counts_params = counts.query.sql_with_params()
    newest_sql, newest_params = newest.query.sql_with_params()
    sql = (
        f"WITH sample (element_id, started_at, ended_at) AS ({newest_sql}), "
        "timed AS (SELECT element_id, "
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY ended_at - started_at) AS median, "
        "percentile_cont(0.95) WITHIN GROUP (ORDER BY ended_at - started_at) AS p95 "
        "FROM sample GROUP BY element_id) "
        f"SELECT counts.element_id, counts.active, counts.completed, counts.cancelled, timed.median, timed.p95 "
        f"FROM ({counts_sql}) AS counts LEFT JOIN timed ON timed.element_id = counts.element_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*newest_params, *counts_params])
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def diagram_counts_for_definition(definition: ProcessDefinition, *, durations: bool = False) -> DiagramOverlays:
    """Per element of one process version: element instances active, completed and
    cancelled (terminated) and open incidents, over all its instances. Two queries,
    aggregated in SQL.

    ``durations`` adds ``median`` and ``p95`` (seconds, for the elements with completed
    element instances) from started_at to ended_at, over the newest ``DURATION_SAMPLE``
    completed element instances of the version (newest started: element instances that
    take longer than the time the sample spans are under-represented); a sample query that
    stops after that many rows, on PostgreSQL joined to the counts with percentile_cont in
    the same statement, on SQLite a third query computed here. Multi-instance
    bodies are left out, as in the counts: an element's duration is its inner instances'."""
    elements: dict[str, dict[str, object]] = {}
    done = Q(state=ElementInstance.State.COMPLETED, ended_at__isnull=False)
    rows = (
        ElementInstance.objects.filter(instance__definition=definition)
        .exclude(element_type=_MI_BODY)
        .values("element_id")
        .annotate(
            active=Count("key", filter=Q(state=ElementInstance.State.ACTIVE)),
            completed=Count("key", filter=Q(state=ElementInstance.State.COMPLETED)),
            cancelled=Count("key", filter=Q(state=ElementInstance.State.TERMINATED)),
        )
        .order_by()
    )
    newest = (
        ElementInstance.objects.filter(done, instance__definition=definition)
        .exclude(element_type=_MI_BODY)
        .order_by("-key")
        .values_list("element_id", "started_at", "ended_at")[:DURATION_SAMPLE]
    )
    in_sql = durations and connection.vendor == "postgresql"
    for row in _counts_with_percentiles(rows, newest) if in_sql else rows:
        entry = _overlay_entry(elements, row["element_id"])
        entry.update(active=row["active"], completed=row["completed"], cancelled=row["cancelled"])
        if in_sql and row["median"] is not None:
            entry.update(median=row["median"].total_seconds(), p95=row["p95"].total_seconds())
    if durations and not in_sql:  # SQLite has no percentile_cont: a third query, computed here
        sample: dict[str, list[float]] = {}
        for element_id, started_at, ended_at in newest:
            sample.setdefault(element_id, []).append((ended_at - started_at).total_seconds())
        for element_id, seconds in sample.items():
            seconds.sort()
            _overlay_entry(elements, element_id).update(
                median=_percentile(seconds, 0.5), p95=_percentile(seconds, 0.95)
            )
    incidents = (
        Incident.objects.filter(instance__definition=definition, state=Incident.State.OPEN)
        .values("element_id")
        .annotate(n=Count("key"))
        .order_by()
    )
    for row in incidents:
        _overlay_entry(elements, row["element_id"])["incidents"] = row["n"]
    return DiagramOverlays(elements=elements)


@dataclass(frozen=True)
class ElementActivity:
    """One element of one instance: its element instances, their local variables, jobs, timers."""

    element_id: str
    element_instances: list[ElementInstance]
    variables: dict[uuid.UUID, list[Variable]]
    jobs: list[Job]
    timers: list[Timer]
    incidents: list[Incident]


def get_element_activity(instance: ProcessInstance, element_id: str, *, limit: int = 200) -> ElementActivity:
    """What happened at one element of an instance (the diagram's element panel). Five queries."""
    element_instances = list(
        ElementInstance.objects.filter(instance=instance, element_id=element_id).order_by("-started_at", "key")[:limit]
    )
    keys = [e.key for e in element_instances]
    variables: dict[uuid.UUID, list[Variable]] = {}
    for variable in Variable.objects.filter(instance=instance, scope_key__in=keys).order_by("name"):
        variables.setdefault(variable.scope_key, []).append(variable)
    jobs = list(Job.objects.filter(instance=instance, element_id=element_id).order_by("-created_at", "key")[:limit])
    timers = list(Timer.objects.filter(instance=instance, element_id=element_id).order_by("-due_at", "key")[:limit])
    incidents = list(
        Incident.objects.filter(instance=instance, element_id=element_id).order_by("state", "-created_at", "key")[
            :limit
        ]
    )
    return ElementActivity(
        element_id=element_id,
        element_instances=element_instances,
        variables=variables,
        jobs=jobs,
        timers=timers,
        incidents=incidents,
    )


def list_audit_events_until(instance: ProcessInstance, as_of) -> list[AuditEvent]:  # noqa: ANN001 (aware datetime)
    """The instance's audit events up to ``as_of``, in log order, for orchestration.replay. One query."""
    return list(
        AuditEvent.objects.filter(instance_key=instance.key, created_at__lte=as_of)
        .only("type", "element_id", "element_instance_key", "data", "created_at")
        .order_by("id")
    )
