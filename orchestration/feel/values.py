"""Value model: conversion at the boundary, FEEL types, equality and ordering.

Inside the evaluator every number is a `Decimal` (so 0.1 + 0.2 = 0.3), lists
are Python lists and contexts are dicts. `to_internal` converts caller values
on the way in; `to_external` converts results on the way out: an integral
Decimal becomes `int`, any other Decimal becomes `float`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Any

from .temporal import YearsMonthsDuration, format_duration

# FEEL numbers follow IEEE 754 decimal128 (34 significant digits). Signals that
# would give NaN or infinity are trapped; operators turn them into null.
DECIMAL_CONTEXT = Context(
    prec=34,
    Emax=6144,
    Emin=-6143,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)


@dataclass(frozen=True)
class FeelRange:
    """A range value such as `[1..10]` or `]a..b[`. A None bound is unbounded."""

    low: Any
    high: Any
    low_closed: bool = True
    high_closed: bool = True

    def contains(self, value: Any) -> bool | None:
        if self.low is not None:
            order = compare(self.low, value)
            if order is None:
                return None
            if order > 0 or (order == 0 and not self.low_closed):
                return False
        if self.high is not None:
            order = compare(value, self.high)
            if order is None:
                return None
            if order > 0 or (order == 0 and not self.high_closed):
                return False
        return True

    def __str__(self) -> str:
        start = "[" if self.low_closed else "]"
        end = "]" if self.high_closed else "["
        return f"{start}{literal_text(self.low)}..{literal_text(self.high)}{end}"


def to_internal(value: Any) -> Any:
    """Convert a caller's Python value into the evaluator's representation."""
    if value is None or isinstance(value, bool | str | Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, list | tuple | set | frozenset):
        return [to_internal(item) for item in value]
    if isinstance(value, Mapping):
        return {key: to_internal(item) for key, item in value.items()}
    return value


def decimal_to_python(value: Decimal) -> int | float:
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return float(value)


def to_external(value: Any) -> Any:
    """Convert an evaluator value back to plain Python (Decimal -> int or float)."""
    if isinstance(value, Decimal):
        return decimal_to_python(value)
    if isinstance(value, list):
        return [to_external(item) for item in value]
    if isinstance(value, dict):
        return {key: to_external(item) for key, item in value.items()}
    return value


def to_json(value: Any) -> Any:
    """A JSON-able copy of a result: temporal values and durations become ISO-8601
    strings, Decimal becomes int or float, tuples and sets become lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return decimal_to_python(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta | YearsMonthsDuration):
        return format_duration(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    return str(value)


def type_name(value: Any) -> str:
    """The FEEL type of a value, as written after `instance of`."""
    if value is None:
        return "Null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, Decimal | int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "date and time"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    if isinstance(value, timedelta):
        return "days and time duration"
    if isinstance(value, YearsMonthsDuration):
        return "years and months duration"
    if isinstance(value, list):
        return "list"
    if isinstance(value, Mapping):
        return "context"
    if isinstance(value, FeelRange):
        return "range"
    return "Any"


_ORDERED_TYPES = frozenset(
    {
        "number",
        "string",
        "date",
        "date and time",
        "time",
        "days and time duration",
        "years and months duration",
    }
)


def equal(left: Any, right: Any) -> bool | None:
    """FEEL `=`: null only equals null; values of different types give null."""
    if left is None or right is None:
        return left is None and right is None
    kind = type_name(left)
    if kind != type_name(right):
        return None
    if kind == "list":
        return len(left) == len(right) and all(equal(a, b) is True for a, b in zip(left, right, strict=True))
    if kind == "context":
        return left.keys() == right.keys() and all(equal(left[key], right[key]) is True for key in left)
    try:
        return bool(left == right)
    except (ArithmeticError, TypeError):
        return None


def compare(left: Any, right: Any) -> int | None:
    """-1, 0 or 1 when the values are ordered and of the same type, else None."""
    kind = type_name(left)
    if kind not in _ORDERED_TYPES or kind != type_name(right):
        return None
    try:
        return (left > right) - (left < right)
    except (ArithmeticError, TypeError):
        return None


def format_number(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros: 1.50 -> "1.5"."""
    if not value.is_finite():
        return str(value)
    if value == 0:
        return "0"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def to_text(value: Any) -> str:
    """FEEL `string(value)` for a non-null value."""
    if isinstance(value, str):
        return value
    return literal_text(value)


def literal_text(value: Any) -> str:
    """Text of a value as it appears inside a list or context: strings quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format_number(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta | YearsMonthsDuration):
        return format_duration(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal_text(item) for item in value) + "]"
    if isinstance(value, Mapping):
        entries = (f"{key}:{literal_text(item)}" for key, item in value.items())
        return "{" + ", ".join(entries) + "}"
    return str(value)
