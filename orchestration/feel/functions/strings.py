"""String built-ins. Positions are 1-based; negative start positions count from
the end. The regular-expression built-ins go through `..regex` guards."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..regex import InvalidPattern, check_input, compile_pattern, java_replacement
from . import Mismatch, builtin, integer, sequence, text

if TYPE_CHECKING:
    from ..evaluator import Evaluator


@builtin("string length", "string")
def string_length(string: Any) -> Decimal:
    return Decimal(len(text(string)))


@builtin("upper case", "string")
def upper_case(string: Any) -> str:
    return text(string).upper()


@builtin("lower case", "string")
def lower_case(string: Any) -> str:
    return text(string).lower()


@builtin("substring", "string", "start position", "length?")
def substring(string: Any, start: Any, length: Any = None) -> str:
    value = text(string)
    position = integer(start)
    if position > 0:
        index = position - 1
    elif position < 0:
        index = max(len(value) + position, 0)
    else:
        raise Mismatch
    if length is None:
        return value[index:]
    count = integer(length)
    if count < 0:
        raise Mismatch
    return value[index : index + count]


@builtin("substring before", "string", "match")
def substring_before(string: Any, match: Any) -> str:
    value, needle = text(string), text(match)
    index = value.find(needle)
    return "" if index < 0 else value[:index]


@builtin("substring after", "string", "match")
def substring_after(string: Any, match: Any) -> str:
    value, needle = text(string), text(match)
    index = value.find(needle)
    return "" if index < 0 else value[index + len(needle) :]


@builtin("contains", "string", "match")
def contains(string: Any, match: Any) -> bool:
    return text(match) in text(string)


@builtin("starts with", "string", "match")
def starts_with(string: Any, match: Any) -> bool:
    return text(string).startswith(text(match))


@builtin("ends with", "string", "match")
def ends_with(string: Any, match: Any) -> bool:
    return text(string).endswith(text(match))


@builtin("trim", "string")
def trim(string: Any) -> str:
    return text(string).strip()


def _pattern(env: Evaluator, pattern: Any, flags: Any) -> Any:
    if flags is not None:
        text(flags)
    try:
        return compile_pattern(text(pattern), flags, env.limits)
    except InvalidPattern:
        raise Mismatch from None


@builtin("matches", "input", "pattern", "flags?", env=True)
def matches(env: Evaluator, input: Any, pattern: Any, flags: Any = None) -> bool:  # noqa: A002
    subject = check_input(text(input), env.limits)
    return _pattern(env, pattern, flags).search(subject) is not None


@builtin("replace", "input", "pattern", "replacement", "flags?", env=True)
def replace(
    env: Evaluator,
    input: Any,  # noqa: A002
    pattern: Any,
    replacement: Any,
    flags: Any = None,
) -> str:
    subject = check_input(text(input), env.limits)
    compiled = _pattern(env, pattern, flags)
    return compiled.sub(java_replacement(text(replacement)), subject)


@builtin("split", "string", "delimiter", env=True)
def split(env: Evaluator, string: Any, delimiter: Any) -> list[str]:
    subject = check_input(text(string), env.limits)
    return [part for part in _pattern(env, delimiter, None).split(subject) if part is not None]


@builtin("extract", "string", "pattern", env=True)
def extract(env: Evaluator, string: Any, pattern: Any) -> list[str]:
    subject = check_input(text(string), env.limits)
    return [match.group(0) for match in _pattern(env, pattern, None).finditer(subject)]


@builtin("string join", "list", "delimiter?", "prefix?", "suffix?")
def string_join(items: Any, delimiter: Any = None, prefix: Any = None, suffix: Any = None) -> str:
    parts = [text(item) for item in sequence(items) if item is not None]
    joined = ("" if delimiter is None else text(delimiter)).join(parts)
    return ("" if prefix is None else text(prefix)) + joined + ("" if suffix is None else text(suffix))
