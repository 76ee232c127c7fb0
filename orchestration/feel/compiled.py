"""Compilation (cached) and evaluation entry points.

This is the boundary that guarantees only FeelError subclasses escape: any
other exception raised while parsing or evaluating is converted here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import localcontext
from typing import Any

from .errors import FeelError, FeelEvaluationError, FeelSyntaxError, describe_source
from .evaluator import Evaluator
from .juel import JuelEvaluator, parse_juel
from .limits import DEFAULT_LIMITS, Limits
from .nodes import Node, tree_depth
from .parser import parse_feel
from .values import DECIMAL_CONTEXT, to_external

DIALECTS = ("feel", "juel")


@dataclass(frozen=True)
class CompiledExpression:
    """An immutable, thread-safe compiled expression."""

    source: str
    dialect: str
    ast: Node
    limits: Limits = DEFAULT_LIMITS

    def evaluate(self, context: Mapping[str, Any] | None = None, *, now: datetime | None = None) -> Any:
        """Evaluate against `context` (plain Python values).

        Numbers come back as `int` when integral and `float` otherwise; lists,
        dicts, strings, booleans, None and temporal values are returned as is.
        `now` is the clock for `now()`/`today()` (default: current UTC time; a
        naive value is taken as UTC). Raises FeelEvaluationError.
        """
        clock = now or datetime.now(UTC)
        if clock.tzinfo is None:
            clock = clock.replace(tzinfo=UTC)
        evaluator_class = JuelEvaluator if self.dialect == "juel" else Evaluator
        try:
            if context is None:
                context = {}
            if not isinstance(context, Mapping):
                raise FeelEvaluationError("the evaluation context must be a mapping")
            with localcontext(DECIMAL_CONTEXT):
                evaluator = evaluator_class(context, now=clock, limits=self.limits, source=self.source)
                return to_external(evaluator.run(self.ast))
        except FeelError:
            raise
        except RecursionError:
            raise FeelEvaluationError(
                f"expression or data nested too deeply to evaluate: {describe_source(self.source)}",
                source=self.source,
            ) from None
        except Exception as exc:  # noqa: BLE001 - the boundary converts everything
            raise FeelEvaluationError(
                f"cannot evaluate {describe_source(self.source)}: {type(exc).__name__}: {exc}",
                source=self.source,
            ) from exc


def compile_expression(source: str, dialect: str = "feel", *, limits: Limits | None = None) -> CompiledExpression:
    """Compile `source` ("feel": optional leading '='; "juel": `${...}` text).

    Results are cached per (source, dialect, limits). Raises FeelSyntaxError.
    """
    if not isinstance(source, str):
        raise FeelSyntaxError(f"expression source must be a string, not {type(source).__name__}")
    if dialect not in DIALECTS:
        raise FeelSyntaxError(f"unknown expression dialect {dialect!r}; expected 'feel' or 'juel'")
    return _compile(source, dialect, limits or DEFAULT_LIMITS)


@functools.lru_cache(maxsize=4096)
def _compile(source: str, dialect: str, limits: Limits) -> CompiledExpression:
    if len(source) > limits.max_source_length:
        raise FeelSyntaxError(f"expression longer than {limits.max_source_length} characters", source=source)
    try:
        ast = parse_juel(source, limits) if dialect == "juel" else parse_feel(source, limits)
        depth = tree_depth(ast)
    except FeelError:
        raise
    except RecursionError:
        raise FeelSyntaxError(f"expression nested too deeply: {describe_source(source)}", source=source) from None
    except Exception as exc:  # noqa: BLE001 - the boundary converts everything
        raise FeelSyntaxError(
            f"cannot parse {describe_source(source)}: {type(exc).__name__}: {exc}", source=source
        ) from exc
    if depth > limits.max_depth:
        raise FeelSyntaxError(
            f"expression nested deeper than {limits.max_depth} levels in {describe_source(source)}",
            source=source,
        )
    return CompiledExpression(source, dialect, ast, limits)


def evaluate(
    source: str,
    context: Mapping[str, Any] | None = None,
    dialect: str = "feel",
    now: datetime | None = None,
    *,
    limits: Limits | None = None,
) -> Any:
    """Compile (cached) and evaluate in one call. See `CompiledExpression.evaluate`."""
    return compile_expression(source, dialect, limits=limits).evaluate(context, now=now)
