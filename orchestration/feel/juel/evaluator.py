"""JUEL evaluator: Java EL semantics on the shared AST.

Differences from FEEL, following Camunda 7:
- an unknown identifier raises FeelEvaluationError with Camunda's wording;
- `a[0]` is a 0-based list index or a map key; `a.b` on a map reads key "b";
- arithmetic coerces null to 0 and numeric strings to numbers (`+` never
  concatenates); `&&`, `||`, `!` and `? :` coerce null to false;
- `==` between a number and a string compares numerically;
- `execution` is a built-in object offering `getVariable(name)`,
  `getProcessBusinessKey()` and `processBusinessKey` (context key
  `__business_key__`);
- method calls are limited to `parser.METHODS`.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from .. import nodes as n
from ..errors import FeelEvaluationError
from ..evaluator import Evaluator
from ..scope import MISSING, AnyScope
from ..values import DECIMAL_CONTEXT, compare, equal, format_number, literal_text

BUSINESS_KEY = "__business_key__"


class _Execution:
    """Stands in for Camunda 7's `execution` object."""

    def __repr__(self) -> str:
        return "execution"


EXECUTION = _Execution()


class JuelEvaluator(Evaluator):
    def fail(self, message: str) -> FeelEvaluationError:
        return FeelEvaluationError(message, source=self.source)

    # -- names and properties -------------------------------------------------

    def _name(self, node: n.Name, scope: AnyScope) -> Any:
        value = scope.lookup(node.name)
        if value is not MISSING:
            return value
        if node.name == "execution":
            return EXECUTION
        raise self.fail(
            f"Unknown property used in expression: {self.source}. Cause: Cannot resolve identifier '{node.name}'"
        )

    def _path(self, node: n.Path, scope: AnyScope) -> Any:
        base = self.visit(node.base, scope)
        name = node.name
        if base is EXECUTION:
            if name in ("processBusinessKey", "businessKey"):
                return self._variable(BUSINESS_KEY)
            raise self.fail(f"Property '{name}' of execution is not supported")
        if base is None:
            return None
        if isinstance(base, dict):
            return base.get(name)
        if isinstance(base, list | str) and name == "empty":
            return len(base) == 0
        raise self.fail(f"Could not find property '{name}' on {_java_type(base)}")

    def _filter(self, node: n.Filter, scope: AnyScope) -> Any:
        base = self.visit(node.base, scope)
        key = self.visit(node.condition, scope)
        if base is None or key is None:
            return None
        if isinstance(base, dict):
            if isinstance(key, Decimal):
                key = format_number(key)
            return base.get(key)
        if isinstance(base, list):
            index = self._number(key)
            if index != index.to_integral_value():
                raise self.fail(f"Cannot use {literal_text(key)} as a list index")
            position = int(index)
            return base[position] if 0 <= position < len(base) else None
        raise self.fail(f"Cannot index into {_java_type(base)}")

    def _variable(self, name: str) -> Any:
        value = self.root.lookup(name)
        return None if value is MISSING else value

    # -- coercions ------------------------------------------------------------

    def _number(self, value: Any) -> Decimal:
        if value is None:
            return Decimal(0)
        if isinstance(value, bool):
            raise self.fail(f"Cannot coerce '{literal_text(value)}' to a number")
        if isinstance(value, Decimal):
            return value
        if isinstance(value, str):
            if value.strip() == "":
                return Decimal(0)
            try:
                return DECIMAL_CONTEXT.create_decimal(value.strip())
            except (InvalidOperation, ValueError):
                raise self.fail(f"Cannot coerce '{value}' to a number") from None
        raise self.fail(f"Cannot coerce {_java_type(value)} to a number")

    def _boolean(self, value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value.lower() == "true"
        raise self.fail(f"Cannot coerce {_java_type(value)} to a boolean")

    def text(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        if isinstance(value, Decimal):
            return format_number(value)
        return literal_text(value) if not isinstance(value, bool) else str(value).lower()

    # -- operators ------------------------------------------------------------

    def _unary(self, node: n.Unary, scope: AnyScope) -> Any:
        value = self.visit(node.operand, scope)
        if node.op == "-":
            return -self._number(value)
        if node.op == "not":
            return not self._boolean(value)
        if node.op == "empty":
            return value is None or (isinstance(value, str | list | dict) and len(value) == 0)
        raise self.fail(f"Unsupported operator '{node.op}'")

    def _binary(self, node: n.Binary, scope: AnyScope) -> Any:
        op = node.op
        if op == "and":
            return self._boolean(self.visit(node.left, scope)) and self._boolean(self.visit(node.right, scope))
        if op == "or":
            return self._boolean(self.visit(node.left, scope)) or self._boolean(self.visit(node.right, scope))
        left = self.visit(node.left, scope)
        right = self.visit(node.right, scope)
        if op == "=":
            return self._equals(left, right)
        if op == "!=":
            return not self._equals(left, right)
        if op in ("<", "<=", ">", ">="):
            return self._compare(op, left, right)
        a, b = self._number(left), self._number(right)
        try:
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if op == "/":
                return a / b
            if op == "%":
                return a % b
        except ArithmeticError:
            raise self.fail(f"Arithmetic error in {self.source}: division by zero or overflow") from None
        raise self.fail(f"Unsupported operator '{op}'")

    def _equals(self, left: Any, right: Any) -> bool:
        if left is None or right is None:
            return left is None and right is None
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            if isinstance(left, bool) or isinstance(right, bool):
                return False
            return self._number(left) == self._number(right)
        if isinstance(left, bool) or isinstance(right, bool):
            return self._boolean(left) == self._boolean(right)
        if isinstance(left, str) or isinstance(right, str):
            return self.text(left) == self.text(right)
        return equal(left, right) is True

    def _compare(self, op: str, left: Any, right: Any) -> bool:
        if left is None or right is None:
            return False
        if isinstance(left, Decimal) or isinstance(right, Decimal):
            left, right = self._number(left), self._number(right)
        order = compare(left, right)
        if order is None:
            raise self.fail(f"Cannot compare {_java_type(left)} with {_java_type(right)} in {self.source}")
        return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]

    def _if(self, node: n.If, scope: AnyScope) -> Any:
        if self._boolean(self.visit(node.condition, scope)):
            return self.visit(node.then, scope)
        return self.visit(node.otherwise, scope)

    def _template(self, node: n.Template, scope: AnyScope) -> Any:
        return self.check_string("".join(self.text(self.visit(part, scope)) for part in node.parts))

    # -- methods --------------------------------------------------------------

    def _method_call(self, node: n.MethodCall, scope: AnyScope) -> Any:
        target = self.visit(node.target, scope)
        args = [self.visit(arg, scope) for arg in node.args]
        method = node.method
        if target is EXECUTION:
            return self._execution_method(method, args)
        if target is None:
            raise self.fail(f"Cannot call method '{method}' on null in {self.source}")
        handler = _VALUE_METHODS.get((method, len(args)))
        if handler is not None:
            result = handler(self, target, *args)
            if result is not NotImplemented:
                return result
        raise self.fail(f"Method '{method}' with {len(args)} argument(s) is not supported on {_java_type(target)}")

    def _execution_method(self, method: str, args: list[Any]) -> Any:
        if method in ("getVariable", "getVariableLocal", "hasVariable") and len(args) == 1:
            if not isinstance(args[0], str):
                raise self.fail(f"execution.{method} needs a variable name")
            value = self.root.lookup(args[0])
            if method == "hasVariable":
                return value is not MISSING
            return None if value is MISSING else value
        if method in ("getProcessBusinessKey", "getBusinessKey") and not args:
            return self._variable(BUSINESS_KEY)
        raise self.fail(f"Method '{method}' with {len(args)} argument(s) is not supported on execution")


def _java_type(value: Any) -> str:
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Decimal):
        return "java.lang.Number"
    if isinstance(value, list):
        return "java.util.List"
    if isinstance(value, dict):
        return "java.util.Map"
    return type(value).__name__


