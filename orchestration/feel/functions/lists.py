"""List built-ins. Positions are 1-based; negative positions count from the end."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from ..values import compare, equal, type_name
from . import Mismatch, builtin, integer, number, sequence


def _items(values: tuple[Any, ...]) -> list[Any]:
    """Arguments of `min`/`max`/`sum`...: either one list or several values."""
    if len(values) == 1 and isinstance(values[0], list):
        return values[0]
    return list(values)


@builtin("list contains", "list", "element")
def list_contains(items: Any, element: Any) -> bool:
    return any(equal(item, element) is True for item in sequence(items))


@builtin("count", "list")
def count(items: Any) -> Decimal:
    return Decimal(len(sequence(items)))


def _ordered(values: tuple[Any, ...]) -> list[Any]:
    items = _items(values)
    if not items:
        raise Mismatch
    kind = type_name(items[0])
    if any(type_name(item) != kind for item in items) or compare(items[0], items[0]) is None:
        raise Mismatch
    return sorted(items, key=functools.cmp_to_key(_checked_compare))


def _checked_compare(left: Any, right: Any) -> int:
    order = compare(left, right)
    if order is None:
        raise Mismatch
    return order


@builtin("min", "list")
@builtin("min", "n", "more...")
def minimum(*values: Any) -> Any:
    return _ordered(values)[0]


@builtin("max", "list")
@builtin("max", "n", "more...")
def maximum(*values: Any) -> Any:
    return _ordered(values)[-1]


def _numbers(values: tuple[Any, ...]) -> list[Decimal]:
    return [number(item) for item in _items(values)]


@builtin("sum", "list")
@builtin("sum", "n", "more...")
def total(*values: Any) -> Decimal | None:
    items = _numbers(values)
    return sum(items, Decimal(0)) if items else None


@builtin("product", "list")
@builtin("product", "n", "more...")
def product(*values: Any) -> Decimal | None:
    items = _numbers(values)
    if not items:
        return None
    result = Decimal(1)
    for item in items:
        result *= item
    return result


@builtin("mean", "list")
@builtin("mean", "n", "more...")
def mean(*values: Any) -> Decimal | None:
    items = _numbers(values)
    return sum(items, Decimal(0)) / len(items) if items else None


@builtin("median", "list")
@builtin("median", "n", "more...")
def median(*values: Any) -> Decimal | None:
    items = sorted(_numbers(values))
    if not items:
        return None
    middle = len(items) // 2
    if len(items) % 2:
        return items[middle]
    return (items[middle - 1] + items[middle]) / 2


@builtin("all", "list")
def all_true(items: Any) -> bool | None:
    values = _items((items,))
    if any(value is False for value in values):
        return False
    return True if all(value is True for value in values) else None


@builtin("any", "list")
def any_true(items: Any) -> bool | None:
    values = _items((items,))
    if any(value is True for value in values):
        return True
    return False if all(value is False for value in values) else None


def _index(items: list[Any], position: Any, *, allow_end: bool = False) -> int:
    index = integer(position)
    size = len(items) + (1 if allow_end else 0)
    if 0 < index <= size:
        return index - 1
    if 0 < -index <= len(items):
        return len(items) + index
    raise Mismatch


@builtin("sublist", "list", "start position", "length?")
def sublist(items: Any, start: Any, length: Any = None) -> list[Any]:
    values = sequence(items)
    index = _index(values, start)
    if length is None:
        return values[index:]
    return values[index : index + integer(length)]


@builtin("append", "list", "items...")
def append(items: Any, *new_items: Any) -> list[Any]:
    return [*sequence(items), *new_items]


@builtin("concatenate", "lists...")
def concatenate(*lists: Any) -> list[Any]:
    result: list[Any] = []
    for items in lists:
        result.extend(sequence(items))
    return result


@builtin("insert before", "list", "position", "newItem")
def insert_before(items: Any, position: Any, new_item: Any) -> list[Any]:
    values = list(sequence(items))
    values.insert(_index(values, position), new_item)
    return values


@builtin("remove", "list", "position")
def remove(items: Any, position: Any) -> list[Any]:
    values = list(sequence(items))
    del values[_index(values, position)]
    return values


@builtin("reverse", "list")
def reverse(items: Any) -> list[Any]:
    return list(reversed(sequence(items)))


@builtin("index of", "list", "match")
def index_of(items: Any, match: Any) -> list[Decimal]:
    return [Decimal(position) for position, item in enumerate(sequence(items), start=1) if equal(item, match) is True]


def _distinct(values: list[Any]) -> list[Any]:
    """Distinct by FEEL equality; hashable scalars use a set so this stays linear."""
    result: list[Any] = []
    seen: set[tuple[str, Any]] = set()
    for item in values:
        if isinstance(item, list | dict):
            if not any(equal(item, existing) is True for existing in result):
                result.append(item)
            continue
        try:
            key = (type_name(item), item)
            if key in seen:
                continue
            seen.add(key)
        except TypeError:
            pass
        result.append(item)
    return result


@builtin("distinct values", "list")
def distinct_values(items: Any) -> list[Any]:
    return _distinct(sequence(items))


@builtin("union", "lists...")
def union(*lists: Any) -> list[Any]:
    return _distinct(concatenate(*lists))


@builtin("flatten", "list")
def flatten(items: Any) -> list[Any]:
    result: list[Any] = []
    stack = [iter(sequence(items))]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            result.append(item)
        else:
            stack.pop()
    return result


@builtin("sort", "list", "precedes?")
def sort(items: Any, precedes: Any = None) -> list[Any]:
    if precedes is not None:
        raise Mismatch  # function values are not supported
    values = sequence(items)
    return _ordered((values,)) if values else []


@builtin("is empty", "list")
def is_empty(items: Any) -> bool:
    return not sequence(items)
