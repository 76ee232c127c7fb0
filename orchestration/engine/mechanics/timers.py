"""Timer definitions -> due times: ISO 8601 dates, durations, repeating intervals, cron."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from ..errors import EngineIncident

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<years>\d+(?:\.\d+)?)Y)?(?:(?P<months>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<weeks>\d+(?:\.\d+)?)W)?(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass(frozen=True)
class Duration:
    months: int
    delta: timedelta

    def add_to(self, moment: datetime) -> datetime:
        if self.months:
            month_index = moment.month - 1 + self.months
            year = moment.year + month_index // 12
            month = month_index % 12 + 1
            day = min(moment.day, calendar.monthrange(year, month)[1])
            moment = moment.replace(year=year, month=month, day=day)
        return moment + self.delta


def parse_duration(text: str) -> Duration:
    match = _DURATION.match(text.strip())
    if not match or text.strip() in {"P", "PT"} or text.strip().endswith("T"):
        raise EngineIncident("expression", f"'{text}' is not an ISO 8601 duration (e.g. PT5M, P1D)")
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items() if k != "sign"}
    sign = -1 if match.group("sign") else 1
    months = int(parts["years"] * 12 + parts["months"])
    delta = timedelta(
        weeks=parts["weeks"],
        days=parts["days"],
        hours=parts["hours"],
        minutes=parts["minutes"],
        seconds=parts["seconds"],
    )
    return Duration(sign * months, delta * sign)


def parse_datetime(text: str) -> datetime:
    raw = text.strip()
    if raw.endswith("Z"):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise EngineIncident("expression", f"'{text}' is not an ISO 8601 date and time") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=UTC)
    if isinstance(value, str):
        return parse_datetime(value)
    raise EngineIncident("expression", f"expected a date and time, got {type(value).__name__} {value!r}")


def as_duration(value: Any) -> Duration:
    if isinstance(value, timedelta):
        return Duration(0, value)
    if isinstance(value, str):
        return parse_duration(value)
    months = getattr(value, "months", None)
    if isinstance(months, int):
        return Duration(months, timedelta(0))
    raise EngineIncident("expression", f"expected a duration, got {type(value).__name__} {value!r}")


@dataclass(frozen=True)
class Schedule:
    """When a timer fires first, and how it repeats (repetitions -1 = forever)."""

    due_at: datetime
    repetitions: int = 0
    cycle: str = ""


def schedule_for(kind: str, value: Any, now: datetime) -> Schedule:
    if kind == "date":
        return Schedule(as_datetime(value))
    if kind == "duration":
        return Schedule(as_duration(value).add_to(now))
    if kind == "cycle":
        if not isinstance(value, str):
            raise EngineIncident("expression", f"a timer cycle must be a string, got {value!r}")
        return first_of_cycle(value, now)
    raise EngineIncident("expression", f"unknown timer kind {kind}")


def first_of_cycle(cycle: str, now: datetime) -> Schedule:
    text = cycle.strip()
    if text.startswith("R"):
        parts = text.split("/")
        count_text = parts[0][1:]
        if count_text and not count_text.isdigit():
            raise EngineIncident("expression", f"'{cycle}' is not an ISO 8601 repeating interval")
        repetitions = int(count_text) if count_text else -1
        if len(parts) == 2:
            duration = parse_duration(parts[1])
            start = now
        elif len(parts) == 3:
            if parts[1].startswith("P"):
                duration = parse_duration(parts[1])
                start = parse_datetime(parts[2]) - duration.delta
            else:
                start = parse_datetime(parts[1])
                duration = parse_duration(parts[2])
                if start >= now:
                    return Schedule(start, repetitions - 1 if repetitions > 0 else repetitions, text)
        else:
            raise EngineIncident("expression", f"'{cycle}' is not an ISO 8601 repeating interval")
        if repetitions == 0:
            raise EngineIncident("expression", f"'{cycle}' repeats zero times")
        return Schedule(duration.add_to(start), repetitions - 1 if repetitions > 0 else -1, text)
    return Schedule(next_cron(text, now), -1, text)


def next_of_cycle(cycle: str, previous_due: datetime, now: datetime) -> datetime:
    text = cycle.strip()
    if text.startswith("R"):
        duration = parse_duration(text.split("/")[-1] if text.split("/")[-1].startswith("P") else text.split("/")[1])
        due = duration.add_to(previous_due)
        return due
    return next_cron(text, max(previous_due, now))


def next_cron(expression: str, after: datetime) -> datetime:
    """Next time of a cron expression: 5 fields (Unix) or 6-7 fields (Quartz, seconds first)."""
    from croniter import croniter

    fields = expression.split()
    if len(fields) not in (5, 6, 7):
        raise EngineIncident(
            "expression", f"'{expression}' is neither an ISO 8601 repeating interval (R/PT1H) nor a cron expression"
        )
    fields = ["*" if f == "?" else f for f in fields]
    if len(fields) == 7:
        fields = fields[:6]
    text = " ".join(fields)
    try:
        if len(fields) == 6:
            itr = croniter(text, after, second_at_beginning=True)
        else:
            itr = croniter(text, after)
        return itr.get_next(datetime)
    except (ValueError, KeyError) as exc:
        raise EngineIncident("expression", f"'{expression}' is not a valid cron expression: {exc}") from None
