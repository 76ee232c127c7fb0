"""A safe FEEL (Camunda 8) and JUEL (Camunda 7) expression evaluator.

Written from scratch: no eval/exec and no third-party FEEL library. Pure
Python, no Django imports.

    compiled = compile_expression("order.total > 100")          # FeelSyntaxError
    compiled.evaluate({"order": {"total": 120}})                 # FeelEvaluationError
    evaluate("${amount > 100}", {"amount": 5}, dialect="juel")
    to_json(value)                                               # JSON-able copy

Numbers are Decimal inside (so 0.1 + 0.2 = 0.3) and come back as `int` when
integral, `float` otherwise. Temporal results stay `date`/`time`/`datetime`/
`timedelta`/`YearsMonthsDuration`; `to_json` turns them into ISO-8601 text.
Only FeelError subclasses ever escape `compile_expression` and `evaluate`.

Modules: lexer/parser/unparse (FEEL syntax), nodes (shared AST), evaluator
(FEEL semantics), functions/ (built-ins), temporal, values, regex (guarded
regular expressions), juel/ (Camunda 7 dialect), limits, errors, compiled.
"""

from __future__ import annotations

from .compiled import CompiledExpression, compile_expression, evaluate
from .errors import FeelError, FeelEvaluationError, FeelSyntaxError
from .limits import DEFAULT_LIMITS, Limits
from .temporal import YearsMonthsDuration, format_duration, parse_duration
from .unparse import unparse
from .values import FeelRange, to_json

__all__ = [
    "DEFAULT_LIMITS",
    "CompiledExpression",
    "FeelError",
    "FeelEvaluationError",
    "FeelRange",
    "FeelSyntaxError",
    "Limits",
    "YearsMonthsDuration",
    "compile_expression",
    "evaluate",
    "format_duration",
    "parse_duration",
    "to_json",
    "unparse",
]
