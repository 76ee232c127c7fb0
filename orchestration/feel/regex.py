"""Guarded regular expressions for `matches`, `replace`, `split` and `extract`.

Python's `re` backtracks, so some patterns take exponential time on short
inputs. The mitigation is deliberately cheap (see `Limits`): cap the pattern
and input lengths, and refuse patterns that nest one unbounded repetition
inside another, e.g. `(a+)+` or `(\\w+\\s?)*`. Invalid patterns and flags make
the built-in return null; refused patterns raise FeelEvaluationError so that
the problem is visible instead of silently false.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from .errors import FeelEvaluationError
from .limits import Limits

_FLAGS = {"i": re.IGNORECASE, "s": re.DOTALL, "m": re.MULTILINE, "x": re.VERBOSE}
# A repetition whose upper bound exceeds its lower bound by more than this is
# treated as unbounded when looking for nested repetition.
_UNBOUNDED_SPAN = 10


class InvalidPattern(ValueError):
    """The pattern or flags are not valid; the calling built-in returns null."""


def compile_pattern(pattern: str, flags: str | None, limits: Limits) -> re.Pattern[str]:
    if len(pattern) > limits.max_regex_pattern_length:
        raise FeelEvaluationError(f"regular expression longer than {limits.max_regex_pattern_length} characters")
    return _compile(pattern, flags or "")


def check_input(text: str, limits: Limits) -> str:
    if len(text) > limits.max_regex_input_length:
        raise FeelEvaluationError(f"regular expression input longer than {limits.max_regex_input_length} characters")
    return text


@functools.lru_cache(maxsize=256)
def _compile(pattern: str, flags: str) -> re.Pattern[str]:
    value = 0
    literal = False
    for flag in flags:
        if flag == "q":
            literal = True
        elif flag in _FLAGS:
            value |= _FLAGS[flag]
        else:
            raise InvalidPattern(f"unknown regular expression flag {flag!r}")
    if literal:
        return re.compile(re.escape(pattern), value)
    try:
        compiled = re.compile(pattern, value)
    except (re.error, OverflowError, RecursionError) as exc:
        raise InvalidPattern(str(exc)) from None
    if _has_nested_repetition(pattern, value):
        raise FeelEvaluationError(
            f"regular expression {pattern!r} refused: nested unbounded repetition can take exponential time"
        )
    return compiled


def _has_nested_repetition(pattern: str, flags: int) -> bool:
    try:
        from re import _constants as c  # noqa: PLC0415 - private, guarded below
        from re import _parser

        parsed = _parser.parse(pattern, flags)
        repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}
        return _walk(parsed, False, c, repeats)
    except Exception:  # noqa: BLE001 - fall back to a textual heuristic
        return re.search(r"\([^)]*[+*][^)]*\)\s*[+*{]", pattern) is not None


def _walk(items: Any, inside: bool, c: Any, repeats: set[Any]) -> bool:
    for op, argument in items:
        if op in repeats:
            low, high, sub = argument
            unbounded = high == c.MAXREPEAT or high - low > _UNBOUNDED_SPAN
            if unbounded and inside:
                return True
            if _walk(sub, inside or unbounded, c, repeats):
                return True
        elif op == c.SUBPATTERN:
            if _walk(argument[-1], inside, c, repeats):
                return True
        elif op == c.BRANCH:
            if any(_walk(branch, inside, c, repeats) for branch in argument[1]):
                return True
        elif op in (c.ASSERT, c.ASSERT_NOT):
            if _walk(argument[1], inside, c, repeats):
                return True
        elif op == getattr(c, "ATOMIC_GROUP", None):
            if _walk(argument, inside, c, repeats):
                return True
        elif op == c.GROUPREF_EXISTS:
            _, yes, no = argument
            if _walk(yes, inside, c, repeats) or (no is not None and _walk(no, inside, c, repeats)):
                return True
    return False


def java_replacement(replacement: str) -> Any:
    """Translate a Java/XPath replacement (`$1`, `\\$`) into a function for re.sub."""
    parts: list[str | int] = []
    literal: list[str] = []
    index = 0
    while index < len(replacement):
        char = replacement[index]
        if char == "\\" and index + 1 < len(replacement):
            literal.append(replacement[index + 1])
            index += 2
        elif char == "$" and index + 1 < len(replacement) and replacement[index + 1].isdigit():
            end = index + 1
            while end < len(replacement) and replacement[end].isdigit():
                end += 1
            if literal:
                parts.append("".join(literal))
                literal = []
            parts.append(int(replacement[index + 1 : end]))
            index = end
        else:
            literal.append(char)
            index += 1
    if literal:
        parts.append("".join(literal))

    def expand(match: re.Match[str]) -> str:
        return "".join(part if isinstance(part, str) else (match.group(part) or "") for part in parts)

    return expand
