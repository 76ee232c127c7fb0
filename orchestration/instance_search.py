"""The instance list's filters: parsed from a query string, turned into one queryset.

Shared by the Operate list, its CSV export, the API's instance search and bulk
operations (which freeze what a filter selects at submit time). Reads only.

Variable conditions are ``name op value`` with op one of ``=``, ``!=``, ``<``,
``>``, ``contains``; several combine with AND (default) or OR. ``=``/``!=``
compare the indexed text form of scalar values; ``<``/``>`` compare numbers
when the value is a number, else text (ISO dates compare correctly as text);
``contains`` is a case-insensitive substring of the text form. A condition
matches a variable of that name in any scope of the instance.

A condition (or a ``name=value`` search) on a variable that is masked for the acting
user is refused (``check_masked_conditions``): the number of matches would reveal the
value, as Tasklist's filter also refuses.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Exists, F, FloatField, Func, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from . import access
from .exceptions import InvalidInput
from .models import ElementInstance, Incident, ProcessInstance, Variable

STATES = ("active", "incident", "completed", "cancelled", "suspended")
OPERATORS = ("=", "!=", "<", ">", "contains")
# sort name -> (field, nullable)
SORT_FIELDS: dict[str, tuple[str, bool]] = {
    "started": ("started_at", False),
    "ended": ("ended_at", True),
    "business_key": ("business_key", False),
}
SORTS = tuple(f"{sign}{name}" for name in SORT_FIELDS for sign in ("-", ""))
DEFAULT_SORT = "-started"
MAX_CONDITIONS = 10

# The query-string names every filter uses (the URL is the filter).
FILTER_PARAMS = (
    "q",
    "process",
    "version",
    "state",
    "business_key",
    "element",
    "v",
    "vmode",
    "started_from",
    "started_to",
    "ended_from",
    "ended_to",
    "error",
    "parent",
    "fingerprint",
    "sort",
)

_CONDITION = re.compile(r"^\s*(?P<name>[^\s=!<>]+)\s*(?P<op>!=|=|<|>|\s(?i:contains)\s)\s*(?P<value>.*?)\s*$")


class FilterError(InvalidInput):
    """Some filter values are invalid; ``errors`` maps each query-string name to its problem."""

    code = "invalid_filter"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in errors.items()))


@dataclass(frozen=True)
class VariableCondition:
    name: str
    op: str
    value: str

    @classmethod
    def parse(cls, text: str) -> VariableCondition:
        match = _CONDITION.match(text or "")
        if match is None:
            raise InvalidInput(f"'{text}' is not a condition like 'amount > 100' (operators: {', '.join(OPERATORS)})")
        op = match["op"].strip().lower()
        return cls(name=match["name"], op=op, value=match["value"])

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.value}"

    def number(self) -> float | None:
        try:
            value = float(self.value)
        except ValueError:
            return None
        return value if value == value and abs(value) != float("inf") else None


@dataclass(frozen=True)
class InstanceFilter:
    """What the instance list shows. Empty values mean "any"."""

    process: str = ""
    state: str = ""
    business_key: str = ""
    q: str = ""
    fingerprint: str = ""
    version: int | None = None
    element: str = ""
    variables: tuple[VariableCondition, ...] = ()
    variables_mode: str = "and"
    started_from: dt.date | None = None
    started_to: dt.date | None = None
    ended_from: dt.date | None = None
    ended_to: dt.date | None = None
    error: str = ""
    parent: uuid.UUID | None = None
    sort: str = DEFAULT_SORT

    @property
    def is_search_only(self) -> bool:
        """Only the search box is set: a single match may open the instance directly."""
        return bool(self.q) and self == InstanceFilter(q=self.q, sort=self.sort)

    @property
    def is_empty(self) -> bool:
        return replace(self, sort=DEFAULT_SORT) == InstanceFilter()


def _one(params: Mapping[str, Any], name: str) -> str:
    value = params.get(name, "")
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else ""
    return str(value if value is not None else "").strip()


def _many(params: Mapping[str, Any], name: str) -> list[str]:
    if hasattr(params, "getlist"):
        values = params.getlist(name)
    else:
        value = params.get(name, [])
        values = list(value) if isinstance(value, (list, tuple)) else [value]
    return [str(v).strip() for v in values if v is not None and str(v).strip()]


def _date(params: Mapping[str, Any], name: str, errors: dict[str, str]) -> dt.date | None:
    text = _one(params, name)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        errors[name] = f"'{text}' is not a date (YYYY-MM-DD)."
        return None


def parse_filter(params: Mapping[str, Any]) -> InstanceFilter:
    """An InstanceFilter from query-string values (a QueryDict or a dict of strings/lists).

    Raises FilterError naming every bad parameter at once.
    """
    errors: dict[str, str] = {}
    state = _one(params, "state")
    if state and state not in STATES:
        errors["state"] = f"'{state}' is not a state ({', '.join(STATES)})."
    version = None
    if text := _one(params, "version"):
        try:
            version = int(text)
            if version < 1:
                raise ValueError
        except ValueError:
            errors["version"] = f"'{text}' is not a version number."
    conditions = []
    texts = _many(params, "v")
    if len(texts) > MAX_CONDITIONS:
        errors["v"] = f"At most {MAX_CONDITIONS} variable conditions."
    for text in texts[:MAX_CONDITIONS]:
        try:
            conditions.append(VariableCondition.parse(text))
        except InvalidInput as exc:
            errors["v"] = exc.message
    mode = _one(params, "vmode").lower() or "and"
    if mode not in ("and", "or"):
        errors["vmode"] = "Combine conditions with 'and' or 'or'."
    parent = None
    if text := _one(params, "parent"):
        try:
            parent = uuid.UUID(text)
        except ValueError:
            errors["parent"] = f"'{text}' is not an instance key."
    sort = _one(params, "sort") or DEFAULT_SORT
    if sort not in SORTS:
        errors["sort"] = f"'{sort}' is not a sort order ({', '.join(SORTS)})."
    dates = {name: _date(params, name, errors) for name in ("started_from", "started_to", "ended_from", "ended_to")}
    if _SHORTENED_KEY.match(_one(params, "q")):
        errors["q"] = (
            f"'{_one(params, 'q')}' is a shortened instance key; search needs the whole key. "
            "Hover a key in the list to see it in full; copying it from the list copies the whole key."
        )
    if errors:
        raise FilterError(errors)
    return InstanceFilter(
        process=_one(params, "process"),
        state=state,
        business_key=_one(params, "business_key"),
        q=_one(params, "q"),
        fingerprint=_one(params, "fingerprint"),
        version=version,
        element=_one(params, "element"),
        variables=tuple(conditions),
        variables_mode=mode,
        error=_one(params, "error"),
        parent=parent,
        sort=sort,
        **dates,
    )


# ---------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------


class _JsonNumber(Func):
    """A JSON value as a number when it is one, else NULL (never a cast error)."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        template = "(CASE WHEN jsonb_typeof(%(expressions)s) = 'number' THEN (%(expressions)s)::float8 END)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler, connection, **extra):
        template = (
            "(CASE WHEN json_type(%(expressions)s) IN ('integer', 'real') "
            "THEN CAST(json_extract(%(expressions)s, '$') AS REAL) END)"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


def _condition(condition: VariableCondition) -> Exists:
    rows = Variable.objects.filter(instance=OuterRef("pk"), name=condition.name)
    number = condition.number()
    if condition.op == "=":
        rows = rows.filter(value_text=condition.value)
    elif condition.op == "!=":
        rows = rows.exclude(value_text=condition.value)
    elif condition.op in ("<", ">"):
        lookup = "lt" if condition.op == "<" else "gt"
        if number is not None:
            rows = rows.annotate(number=_JsonNumber(F("value"))).filter(**{f"number__{lookup}": number})
        else:
            rows = rows.filter(**{f"value_text__{lookup}": condition.value})
    else:
        rows = rows.filter(value_text__icontains=condition.value)
    return Exists(rows)


def _variables(conditions: tuple[VariableCondition, ...], mode: str) -> Q:
    combined = Q()
    for condition in conditions:
        term = Q(_condition(condition))
        combined = term if not combined else (combined | term if mode == "or" else combined & term)
    return combined


def search_variable(q: str) -> tuple[str, str] | None:
    """(name, value) when the search box holds ``name=value``, else None. Matching quotes
    around the value are dropped: ``orderId="ORD-4523"`` is ``orderId=ORD-4523``."""
    name, sep, value = q.strip().partition("=")
    if sep and name.strip():
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        return name.strip(), value
    return None


# "…a6d1e5c16cb6" as the list shows a key: a suffix cannot use an index on a uuid
# (measured: a sequential scan, ~0.3 s per million instances on PostgreSQL), so it is
# refused with a hint instead of being searched.
_SHORTENED_KEY = re.compile(r"^(?:…|\.\.\.)\s*[0-9a-fA-F-]{4,}$")


def exact_business_key_match(q: str, *, hidden: Collection[str] = ()) -> ProcessInstance | None:
    """The one instance whose business key is exactly ``q``, if exactly one is (``BULK-1``
    among BULK-10..19); None for a variable or key search. Two indexed rows at most."""
    q = q.strip()
    if not q or search_variable(q) is not None:
        return None
    rows = ProcessInstance.objects.filter(business_key=q)
    if hidden:
        rows = rows.exclude(bpmn_process_id__in=sorted(hidden))
    found = list(rows.order_by()[:2])
    return found[0] if len(found) == 1 else None


def check_masked_conditions(filters: InstanceFilter, user: Any) -> None:
    """Raise FilterError when a variable condition or a ``name=value`` search names a
    variable masked for ``user`` on some process (its match count would reveal the value)."""
    errors: dict[str, str] = {}
    for condition in filters.variables:
        if access.masked_anywhere(user, condition.name):
            errors["v"] = f"'{condition.name}' is a protected variable; it cannot be a search condition."
    searched = search_variable(filters.q)
    if searched is not None and access.masked_anywhere(user, searched[0]):
        errors["q"] = f"'{searched[0]}' is a protected variable; it cannot be searched by value."
    if errors:
        raise FilterError(errors)


def _search(instances: QuerySet[ProcessInstance], q: str) -> QuerySet[ProcessInstance]:
    """The search box: ``name=value`` on variables, an instance key, or a business key prefix."""
    q = q.strip()
    if not q:
        return instances
    searched = search_variable(q)
    if searched is not None:
        name, value = searched
        matching = Variable.objects.filter(instance=OuterRef("pk"), name=name, value_text=value)
        return instances.filter(Exists(matching))
    try:
        key = uuid.UUID(q)
    except ValueError:
        return instances.filter(business_key__startswith=q)
    return instances.filter(Q(key=key) | Q(business_key=q))


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def open_incident_exists(**conditions: Any) -> Exists:
    return Exists(Incident.objects.filter(instance=OuterRef("pk"), state=Incident.State.OPEN, **conditions))


def filter_instances(
    filters: InstanceFilter,
    instances: QuerySet[ProcessInstance] | None = None,
    *,
    hidden: Collection[str] = (),
) -> QuerySet:
    """The instances a filter selects (unordered). Search matches roll up to their root case.

    ``hidden``: process ids a rule hides from the reader (``access.hidden_processes``). Their
    instances are left out, and so are search matches among them before the roll-up (a
    visible case must not show up because a hidden child matched). Empty (the common
    case): no condition is added at all.
    """
    if instances is None:
        instances = ProcessInstance.objects.all()
    if hidden:
        instances = instances.exclude(bpmn_process_id__in=sorted(hidden))
    if filters.q:
        matches = _search(ProcessInstance.objects.all(), filters.q)
        if hidden:
            matches = matches.exclude(bpmn_process_id__in=sorted(hidden))
        roots = matches.order_by().annotate(root=Coalesce("root_key", "key")).values("root")
        instances = instances.filter(key__in=Subquery(roots))
    if filters.process:
        instances = instances.filter(bpmn_process_id=filters.process)
    if filters.version is not None:
        instances = instances.filter(definition__version=filters.version)
    if filters.state == "incident":
        instances = instances.filter(open_incident_exists())
    elif filters.state == "suspended":
        instances = instances.filter(state=ProcessInstance.State.ACTIVE, suspended=True)
    elif filters.state:
        instances = instances.filter(state=filters.state)
    if filters.business_key:
        # A prefix match also finds the exact key.
        instances = instances.filter(business_key__startswith=filters.business_key)
    if filters.fingerprint:
        instances = instances.filter(open_incident_exists(fingerprint=filters.fingerprint))
    if filters.error:
        instances = instances.filter(open_incident_exists(message__icontains=filters.error))
    if filters.element:
        waiting = ElementInstance.objects.filter(
            instance=OuterRef("pk"), element_id=filters.element, state=ElementInstance.State.ACTIVE
        )
        instances = instances.filter(Exists(waiting))
    if filters.variables:
        instances = instances.filter(_variables(filters.variables, filters.variables_mode))
    if filters.started_from:
        instances = instances.filter(started_at__gte=_start_of(filters.started_from))
    if filters.started_to:
        instances = instances.filter(started_at__lt=_start_of(filters.started_to + dt.timedelta(days=1)))
    if filters.ended_from:
        instances = instances.filter(ended_at__gte=_start_of(filters.ended_from))
    if filters.ended_to:
        instances = instances.filter(ended_at__lt=_start_of(filters.ended_to + dt.timedelta(days=1)))
    if filters.parent:
        instances = instances.filter(parent_id=filters.parent)
    return instances


# ---------------------------------------------------------------------------
# Keyset pagination
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """A keyset position: the sort value and key of the last row shown.

    ``Cursor(started_at=..., key=...)`` is the default order's position (the API uses it).
    """

    started_at: dt.datetime | None = None
    key: uuid.UUID = field(default_factory=lambda: uuid.UUID(int=0))
    sort: str = DEFAULT_SORT
    value: str | None = None  # the sort field's value as text, when the sort is not by start

    def encode(self) -> str:
        if self.sort == DEFAULT_SORT and self.started_at is not None:
            return f"{self.started_at.isoformat()}_{self.key}"
        raw = json.dumps([self.sort, self.value, str(self.key)], separators=(",", ":")).encode()
        return "k" + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor | None:
        text = text or ""
        if text.startswith("k"):
            return cls._decode_keyset(text[1:])
        stamp, _, key = text.rpartition("_")
        try:
            started_at = dt.datetime.fromisoformat(stamp)
            parsed_key = uuid.UUID(key)
        except ValueError:
            return None
        if started_at.tzinfo is None:
            return None
        return cls(started_at=started_at, key=parsed_key)

    @classmethod
    def _decode_keyset(cls, text: str) -> Cursor | None:
        try:
            sort, value, key = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            parsed_key = uuid.UUID(key)
        except (ValueError, TypeError, binascii.Error):
            return None
        if sort not in SORTS or (value is not None and not isinstance(value, str)):
            return None
        name = sort.lstrip("-")
        if value is not None and name != "business_key":
            try:
                if dt.datetime.fromisoformat(value).tzinfo is None:
                    return None
            except ValueError:
                return None
        return cls(key=parsed_key, sort=sort, value=value)

    def sort_value(self) -> Any:
        if self.sort == DEFAULT_SORT and self.started_at is not None:
            return self.started_at
        name = self.sort.lstrip("-")
        if self.value is None or name == "business_key":
            return self.value
        return dt.datetime.fromisoformat(self.value)

    @classmethod
    def after_row(cls, row: ProcessInstance, sort: str) -> Cursor:
        field_name, _ = SORT_FIELDS[sort.lstrip("-")]
        value = getattr(row, field_name)
        if sort == DEFAULT_SORT:
            return cls(started_at=value, key=row.key)
        text = value.isoformat() if isinstance(value, dt.datetime) else value
        return cls(key=row.key, sort=sort, value=text)


def order_instances(instances: QuerySet, sort: str, after: Cursor | None = None) -> QuerySet:
    """Order by the sort field then the key (nulls last either way), starting after a cursor."""
    descending = sort.startswith("-")
    field_name, nullable = SORT_FIELDS[sort.lstrip("-")]
    if after is not None and after.sort == sort:
        value = after.sort_value()
        op = "lt" if descending else "gt"
        if value is None:
            instances = instances.filter(**{f"{field_name}__isnull": True, f"key__{op}": after.key})
        else:
            past = Q(**{f"{field_name}__{op}": value}) | Q(**{field_name: value, f"key__{op}": after.key})
            if nullable:
                past |= Q(**{f"{field_name}__isnull": True})
            instances = instances.filter(past)
    if not nullable:
        # plain ASC/DESC: an index on the column can give this order ("DESC NULLS LAST" could not use it)
        column = F(field_name).desc() if descending else F(field_name).asc()
    else:
        column = F(field_name).desc(nulls_last=True) if descending else F(field_name).asc(nulls_last=True)
    return instances.order_by(column, "-key" if descending else "key")
