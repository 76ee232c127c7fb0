"""Where a NUL character (0x00) sits in a JSON-like value: PostgreSQL text and jsonb cannot
hold one, so the places where outside data enters refuse it with a clear message instead of a
database error (variables in services._command.check_variables, Camunda 7 request bodies,
query strings in orchestration.middleware)."""

from __future__ import annotations

from typing import Any


def nul_position(value: Any, path: str = "") -> str | None:
    """The path of the first name or string holding a NUL ("a.b[2]"), or None."""
    if isinstance(value, str):
        return (path or "the value") if "\x00" in value else None
    if isinstance(value, dict):
        for name, item in value.items():
            here = f"{path}.{name}" if path else str(name)
            if isinstance(name, str) and "\x00" in name:
                return here.replace("\x00", "\\0")
            found = nul_position(item, here)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = nul_position(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
