"""Evaluate model expressions against a variable context.

Every failure becomes an EngineIncident (type "expression"), so a bad
expression in a model stops one element with an incident, never the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ...bpmn.model import Expr
from ...feel import FeelError, compile_expression, to_json
from ..errors import EngineIncident


def evaluate(expr: Expr, context: Mapping[str, Any], *, now: datetime, what: str = "expression") -> Any:
    if expr.dialect == "static":
        return expr.source
    try:
        value = compile_expression(expr.source, expr.dialect).evaluate(context, now=now)
    except FeelError as exc:
        raise EngineIncident(
            "expression",
            f"failed to evaluate {what} '{expr.source}': {exc}",
        ) from None
    return value


def evaluate_json(expr: Expr, context: Mapping[str, Any], *, now: datetime, what: str = "expression") -> Any:
    """Evaluate and convert the result to a JSON-storable value."""
    return to_json(evaluate(expr, context, now=now, what=what))


def evaluate_condition(expr: Expr, context: Mapping[str, Any], *, now: datetime, flow_id: str) -> bool:
    value = evaluate(expr, context, now=now, what=f"condition of flow '{flow_id}'")
    if value is None:
        return False
    if not isinstance(value, bool):
        raise EngineIncident(
            "condition",
            f"condition '{expr.source}' of flow '{flow_id}' returned {type(value).__name__} "
            f"{value!r}, expected a boolean",
        )
    return value


def evaluate_string(expr: Expr | None, context: Mapping[str, Any], *, now: datetime, what: str) -> str:
    if expr is None:
        return ""
    value = evaluate(expr, context, now=now, what=what)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    json_value = to_json(value)
    if isinstance(json_value, (str, int, float)):
        return str(json_value)
    raise EngineIncident("expression", f"{what} '{expr.source}' must be a string, got {type(value).__name__}")


def evaluate_list(expr: Expr | None, context: Mapping[str, Any], *, now: datetime, what: str) -> list[str]:
    """A list of names: a FEEL list, or a comma-separated string (Camunda 7 candidateGroups)."""
    if expr is None:
        return []
    value = evaluate(expr, context, now=now, what=what)
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value if item is not None]
    raise EngineIncident("expression", f"{what} '{expr.source}' must be a list or a comma-separated string")
