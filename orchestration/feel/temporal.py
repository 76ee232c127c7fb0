"""FEEL temporal values: parsing, ISO-8601 formatting, arithmetic and properties.

Representation:
- date -> `datetime.date`; date and time -> `datetime.datetime` (aware, or naive
  for a FEEL "local" date-time written without offset); time -> `datetime.time`
- days and time duration -> `datetime.timedelta`
- years and months duration -> `YearsMonthsDuration` (a whole number of months)
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

_MICROS_PER_SECOND = 1_000_000
_MICROS_PER_DAY = 86_400 * _MICROS_PER_SECOND


@dataclass(frozen=True, order=True)
class YearsMonthsDuration:
    """A FEEL years-and-months duration, stored as a signed number of months."""

    months: int

    def __str__(self) -> str:
        return format_duration(self)


Duration = timedelta | YearsMonthsDuration

_DURATION_RE = re.compile(
    r"(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?"
)
_DATE_RE = re.compile(r"(-?\d{4,9})-(\d{2})-(\d{2})")
_TIME_RE = re.compile(
    r"(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(Z|[+-]\d{2}:\d{2}|@[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)*)?"
)


def parse_duration(text: str) -> Duration | None:
    """Parse an ISO-8601 duration ("PT1H30M", "P2Y", "-P1D"); None if invalid.

    Mixing years/months with days/time parts is not a FEEL duration.
    """
    match = _DURATION_RE.fullmatch(text.strip())
    if not match:
        return None
    sign, years, months, weeks, days, hours, minutes, seconds = match.groups()
    if not any((years, months, weeks, days, hours, minutes, seconds)):
        return None
    if text.strip().endswith("T"):
        return None
    factor = -1 if sign else 1
    if years or months:
        if weeks or days or hours or minutes or seconds:
            return None
        return YearsMonthsDuration(factor * (int(years or 0) * 12 + int(months or 0)))
    micros = (
        int(weeks or 0) * 7 * _MICROS_PER_DAY
        + int(days or 0) * _MICROS_PER_DAY
        + int(hours or 0) * 3600 * _MICROS_PER_SECOND
        + int(minutes or 0) * 60 * _MICROS_PER_SECOND
        + int(Decimal(seconds or 0) * _MICROS_PER_SECOND)
    )
    return timedelta(microseconds=factor * micros)


def format_duration(value: Duration) -> str:
    """ISO-8601 text of a duration: "PT1H30M", "P1DT2H", "P1Y2M", "-PT5S"."""
    if isinstance(value, YearsMonthsDuration):
        sign = "-" if value.months < 0 else ""
        years, months = divmod(abs(value.months), 12)
        text = (f"{years}Y" if years else "") + (f"{months}M" if months or not years else "")
        return f"{sign}P{text}"
    micros = (value.days * 86_400 + value.seconds) * _MICROS_PER_SECOND + value.microseconds
    sign = "-" if micros < 0 else ""
    days, rest = divmod(abs(micros), _MICROS_PER_DAY)
    hours, rest = divmod(rest, 3600 * _MICROS_PER_SECOND)
    minutes, rest = divmod(rest, 60 * _MICROS_PER_SECOND)
    seconds, fraction = divmod(rest, _MICROS_PER_SECOND)
    time_part = ""
    if hours:
        time_part += f"{hours}H"
    if minutes:
        time_part += f"{minutes}M"
    if seconds or fraction:
        second_text = str(seconds)
        if fraction:
            second_text += "." + f"{fraction:06d}".rstrip("0")
        time_part += f"{second_text}S"
    day_part = f"{days}D" if days else ""
    if not day_part and not time_part:
        return "PT0S"
    return f"{sign}P{day_part}" + (f"T{time_part}" if time_part else "")


def _zone(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text == "Z":
        return UTC
    if text.startswith("@"):
        return ZoneInfo(text[1:])
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _micros(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))


def parse_date(text: str) -> date | None:
    match = _DATE_RE.fullmatch(text.strip())
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    match = _TIME_RE.fullmatch(text.strip())
    if not match:
        return None
    hour, minute, second, fraction, zone = match.groups()
    try:
        return time(int(hour), int(minute), int(second or 0), _micros(fraction), tzinfo=_zone(zone))
    except (ValueError, KeyError, OSError):
        return None


def parse_date_time(text: str) -> datetime | None:
    """Parse "2024-01-15T10:30:00Z" (offset, zone id after '@', or none: local)."""
    text = text.strip()
    date_text, separator, time_text = text.partition("T")
    day = parse_date(date_text)
    if day is None:
        return None
    if not separator:
        return datetime(day.year, day.month, day.day)
    clock = parse_time(time_text)
    if clock is None:
        return None
    return datetime.combine(day, clock)


def parse_temporal_literal(text: str) -> Any:
    """The value of an `@"..."` literal, or None when the text is not temporal."""
    stripped = text.strip()
    if stripped.startswith(("P", "-P")):
        return parse_duration(stripped)
    if "T" in stripped:
        return parse_date_time(stripped)
    if ":" in stripped:
        return parse_time(stripped)
    return parse_date(stripped)


def add_months(value: date, months: int) -> date:
    """Shift a date or date-time by whole months, clamping the day of month."""
    years, month_index = divmod(value.month - 1 + months, 12)
    year = value.year + years
    month = month_index + 1
    day = min(value.day, calendar.monthrange(year, month)[1])
    return value.replace(year=year, month=month, day=day)


def _add_to_time(clock: time, delta: timedelta) -> time:
    moved = datetime.combine(date(2000, 1, 1), clock) + delta
    return moved.timetz()


def add(left: Any, right: Any) -> Any:
    """`left + right` for temporal operands; None when the types do not combine."""
    if isinstance(left, timedelta | YearsMonthsDuration) and not isinstance(right, timedelta | YearsMonthsDuration):
        left, right = right, left
    if isinstance(left, timedelta) and isinstance(right, timedelta):
        return left + right
    if isinstance(left, YearsMonthsDuration) and isinstance(right, YearsMonthsDuration):
        return YearsMonthsDuration(left.months + right.months)
    if isinstance(left, datetime):
        if isinstance(right, timedelta):
            return left + right
        if isinstance(right, YearsMonthsDuration):
            return add_months(left, right.months)
        return None
    if isinstance(left, date):
        if isinstance(right, timedelta):
            return (datetime.combine(left, time()) + right).date()
        if isinstance(right, YearsMonthsDuration):
            return add_months(left, right.months)
        return None
    if isinstance(left, time) and isinstance(right, timedelta):
        return _add_to_time(left, right)
    return None


def _negate(value: Any) -> Any:
    if isinstance(value, timedelta):
        return -value
    if isinstance(value, YearsMonthsDuration):
        return YearsMonthsDuration(-value.months)
    return None


def subtract(left: Any, right: Any) -> Any:
    """`left - right` for temporal operands; None when the types do not combine."""
    if isinstance(left, datetime) and isinstance(right, datetime):
        return left - right
    if isinstance(left, datetime) or isinstance(right, datetime):
        if isinstance(right, timedelta | YearsMonthsDuration) and isinstance(left, datetime):
            return add(left, _negate(right))
        return None
    if isinstance(left, date) and isinstance(right, date):
        return left - right
    if isinstance(left, time) and isinstance(right, time):
        anchor = date(2000, 1, 1)
        return datetime.combine(anchor, left) - datetime.combine(anchor, right)
    if isinstance(right, timedelta | YearsMonthsDuration) and not isinstance(left, timedelta | YearsMonthsDuration):
        return add(left, _negate(right))
    if isinstance(left, timedelta) and isinstance(right, timedelta):
        return left - right
    if isinstance(left, YearsMonthsDuration) and isinstance(right, YearsMonthsDuration):
        return YearsMonthsDuration(left.months - right.months)
    return None


def _total_micros(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * _MICROS_PER_SECOND + value.microseconds


def multiply(left: Any, right: Any) -> Any:
    """duration * number or number * duration."""
    if isinstance(left, Decimal):
        left, right = right, left
    if not isinstance(right, Decimal):
        return None
    if isinstance(left, timedelta):
        return timedelta(microseconds=int(_total_micros(left) * right))
    if isinstance(left, YearsMonthsDuration):
        return YearsMonthsDuration(int(left.months * right))
    return None


def divide(left: Any, right: Any) -> Any:
    """duration / number (a duration) or duration / duration (a number)."""
    if isinstance(left, timedelta):
        if isinstance(right, Decimal) and right != 0:
            return timedelta(microseconds=int(_total_micros(left) / right))
        if isinstance(right, timedelta) and _total_micros(right) != 0:
            return Decimal(_total_micros(left)) / Decimal(_total_micros(right))
        return None
    if isinstance(left, YearsMonthsDuration):
        if isinstance(right, Decimal) and right != 0:
            return YearsMonthsDuration(int(left.months / right))
        if isinstance(right, YearsMonthsDuration) and right.months != 0:
            return Decimal(left.months) / Decimal(right.months)
    return None


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (negative when `end` is earlier)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    start_rest = _rest_of_month(start)
    end_rest = _rest_of_month(end)
    if months > 0 and end_rest < start_rest:
        months -= 1
    elif months < 0 and end_rest > start_rest:
        months += 1
    return months


def _rest_of_month(value: date) -> tuple[int, ...]:
    if isinstance(value, datetime):
        return (value.day, value.hour, value.minute, value.second, value.microsecond)
    return (value.day, 0, 0, 0, 0)


def _zone_name(value: datetime | time) -> str | None:
    zone = value.tzinfo
    if zone is None:
        return None
    key = getattr(zone, "key", None)
    return key if key else (value.tzname() if isinstance(value, datetime) else str(zone))


_MISSING = object()


def property_of(value: Any, name: str) -> Any:
    """A FEEL property of a temporal value (`d.year`, `dt.hour`, `dur.days`), else
    `None`. Numbers come back as int; the caller converts them."""
    result = _property(value, name)
    return None if result is _MISSING else result


def _property(value: Any, name: str) -> Any:
    if isinstance(value, date):
        if name == "year":
            return value.year
        if name == "month":
            return value.month
        if name == "day":
            return value.day
        if name == "weekday":
            return value.isoweekday()
    if isinstance(value, datetime | time):
        if name == "hour":
            return value.hour
        if name == "minute":
            return value.minute
        if name == "second":
            return value.second
        if name == "time offset":
            return value.utcoffset() if isinstance(value, datetime) else value.utcoffset()
        if name == "timezone":
            return _zone_name(value)
    if isinstance(value, timedelta):
        micros = _total_micros(value)
        sign = -1 if micros < 0 else 1
        days, rest = divmod(abs(micros), _MICROS_PER_DAY)
        hours, rest = divmod(rest, 3600 * _MICROS_PER_SECOND)
        minutes, rest = divmod(rest, 60 * _MICROS_PER_SECOND)
        parts = {
            "days": days,
            "hours": hours,
            "minutes": minutes,
            "seconds": rest // _MICROS_PER_SECOND,
        }
        if name in parts:
            return sign * parts[name]
    if isinstance(value, YearsMonthsDuration):
        sign = -1 if value.months < 0 else 1
        years, months = divmod(abs(value.months), 12)
        if name == "years":
            return sign * years
        if name == "months":
            return sign * months
    return _MISSING
