"""Built-in FEEL functions: a registry of named overloads and the call dispatcher.

Each built-in is a plain function registered with `@builtin(name, *params)`.
Parameter spellings follow the DMN specification so that named arguments work
(`substring(string: "abc", start position: 2)`). A trailing `?` marks an
optional parameter, a trailing `...` a variadic one (zero or more values).

Type mismatches inside a built-in (signalled with `Mismatch`, or any ordinary
Python error while computing) give null, as in Camunda 8. Unknown names and
arguments that fit no overload raise FeelEvaluationError.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import FeelError, FeelEvaluationError

if TYPE_CHECKING:
    from ..evaluator import Evaluator


class Mismatch(Exception):
    """An argument has the wrong type or value: the call evaluates to null."""


@dataclass(frozen=True)
class Overload:
    params: tuple[str, ...]
    required: int
    variadic: bool
    impl: Callable[..., Any]
    needs_env: bool

    def signature(self, name: str) -> str:
        shown = [
            p + ("..." if self.variadic and i == len(self.params) - 1 else "")
            if i < self.required or (self.variadic and i == len(self.params) - 1)
            else p + "?"
            for i, p in enumerate(self.params)
        ]
        return f"{name}({', '.join(shown)})"

    def accepts(self, count: int) -> bool:
        if self.variadic:
            return count >= self.required
        return self.required <= count <= len(self.params)


REGISTRY: dict[str, list[Overload]] = {}


def builtin(name: str, *params: str, env: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as an overload of the FEEL built-in `name`.

    With `env=True` the evaluator is passed first (for `now()`, limits).
    """
    names: list[str] = []
    required = 0
    variadic = False
    for param in params:
        if param.endswith("..."):
            variadic = True
            names.append(param[:-3])
        elif param.endswith("?"):
            names.append(param[:-1])
        else:
            names.append(param)
            required += 1

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        overload = Overload(tuple(names), required, variadic, function, env)
        REGISTRY.setdefault(name, []).append(overload)
        return function

    return decorate


def call_function(env: Evaluator, name: str, args: list[Any], named: dict[str, Any]) -> Any:
    """Invoke the built-in `name`; raises FeelEvaluationError for unknown names and
    for arguments that match no overload."""
    overloads = REGISTRY.get(name)
    if overloads is None:
        raise FeelEvaluationError(f"unknown function '{name}'", source=env.source)
    overload, values = _resolve(env, name, overloads, args, named)
    try:
        if overload.needs_env:
            result = overload.impl(env, *values)
        else:
            result = overload.impl(*values)
    except FeelError:
        raise
    except (Mismatch, ArithmeticError, ValueError, TypeError, IndexError, KeyError):
        return None
    if isinstance(result, str):
        env.check_string(result)
    elif isinstance(result, list):
        env.check_list(len(result))
    return result


def _resolve(
    env: Evaluator,
    name: str,
    overloads: list[Overload],
    args: list[Any],
    named: dict[str, Any],
) -> tuple[Overload, list[Any]]:
    signatures = " or ".join(overload.signature(name) for overload in overloads)
    if not named:
        for overload in overloads:
            if overload.accepts(len(args)):
                return overload, args
        count = len(args)
        raise FeelEvaluationError(
            f"function '{name}' cannot take {count} argument{'s' if count != 1 else ''}; expected {signatures}",
            source=env.source,
        )
    for overload in overloads:
        if not set(named) <= set(overload.params):
            continue
        if not all(param in named for param in overload.params[: overload.required]):
            continue
        values: list[Any] = []
        for index, param in enumerate(overload.params):
            if overload.variadic and index == len(overload.params) - 1:
                if param in named:
                    extra = named[param]
                    values.extend(extra if isinstance(extra, list) else [extra])
            else:
                values.append(named.get(param))
        while len(values) > overload.required and values[-1] is None:
            values.pop()
        return overload, values
    given = ", ".join(named)
    raise FeelEvaluationError(
        f"function '{name}' has no overload with parameters {given}; expected {signatures}",
        source=env.source,
    )


# -- argument helpers used by the built-in modules ------------------------------


def text(value: Any) -> str:
    if not isinstance(value, str):
        raise Mismatch
    return value


def number(value: Any) -> Decimal:
    if not isinstance(value, Decimal):
        raise Mismatch
    return value


def integer(value: Any) -> int:
    value = number(value)
    if not value.is_finite():
        raise Mismatch
    return int(value)


def sequence(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Mismatch
    return value


# Importing the modules registers their built-ins.
from . import contexts, conversions, dates, lists, numbers, strings  # noqa: E402

__all__ = [
    "REGISTRY",
    "Mismatch",
    "builtin",
    "call_function",
    "contexts",
    "conversions",
    "dates",
    "integer",
    "lists",
    "number",
    "numbers",
    "sequence",
    "strings",
    "text",
]
