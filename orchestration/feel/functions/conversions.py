"""Conversion and boolean built-ins: string, number, not, is defined, get or else."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from ..values import DECIMAL_CONTEXT, to_text
from . import Mismatch, builtin, text

_NUMBER_TEXT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@builtin("string", "from")
def string(value: Any) -> str | None:
    return None if value is None else to_text(value)


@builtin("number", "from", "grouping separator?", "decimal separator?")
def number(value: Any, grouping: Any = None, decimal: Any = None) -> Decimal:
    if isinstance(value, Decimal):
        return value
    source = text(value).strip()
    if grouping is not None:
        if text(grouping) not in (" ", ",", "."):
            raise Mismatch
        source = source.replace(grouping, "")
    if decimal is not None:
        if text(decimal) not in (",", ".") or decimal == grouping:
            raise Mismatch
        source = source.replace(decimal, ".")
    if not _NUMBER_TEXT.fullmatch(source):
        raise Mismatch
    try:
        return DECIMAL_CONTEXT.create_decimal(source)
    except InvalidOperation:
        raise Mismatch from None


@builtin("not", "negand")
def negate(value: Any) -> bool | None:
    return (not value) if isinstance(value, bool) else None


@builtin("is defined", "value")
def is_defined(value: Any) -> bool:
    return value is not None


@builtin("get or else", "value", "default")
def get_or_else(value: Any, default: Any) -> Any:
    return default if value is None else value
