"""Errors raised by the expression evaluator.

Only these ever leave `compile_expression` and `evaluate`: every other failure
(recursion, overflow, decimal signals, bugs) is converted at the public boundary.
"""

from __future__ import annotations

_SOURCE_PREVIEW = 200


def describe_source(source: str) -> str:
    """The source as it appears in messages: quoted, and shortened when long."""
    if len(source) > _SOURCE_PREVIEW:
        source = source[:_SOURCE_PREVIEW] + "..."
    return f'"{source}"'


class FeelError(Exception):
    """Base class of every error raised for a FEEL or JUEL expression."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        position: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.position = position


class FeelSyntaxError(FeelError):
    """The expression could not be compiled (bad syntax or a compile-time limit)."""

    @classmethod
    def at(cls, what: str, source: str, position: int) -> FeelSyntaxError:
        """Build `"<what> at column <position> in "<source>"`.

        The column is the 0-based character offset into the source as given
        (including any leading '=' or JUEL delimiters).
        """
        message = f"{what} at column {position} in {describe_source(source)}"
        return cls(message, source=source, position=position)


class FeelEvaluationError(FeelError):
    """The expression compiled but could not be evaluated (unknown function, wrong
    arity, unknown JUEL identifier, or an evaluation limit was exceeded)."""
