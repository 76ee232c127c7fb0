"""Context (dict) built-ins. Keys may be a string or a list of strings (a path)."""

from __future__ import annotations

from typing import Any

from . import Mismatch, builtin, sequence, text


def _context(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Mismatch
    return value


def _keys(key: Any) -> list[str]:
    if isinstance(key, list):
        keys = [text(item) for item in key]
        if not keys:
            raise Mismatch
        return keys
    return [text(key)]


@builtin("get value", "m", "key")
def get_value(context: Any, key: Any) -> Any:
    current: Any = _context(context)
    for part in _keys(key):
        if not isinstance(current, dict):
            return None
        current = current.get(part)
    return current


@builtin("get entries", "m")
def get_entries(context: Any) -> list[dict[str, Any]]:
    return [{"key": key, "value": value} for key, value in _context(context).items()]


def _put(context: dict[str, Any], keys: list[str], value: Any) -> dict[str, Any]:
    result = dict(context)
    head, rest = keys[0], keys[1:]
    if rest:
        child = result.get(head)
        result[head] = _put(child if isinstance(child, dict) else {}, rest, value)
    else:
        result[head] = value
    return result


@builtin("context put", "context", "key", "value")
def context_put(context: Any, key: Any, value: Any) -> dict[str, Any]:
    return _put(_context(context), _keys(key), value)


@builtin("context put", "context", "keys", "value")
def context_put_keys(context: Any, keys: Any, value: Any) -> dict[str, Any]:
    return _put(_context(context), _keys(keys), value)


@builtin("context merge", "contexts")
def context_merge(contexts: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for context in sequence(contexts):
        result.update(_context(context))
    return result


@builtin("context", "entries")
def context(entries: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for entry in sequence(entries):
        entry = _context(entry)
        if "key" not in entry or "value" not in entry:
            raise Mismatch
        result[text(entry["key"])] = entry["value"]
    return result
