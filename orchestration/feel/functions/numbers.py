"""Numeric built-ins over Decimal values."""

from __future__ import annotations

from datetime import timedelta
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from typing import Any

from ..temporal import YearsMonthsDuration
from . import Mismatch, builtin, integer, number

_MAX_SCALE = 6176


def _round(value: Any, scale: Any, rounding: str) -> Decimal:
    digits = 0 if scale is None else integer(scale)
    if not -_MAX_SCALE <= digits <= _MAX_SCALE:
        raise Mismatch
    return number(value).quantize(Decimal(1).scaleb(-digits), rounding=rounding)


@builtin("decimal", "n", "scale")
def decimal(n: Any, scale: Any) -> Decimal:
    return _round(n, scale, ROUND_HALF_EVEN)


@builtin("floor", "n", "scale?")
def floor(n: Any, scale: Any = None) -> Decimal:
    return _round(n, scale, ROUND_FLOOR)


@builtin("ceiling", "n", "scale?")
def ceiling(n: Any, scale: Any = None) -> Decimal:
    return _round(n, scale, ROUND_CEILING)


@builtin("round up", "n", "scale?")
def round_up(n: Any, scale: Any = None) -> Decimal:
    return _round(n, scale, ROUND_UP)


@builtin("round down", "n", "scale?")
def round_down(n: Any, scale: Any = None) -> Decimal:
    return _round(n, scale, ROUND_DOWN)


@builtin("round half up", "n", "scale?")
def round_half_up(n: Any, scale: Any = None) -> Decimal:
    return _round(n, scale, ROUND_HALF_UP)


@builtin("round half down", "n", "scale?")
def round_half_down(n: Any, scale: Any = None) -> Decimal:
    return _round(n, scale, ROUND_HALF_DOWN)


@builtin("abs", "n")
def absolute(n: Any) -> Any:
    if isinstance(n, timedelta):
        return abs(n)
    if isinstance(n, YearsMonthsDuration):
        return YearsMonthsDuration(abs(n.months))
    return abs(number(n))


@builtin("modulo", "dividend", "divisor")
def modulo(dividend: Any, divisor: Any) -> Decimal | None:
    """FEEL modulo: the result has the sign of the divisor (floored division)."""
    left, right = number(dividend), number(divisor)
    if right == 0:
        return None
    remainder = left % right
    if remainder != 0 and (remainder < 0) != (right < 0):
        remainder += right
    return remainder


@builtin("sqrt", "number")
def sqrt(value: Any) -> Decimal:
    return number(value).sqrt()


@builtin("log", "number")
def log(value: Any) -> Decimal:
    return number(value).ln()


@builtin("exp", "number")
def exp(value: Any) -> Decimal:
    return number(value).exp()


def _whole(value: Any) -> int:
    result = number(value)
    if not result.is_finite() or result != result.to_integral_value():
        raise Mismatch
    return int(result)


@builtin("odd", "number")
def odd(value: Any) -> bool:
    return _whole(value) % 2 == 1


@builtin("even", "number")
def even(value: Any) -> bool:
    return _whole(value) % 2 == 0
