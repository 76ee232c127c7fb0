"""Temporal built-ins: constructors, durations, now()/today() and calendar helpers.

`now()` and `today()` read the evaluator's clock (the `now=` argument of
`evaluate`), so timer tests can freeze time.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .. import temporal
from . import Mismatch, builtin, integer, text

if TYPE_CHECKING:
    from ..evaluator import Evaluator


# English names regardless of the process locale (calendar.day_name is localised).
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _required(value: Any) -> Any:
    if value is None:
        raise Mismatch
    return value


@builtin("date", "from")
def date_from(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    source = text(value)
    parsed = temporal.parse_date(source)
    if parsed is None and "T" in source:
        moment = temporal.parse_date_time(source)
        parsed = moment.date() if moment else None
    return _required(parsed)


@builtin("date", "year", "month", "day")
def date_from_parts(year: Any, month: Any, day: Any) -> date:
    return date(integer(year), integer(month), integer(day))


@builtin("time", "from")
def time_from(value: Any) -> time | None:
    if isinstance(value, datetime):
        return value.timetz()
    if isinstance(value, time):
        return value
    if isinstance(value, date):
        return time(0, 0)
    return _required(temporal.parse_time(text(value)))


@builtin("time", "hour", "minute", "second", "offset?")
def time_from_parts(hour: Any, minute: Any, second: Any, offset: Any = None) -> time:
    zone = None
    if offset is not None:
        if not isinstance(offset, timedelta):
            raise Mismatch
        zone = timezone(offset)
    seconds = second if isinstance(second, Decimal) else Decimal(integer(second))
    whole = int(seconds)
    micros = int((seconds - whole) * 1_000_000)
    return time(integer(hour), integer(minute), whole, micros, tzinfo=zone)


@builtin("date and time", "from")
def date_and_time_from(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return _required(temporal.parse_date_time(text(value)))


@builtin("date and time", "date", "time")
def date_and_time_combine(day: Any, clock: Any) -> datetime:
    if isinstance(day, datetime):
        day = day.date()
    if not isinstance(day, date) or not isinstance(clock, time):
        raise Mismatch
    return datetime.combine(day, clock)


@builtin("duration", "from")
def duration(value: Any) -> Any:
    return _required(temporal.parse_duration(text(value)))


@builtin("years and months duration", "from", "to")
def years_and_months_duration(start: Any, end: Any) -> temporal.YearsMonthsDuration:
    if not isinstance(start, date) or not isinstance(end, date):
        raise Mismatch
    return temporal.YearsMonthsDuration(temporal.months_between(start, end))


@builtin("now", env=True)
def now(env: Evaluator) -> datetime:
    return env.now


@builtin("today", env=True)
def today(env: Evaluator) -> date:
    return env.now.date()


def _day(value: Any) -> date:
    if not isinstance(value, date):
        raise Mismatch
    return value


@builtin("day of week", "date")
def day_of_week(value: Any) -> str:
    return _DAYS[_day(value).weekday()]


@builtin("day of year", "date")
def day_of_year(value: Any) -> Decimal:
    return Decimal(_day(value).timetuple().tm_yday)


@builtin("week of year", "date")
def week_of_year(value: Any) -> Decimal:
    return Decimal(_day(value).isocalendar()[1])


@builtin("month of year", "date")
def month_of_year(value: Any) -> str:
    return _MONTHS[_day(value).month - 1]


@builtin("last day of month", "date")
def last_day_of_month(value: Any) -> Decimal:
    day = _day(value)
    return Decimal(calendar.monthrange(day.year, day.month)[1])
