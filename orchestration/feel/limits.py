"""Safety limits applied while compiling and evaluating expressions."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one expression from exhausting the worker.

    Regular expressions (`matches`, `replace`, `split`) are the one place where
    a short input can take exponential time. The mitigation is cheap rather than
    complete: patterns longer than `max_regex_pattern_length` and inputs longer
    than `max_regex_input_length` are refused, and so are patterns that nest one
    unbounded repetition inside another (`(a+)+`, `(\\w*)*`), the classic cause
    of catastrophic backtracking. Overlapping alternations such as `(a|a)*` are
    not detected.
    """

    max_source_length: int = 10_000
    max_depth: int = 100
    max_steps: int = 100_000
    max_list_size: int = 100_000
    max_string_length: int = 1_000_000
    max_regex_pattern_length: int = 1_000
    max_regex_input_length: int = 100_000


DEFAULT_LIMITS = Limits()
