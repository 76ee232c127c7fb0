"""Which instances of a selection a migration plan can move, and why the others cannot.

A read (no locks, nothing written): the preview the Operate migration page shows before
anything runs. ``migrate_instance`` checks each instance again under its lock.

Bounded time for any selection size: instances are grouped in SQL by their *signature*
(the set of element ids they have active element instances in, plus the element ids of
their open timers, message and signal subscriptions, which is what validation looks at);
each distinct signature is validated once, on one representative instance, not once per
instance. One query computes every instance's signature once, counts each signature and
takes its oldest few instances (a window function); a few more load the representatives
(one batch per 500 signatures). Nothing grows with the number of instances but that one
query's scan.

What a signature does not see: which flows a waiting parallel join has already received
(its ``arrived`` payload). Instances that differ only there share the representative's
answer; their own lock-time check still refuses a join the target does not lead into.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import QuerySet

from ..models import ElementInstance, MessageSubscription, ProcessInstance, SignalSubscription, Timer
from .migration import MigrationPlan, _problems, _processes, _snapshots

SAMPLE_SIZE = 5

# (signature part, model, column, values of it that count: the rows still open)
_PARTS = (
    ("active", ElementInstance, "state", (ElementInstance.State.ACTIVE,)),
    ("timer", Timer, "state", (Timer.State.SCHEDULED, Timer.State.FIRING)),
    ("message", MessageSubscription, "state", (MessageSubscription.State.OPEN,)),
    ("signal", SignalSubscription, "state", (SignalSubscription.State.OPEN,)),
)

# One pass: the selection (``sel``), each instance's open rows as ``part:element_id`` strings
# (``parts``; UNION drops duplicates), one signature string per instance (``sigs``), and per
# signature its instance count and oldest instances (``ranked``: window functions, which
# PostgreSQL and SQLite 3.25+ both have). Element ids are XML NCNames: no comma, no colon.
_SQL = """
WITH sel (key, business_key, started_at) AS ({selection}),
parts (inst, part) AS ({parts}),
sigs (inst, sig) AS (
    SELECT inst, {aggregate} FROM (SELECT inst, part FROM parts ORDER BY inst, part) AS ordered GROUP BY inst
),
ranked AS (
    SELECT sel.key, sel.business_key, sel.started_at, COALESCE(sigs.sig, '') AS sig,
        ROW_NUMBER() OVER (PARTITION BY COALESCE(sigs.sig, '') ORDER BY sel.started_at, sel.key) AS rn,
        COUNT(*) OVER (PARTITION BY COALESCE(sigs.sig, '')) AS n
    FROM sel LEFT JOIN sigs ON sigs.inst = sel.key
)
SELECT sig, n, key, business_key, started_at FROM ranked WHERE rn <= %s ORDER BY sig, rn
"""


def _aggregate() -> str:
    # PostgreSQL orders inside the aggregate; SQLite's GROUP_CONCAT (before 3.44) cannot, so it
    # takes the rows in the ordered subquery's order, and signatures are normalised to sets in
    # Python as well: instances with one set of waits always end up in one group.
    if connection.vendor == "postgresql":
        return "STRING_AGG(part, ',' ORDER BY part)"
    return "GROUP_CONCAT(part, ',')"


def _signature_rows(selection: QuerySet[ProcessInstance], sample_size: int) -> list[tuple]:
    """(raw signature, its instance count, key, business key, started_at) for the oldest
    ``sample_size`` instances of each raw signature of the selection. One query."""
    selection_sql, selection_params = (
        selection.order_by().values_list("key", "business_key", "started_at").query.sql_with_params()
    )
    quote = connection.ops.quote_name
    branches, params = [], []
    for name, model, column, values in _PARTS:
        table = quote(model._meta.db_table)
        instance = quote(model._meta.get_field("instance").column)
        element = quote(model._meta.get_field("element_id").column)
        branches.append(
            f"SELECT w.{instance}, '{name}:' || w.{element} FROM {table} w JOIN sel ON sel.key = w.{instance} "
            f"WHERE w.{quote(column)} IN ({', '.join(['%s'] * len(values))})"
        )
        params.extend(str(value) for value in values)
    sql = _SQL.format(selection=selection_sql, parts=" UNION ".join(branches), aggregate=_aggregate())
    with connection.cursor() as cursor:
        cursor.execute(sql, [*selection_params, *params, sample_size])
        return cursor.fetchall()


def _normalised(raw: str) -> tuple[tuple[str, frozenset[str]], ...]:
    pairs = [part.partition(":") for part in filter(None, (raw or "").split(","))]
    return tuple((name, frozenset(e for n, _, e in pairs if n == name)) for name, _, _, _ in _PARTS)


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


@dataclass
class EligibilityGroup:
    """Instances with the same answer: ``problems`` empty means they can migrate."""

    problems: tuple[str, ...]
    count: int = 0
    sample: list[tuple[uuid.UUID, str]] = field(default_factory=list)  # (key, business key)
    active_elements: set[str] = field(default_factory=set)


@dataclass
class EligibilityReport:
    total: int
    eligible: EligibilityGroup
    blocked: list[EligibilityGroup]  # biggest first
    signatures: int  # distinct signatures validated (one representative each)

    @property
    def blocked_count(self) -> int:
        return sum(group.count for group in self.blocked)


def eligibility_report(
    plan: MigrationPlan, instances: QuerySet[ProcessInstance], *, sample_size: int = SAMPLE_SIZE
) -> EligibilityReport:
    """Group the selected active instances of the plan's source version by what stops them
    from migrating (nothing, for the eligible group), with the exact count and a few keys each.

    Instances of the selection that are not active or not on the source version are left
    out: a migration batch selects active instances, and the page restricts to the source.
    """
    source, target = _processes(plan)
    selection = instances.filter(state=ProcessInstance.State.ACTIVE, definition_id=plan.source_definition_key)
    by_signature: dict[tuple, dict] = {}
    counted: set[str] = set()
    for raw, count, key, business_key, started_at in _signature_rows(selection, sample_size):
        entry = by_signature.setdefault(_normalised(raw), {"count": 0, "sample": []})
        if raw not in counted:  # every sample row of a raw signature carries its count
            counted.add(raw)
            entry["count"] += count
        entry["sample"].append((started_at, _uuid(key), business_key))
    # a sample (the first is the representative) per signature, oldest first
    for entry in by_signature.values():
        entry["sample"] = [(key, business_key) for _, key, business_key in sorted(entry["sample"])[:sample_size]]
    # validate each distinct signature once, on its representative's snapshot
    representatives = [entry["sample"][0][0] for entry in by_signature.values() if entry["sample"]]
    snapshots = {}
    for start in range(0, len(representatives), 500):
        snapshots.update(_snapshots(representatives[start : start + 500]))
    eligible = EligibilityGroup(problems=())
    blocked: dict[tuple[str, ...], EligibilityGroup] = {}
    for signature, entry in by_signature.items():
        problems = tuple(_problems(plan, snapshots.get(entry["sample"][0][0]), source, target))
        group = eligible if not problems else blocked.setdefault(problems, EligibilityGroup(problems=problems))
        group.count += entry["count"]
        group.sample = (group.sample + entry["sample"])[:sample_size]
        group.active_elements |= dict(signature)["active"]
    ordered = sorted(blocked.values(), key=lambda g: (-g.count, g.problems))
    return EligibilityReport(
        total=eligible.count + sum(g.count for g in ordered),
        eligible=eligible,
        blocked=ordered,
        signatures=len(by_signature),
    )
