"""Read queries behind Operate's incidents board, batches pages and dashboard charts.

Like ``selectors`` (split out to keep that module small): plain values in,
rows or small dataclasses out, a fixed number of queries per call, no writes.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Count, F, Q, QuerySet, TextField
from django.db.models.functions import Cast, Trunc
from django.utils import timezone

from .models import BatchItem, BatchOperation, Incident, Job, ProcessInstance, SavedView
from .models.incidents import fingerprint as fingerprint_of
from .selectors import list_open_incident_groups, open_incidents

# ---------------------------------------------------------------------------
# Incidents board
# ---------------------------------------------------------------------------

SPARK_HOURS = 24


@dataclass
class BoardGroup:
    """Open incidents sharing a fingerprint, across processes and versions."""

    fingerprint: str
    count: int
    instance_count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    example_message: str
    versions: list[tuple[str, int, int]] = field(default_factory=list)  # (process id, version, open incidents)
    hourly: list[int] = field(default_factory=list)  # incidents raised per hour, oldest first, last 24 h
    recent: list[Incident] = field(default_factory=list)  # the newest open ones, with their instance


def list_incident_board(
    *, now: dt.datetime | None = None, recent_per_group: int = 20, hidden: Collection[str] = ()
) -> list[BoardGroup]:
    """Open incident groups with where they occur, a per-hour history and their newest incidents (four queries).

    The history counts every incident of the fingerprint raised in the last 24 hours,
    resolved or not: a group that keeps coming back shows it. Incidents of the ``hidden``
    process ids (``access.hidden_processes``) are left out everywhere.
    """
    now = now or timezone.now()
    groups = [
        BoardGroup(**_plain(g)) for g in list_open_incident_groups(recent_per_group=recent_per_group, hidden=hidden)
    ]
    if not groups:
        return []
    by_fingerprint = {g.fingerprint: g for g in groups}
    versions = (
        open_incidents(hidden)
        .order_by()
        .values("fingerprint", "bpmn_process_id", "instance__definition__version")
        .annotate(n=Count("key"))
        .order_by("fingerprint", "bpmn_process_id", "instance__definition__version")
    )
    for row in versions:
        group = by_fingerprint.get(row["fingerprint"])
        if group is not None:
            group.versions.append((row["bpmn_process_id"], row["instance__definition__version"], row["n"]))
    this_hour = now.replace(minute=0, second=0, microsecond=0)
    since = this_hour - dt.timedelta(hours=SPARK_HOURS - 1)
    for group in groups:
        group.hourly = [0] * SPARK_HOURS
    recently = Incident.objects.filter(fingerprint__in=list(by_fingerprint), created_at__gte=since)
    if hidden:
        recently = recently.exclude(bpmn_process_id__in=sorted(hidden))
    hourly = (
        recently.annotate(hour=Trunc("created_at", "hour", tzinfo=dt.UTC))
        .order_by()
        .values("fingerprint", "hour")
        .annotate(n=Count("key"))
    )
    for row in hourly:
        index = int((row["hour"] - since).total_seconds() // 3600)
        if 0 <= index < SPARK_HOURS:
            by_fingerprint[row["fingerprint"]].hourly[index] += row["n"]
    return groups


def _plain(group) -> dict:
    return {
        "fingerprint": group.fingerprint,
        "count": group.count,
        "instance_count": group.instance_count,
        "first_seen": group.first_seen,
        "last_seen": group.last_seen,
        "example_message": group.example_message,
        "recent": group.recent,
    }


@dataclass(frozen=True)
class RetryingJobs:
    """Jobs whose last attempt failed but that have retries left: incidents in the making."""

    count: int
    jobs: list[Job]


def list_retrying_jobs(*, limit: int = 50, hidden: Collection[str] = ()) -> RetryingJobs:
    # a failed attempt leaves its error message on the job; retries left means no incident yet
    jobs = Job.objects.filter(state__in=(Job.State.ACTIVATABLE, Job.State.LOCKED), retries__gt=0).exclude(
        error_message=""
    )
    if hidden:
        jobs = jobs.exclude(bpmn_process_id__in=sorted(hidden))
    rows = list(jobs.select_related("instance").order_by("-updated_at", "key")[:limit])
    for job in rows:
        job.fingerprint = fingerprint_of(job.error_message)
    return RetryingJobs(count=jobs.count() if len(rows) >= limit else len(rows), jobs=rows)


# ---------------------------------------------------------------------------
# Batches
# ---------------------------------------------------------------------------


def _without_hidden_batches(batches: QuerySet[BatchOperation], hidden: Collection[str]) -> QuerySet[BatchOperation]:
    """Batches with an item on an instance of a ``hidden`` process are left out, whoever created
    them: their items would show that process's instances. No condition when ``hidden`` is empty.

    Reads ``process_ids`` (stored at creation), not the items: a text match on the JSON array.
    Process ids are XML NCNames (no quote, no backslash), so ``"id"`` with its quotes matches
    one whole element of the array and nothing else. PostgreSQL writes jsonb text with its
    letters as they are ("prüfen"); SQLite keeps the JSON Django wrote, with non-ASCII letters
    escaped ("pr\\u00fcfen"). (SQLite's LIKE also ignores ASCII case: there a rule on "Orders"
    hides the batches of "orders" too, which errs on the hiding side.)"""
    if not hidden:
        return batches
    ascii_only = connection.vendor != "postgresql"
    touching = Q()
    for process_id in sorted(hidden):
        touching |= Q(process_ids_text__contains=json.dumps(process_id, ensure_ascii=ascii_only))
    return batches.alias(process_ids_text=Cast("process_ids", output_field=TextField())).exclude(touching)


def visible_batches(*, hidden: Collection[str] = ()) -> QuerySet[BatchOperation]:
    """Every batch but those with an item of a ``hidden`` process (unordered; the API pages it)."""
    return _without_hidden_batches(BatchOperation.objects.all(), hidden)


def list_batches(*, limit: int = 100, hidden: Collection[str] = ()) -> list[BatchOperation]:
    return list(visible_batches(hidden=hidden).order_by("-created_at", "key")[:limit])


def get_batch(key: uuid.UUID, *, hidden: Collection[str] = ()) -> BatchOperation | None:
    return _without_hidden_batches(BatchOperation.objects.filter(key=key), hidden).first()


@dataclass(frozen=True)
class BatchItemPage:
    items: list[BatchItem]
    next_after: int | None


def list_batch_items(
    batch: BatchOperation, *, state: str = "", after: int | None = None, limit: int = 200
) -> BatchItemPage:
    """Items in selection order with their instance (``item.instance``, None if it is gone); two queries."""
    items = batch.items.all()
    if state:
        items = items.filter(state=state)
    if after is not None:
        items = items.filter(id__gt=after)
    rows = list(items.order_by("id")[: limit + 1])
    next_after = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_after = rows[-1].id
    instances = ProcessInstance.objects.select_related("definition").in_bulk([r.instance_key for r in rows])
    for row in rows:
        row.instance = instances.get(row.instance_key)
    return BatchItemPage(items=rows, next_after=next_after)


# ---------------------------------------------------------------------------
# Saved views
# ---------------------------------------------------------------------------


def list_saved_views(user: AbstractBaseUser) -> list[SavedView]:
    """The user's own views and those shared with one of their groups (one query)."""
    visible = Q(owner=user) | Q(shared_with_group__in=user.groups.values("pk"))
    return list(SavedView.objects.filter(visible).select_related("owner", "shared_with_group").order_by("name", "id"))