def _size(ev: JuelEvaluator, target: Any) -> Any:
    return Decimal(len(target)) if isinstance(target, list | dict) else NotImplemented


def _is_empty(ev: JuelEvaluator, target: Any) -> Any:
    return len(target) == 0 if isinstance(target, str | list | dict) else NotImplemented


def _contains(ev: JuelEvaluator, target: Any, item: Any) -> Any:
    if isinstance(target, str):
        return ev.text(item) in target
    if isinstance(target, list):
        return any(ev._equals(element, item) for element in target)
    return NotImplemented


def _contains_key(ev: JuelEvaluator, target: Any, key: Any) -> Any:
    return key in target if isinstance(target, dict) else NotImplemented


def _string_method(function: Any) -> Any:
    def call(ev: JuelEvaluator, target: Any, *args: Any) -> Any:
        if not isinstance(target, str):
            return NotImplemented
        return function(target, *(ev.text(arg) for arg in args))

    return call


def _equals_method(ev: JuelEvaluator, target: Any, other: Any) -> Any:
    # Java equals is type-strict: "1".equals(1) is false.
    return type(target) is type(other) and equal(target, other) is True


_VALUE_METHODS: dict[tuple[str, int], Any] = {
    ("size", 0): _size,
    ("isEmpty", 0): _is_empty,
    ("contains", 1): _contains,
    ("containsKey", 1): _contains_key,
    ("startsWith", 1): _string_method(str.startswith),
    ("endsWith", 1): _string_method(str.endswith),
    ("length", 0): _string_method(lambda s: Decimal(len(s))),
    ("toUpperCase", 0): _string_method(str.upper),
    ("toLowerCase", 0): _string_method(str.lower),
    ("trim", 0): _string_method(str.strip),
    ("equals", 1): _equals_method,
    ("equalsIgnoreCase", 1): _string_method(lambda s, other: s.lower() == other.lower()),
}
