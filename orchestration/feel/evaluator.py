"""Tree-walking FEEL evaluator (Camunda 8 null-friendly semantics).

Missing names, null operands and type mismatches give null rather than an
error. Unknown functions, wrong arity and exceeded limits raise
FeelEvaluationError. Every node visit counts against `Limits.max_steps`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from . import nodes as n
from . import temporal
from .errors import FeelEvaluationError
from .functions import call_function
from .limits import Limits
from .scope import MISSING, AnyScope, RootScope, Scope
from .values import FeelRange, compare, equal, type_name


class Evaluator:
    """Evaluates one AST against one context. Not reusable across evaluations."""

    def __init__(
        self,
        context: Mapping[str, Any],
        *,
        now: datetime,
        limits: Limits,
        source: str,
    ) -> None:
        self.now = now
        self.limits = limits
        self.source = source
        self.root = RootScope(context)
        self._steps = 0
        self._handlers: dict[type[n.Node], Callable[[Any, AnyScope], Any]] = {
            n.NumberLit: self._literal,
            n.StringLit: self._literal,
            n.BoolLit: self._literal,
            n.NullLit: lambda node, scope: None,
            n.TemporalLit: lambda node, scope: temporal.parse_temporal_literal(node.text),
            n.Name: self._name,
            n.Path: self._path,
            n.Filter: self._filter,
            n.Unary: self._unary,
            n.Binary: self._binary,
            n.Between: self._between,
            n.In: self._in,
            n.Range: self._range,
            n.If: self._if,
            n.ListLit: self._list,
            n.ContextLit: self._context,
            n.For: self._for,
            n.Quantified: self._quantified,
            n.InstanceOf: self._instance_of,
            n.Call: self._call,
            n.MethodCall: self._method_call,
            n.Template: self._template,
            n.UnaryComparison: self._bare_unary_comparison,
        }

    def run(self, node: n.Node) -> Any:
        return self.visit(node, self.root)

    def visit(self, node: n.Node, scope: AnyScope) -> Any:
        self._steps += 1
        if self._steps > self.limits.max_steps:
            raise FeelEvaluationError(
                f"evaluation step limit exceeded ({self.limits.max_steps} steps)",
                source=self.source,
            )
        return self._handlers[type(node)](node, scope)

    # -- limits -------------------------------------------------------------

    def check_string(self, value: str) -> str:
        if len(value) > self.limits.max_string_length:
            raise FeelEvaluationError(
                f"string result longer than {self.limits.max_string_length} characters",
                source=self.source,
            )
        return value

    def check_list(self, size: int) -> None:
        if size > self.limits.max_list_size:
            raise FeelEvaluationError(f"list larger than {self.limits.max_list_size} items", source=self.source)

    # -- leaves -------------------------------------------------------------

    def _literal(self, node: n.NumberLit | n.StringLit | n.BoolLit, scope: AnyScope) -> Any:
        return node.value

    def _name(self, node: n.Name, scope: AnyScope) -> Any:
        value = scope.lookup(node.name)
        return None if value is MISSING else value

    def member(self, base: Any, name: str) -> Any:
        """`base.name` with FEEL semantics (null-friendly, maps over lists)."""
        if isinstance(base, dict):
            return base.get(name)
        if isinstance(base, list):
            return [self.member(item, name) for item in base]
        if isinstance(base, date | time | timedelta | temporal.YearsMonthsDuration):
            value = temporal.property_of(base, name)
            return Decimal(value) if isinstance(value, int) else value
        if isinstance(base, FeelRange):
            return {
                "start": base.low,
                "end": base.high,
                "start included": base.low_closed,
                "end included": base.high_closed,
            }.get(name)
        return None

    def _path(self, node: n.Path, scope: AnyScope) -> Any:
        return self.member(self.visit(node.base, scope), node.name)

    def _filter(self, node: n.Filter, scope: AnyScope) -> Any:
        base = self.visit(node.base, scope)
        if base is None:
            return None
        items = base if isinstance(base, list) else [base]
        probe = self.visit(node.condition, scope)
        if isinstance(probe, Decimal):
            return _index(items, probe)
        selected = []
        for item in items:
            variables = dict(item) if isinstance(item, dict) else {}
            variables["item"] = item
            if self.visit(node.condition, Scope(variables, scope)) is True:
                selected.append(item)
        return selected

    # -- operators ----------------------------------------------------------

    def _unary(self, node: n.Unary, scope: AnyScope) -> Any:
        value = self.visit(node.operand, scope)
        if node.op == "-":
            if isinstance(value, Decimal):
                return -value
            if isinstance(value, timedelta):
                return -value
            if isinstance(value, temporal.YearsMonthsDuration):
                return temporal.YearsMonthsDuration(-value.months)
            return None
        if node.op == "not":
            return (not value) if isinstance(value, bool) else None
        raise FeelEvaluationError(f"operator '{node.op}' is not FEEL", source=self.source)

    def _binary(self, node: n.Binary, scope: AnyScope) -> Any:
        op = node.op
        if op in ("and", "or"):
            return self._logical(op, node.left, node.right, scope)
        left = self.visit(node.left, scope)
        right = self.visit(node.right, scope)
        if op == "=":
            return equal(left, right)
        if op == "!=":
            result = equal(left, right)
            return None if result is None else not result
        if op in ("<", "<=", ">", ">="):
            order = compare(left, right)
            if order is None:
                return None
            return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]
        return self.arithmetic(op, left, right)

    def _logical(self, op: str, left_node: n.Node, right_node: n.Node, scope: AnyScope) -> Any:
        # Three-valued logic: a decisive operand wins even if the other is null.
        decisive = op == "or"
        left = self.visit(left_node, scope)
        if left is decisive:
            return decisive
        right = self.visit(right_node, scope)
        if right is decisive:
            return decisive
        if isinstance(left, bool) and isinstance(right, bool):
            return not decisive
        return None

    def arithmetic(self, op: str, left: Any, right: Any) -> Any:
        if left is None or right is None:
            return None
        if isinstance(left, Decimal) and isinstance(right, Decimal):
            try:
                return _number_operation(op, left, right)
            except ArithmeticError:
                return None
        if op == "+" and isinstance(left, str) and isinstance(right, str):
            return self.check_string(left + right)
        try:
            if op == "+":
                return temporal.add(left, right)
            if op == "-":
                return temporal.subtract(left, right)
            if op == "*":
                return temporal.multiply(left, right)
            if op == "/":
                return temporal.divide(left, right)
        except (ArithmeticError, ValueError, TypeError):
            return None
        return None

    def _between(self, node: n.Between, scope: AnyScope) -> Any:
        value = self.visit(node.value, scope)
        low = compare(self.visit(node.low, scope), value)
        high = compare(value, self.visit(node.high, scope))
        if low is None or high is None:
            return None
        return low <= 0 and high <= 0

    def _in(self, node: n.In, scope: AnyScope) -> Any:
        value = self.visit(node.value, scope)
        unknown = False
        for test in node.tests:
            result = self._unary_test(value, test, scope)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    def _unary_test(self, value: Any, test: n.Node, scope: AnyScope) -> bool | None:
        if isinstance(test, n.UnaryComparison):
            operand = self.visit(test.operand, scope)
            if test.op == "=":
                return equal(value, operand)
            if test.op == "!=":
                result = equal(value, operand)
                return None if result is None else not result
            order = compare(value, operand)
            if order is None:
                return None
            return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[test.op]
        expected = self.visit(test, scope)
        if isinstance(expected, FeelRange):
            return expected.contains(value)
        if isinstance(expected, list):
            if any(equal(value, item) is True for item in expected):
                return True
            return equal(value, expected) is True
        return equal(value, expected)

    def _bare_unary_comparison(self, node: n.UnaryComparison, scope: AnyScope) -> Any:
        raise FeelEvaluationError("a unary test is only valid after 'in'", source=self.source)

    def _range(self, node: n.Range, scope: AnyScope) -> Any:
        low = self.visit(node.low, scope)
        high = self.visit(node.high, scope)
        return FeelRange(low, high, node.low_closed, node.high_closed)

    # -- structure ----------------------------------------------------------

    def _if(self, node: n.If, scope: AnyScope) -> Any:
        if self.visit(node.condition, scope) is True:
            return self.visit(node.then, scope)
        return self.visit(node.otherwise, scope)

    def _list(self, node: n.ListLit, scope: AnyScope) -> Any:
        return [self.visit(item, scope) for item in node.items]

    def _context(self, node: n.ContextLit, scope: AnyScope) -> Any:
        result: dict[str, Any] = {}
        inner = Scope(result, scope)  # later entries may refer to earlier ones
        for key, value in node.entries:
            result[key] = self.visit(value, inner)
        return result

    def _domain(self, value: Any) -> list[Any] | None:
        if isinstance(value, list):
            return value
        if isinstance(value, FeelRange):
            return self._range_items(value)
        if value is None:
            return None
        return [value]

    def _range_items(self, value: FeelRange) -> list[Any] | None:
        low, high = value.low, value.high
        if not (_is_integer(low) and _is_integer(high)):
            return None
        start, end = int(low), int(high)
        step = 1 if end >= start else -1
        if not value.low_closed:
            start += step
        if not value.high_closed:
            end -= step
        if (end - start) * step < 0:
            return []
        self.check_list(abs(end - start) + 1)
        return [Decimal(i) for i in range(start, end + step, step)]

    def _bindings(self, iterators: tuple[tuple[str, n.Node], ...], scope: AnyScope) -> Iterator[Scope] | None:
        domains: list[tuple[str, list[Any]]] = []
        for name, domain_node in iterators:
            domain = self._domain(self.visit(domain_node, scope))
            if domain is None:
                return None
            domains.append((name, domain))
        return self._combinations(domains, 0, {}, scope)

    def _combinations(
        self,
        domains: list[tuple[str, list[Any]]],
        position: int,
        bound: dict[str, Any],
        scope: AnyScope,
    ) -> Iterator[Scope]:
        if position == len(domains):
            yield Scope(dict(bound), scope)
            return
        name, items = domains[position]
        for item in items:
            bound[name] = item
            yield from self._combinations(domains, position + 1, bound, scope)

    def _for(self, node: n.For, scope: AnyScope) -> Any:
        bindings = self._bindings(node.iterators, scope)
        if bindings is None:
            return None
        results: list[Any] = []
        for inner in bindings:
            results.append(self.visit(node.body, inner))
            self.check_list(len(results))
        return results

    def _quantified(self, node: n.Quantified, scope: AnyScope) -> Any:
        bindings = self._bindings(node.iterators, scope)
        if bindings is None:
            return None
        if node.kind == "some":
            return any(self.visit(node.condition, inner) is True for inner in bindings)
        return all(self.visit(node.condition, inner) is True for inner in bindings)

    def _instance_of(self, node: n.InstanceOf, scope: AnyScope) -> Any:
        value = self.visit(node.value, scope)
        if node.type_name == "Any":
            return value is not None
        return type_name(value) == node.type_name

    def _call(self, node: n.Call, scope: AnyScope) -> Any:
        args = [self.visit(arg, scope) for arg in node.args]
        named = {name: self.visit(value, scope) for name, value in node.named}
        return call_function(self, node.name, args, named)

    # -- JUEL-only nodes ----------------------------------------------------

    def _method_call(self, node: n.MethodCall, scope: AnyScope) -> Any:
        raise FeelEvaluationError("method calls are only supported in JUEL", source=self.source)

    def _template(self, node: n.Template, scope: AnyScope) -> Any:
        raise FeelEvaluationError("templates are only supported in JUEL", source=self.source)


def _is_integer(value: Any) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value()


def _index(items: list[Any], index: Decimal) -> Any:
    """FEEL list index: 1-based, negative counts from the end, else null."""
    if not _is_integer(index):
        return None
    position = int(index)
    if 0 < position <= len(items):
        return items[position - 1]
    if 0 < -position <= len(items):
        return items[position]
    return None


def _number_operation(op: str, left: Decimal, right: Decimal) -> Decimal | None:
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return None if right == 0 else left / right
    if op == "**":
        return left**right
    if op == "%":
        return None if right == 0 else left % right
    return None