# ---------------------------------------------------------------------------
# Dashboard series
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    minutes: list[dt.datetime]  # oldest first, one per minute
    started: list[int]
    completed: list[int]


def count_throughput_per_minute(
    *, now: dt.datetime | None = None, minutes: int = 60, hidden: Collection[str] = ()
) -> Throughput:
    """Instances started and completed per minute over the last hour (two grouped queries),
    not counting the ``hidden`` process ids."""
    now = now or timezone.now()
    this_minute = now.replace(second=0, microsecond=0)
    since = this_minute - dt.timedelta(minutes=minutes - 1)
    slots = [since + dt.timedelta(minutes=n) for n in range(minutes)]

    def per_minute(column: str, **conditions) -> list[int]:
        counts = [0] * minutes
        instances = ProcessInstance.objects.filter(**{f"{column}__gte": since}, **conditions)
        if hidden:
            instances = instances.exclude(bpmn_process_id__in=sorted(hidden))
        rows = (
            instances.annotate(minute=Trunc(column, "minute", tzinfo=dt.UTC))
            .order_by()
            .values("minute")
            .annotate(n=Count("key"))
        )
        for row in rows:
            index = int((row["minute"] - since).total_seconds() // 60)
            if 0 <= index < minutes:
                counts[index] += row["n"]
        return counts

    return Throughput(
        minutes=slots,
        started=per_minute("started_at"),
        completed=per_minute("ended_at", state=ProcessInstance.State.COMPLETED),
    )


def list_completed_durations(
    *, now: dt.datetime | None = None, hours: int = 24, limit: int = 5000, hidden: Collection[str] = ()
) -> list[float]:
    """Seconds from start to end of the instances completed in the last day (the newest ``limit``),
    not of the ``hidden`` process ids."""
    now = now or timezone.now()
    completed = ProcessInstance.objects.filter(
        state=ProcessInstance.State.COMPLETED, ended_at__gte=now - dt.timedelta(hours=hours)
    )
    if hidden:
        completed = completed.exclude(bpmn_process_id__in=sorted(hidden))
    rows = (
        completed.annotate(duration=F("ended_at") - F("started_at"))
        .order_by("-ended_at")
        .values_list("duration", flat=True)[:limit]
    )
    return [d.total_seconds() for d in rows if d is not None]
