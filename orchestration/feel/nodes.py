"""AST node classes shared by the FEEL and JUEL parsers.

Nodes are frozen dataclasses holding tuples, so a compiled expression is
immutable, hashable and safe to share between threads. Both dialects compile
into these classes; the evaluator for each dialect gives them its semantics
(for example `Filter` is a 1-based FEEL filter/index but a 0-based JUEL
subscript).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from decimal import Decimal


@dataclass(frozen=True)
class Node:
    """Base class of all AST nodes."""


@dataclass(frozen=True)
class NumberLit(Node):
    value: Decimal


@dataclass(frozen=True)
class StringLit(Node):
    value: str


@dataclass(frozen=True)
class BoolLit(Node):
    value: bool


@dataclass(frozen=True)
class NullLit(Node):
    pass


@dataclass(frozen=True)
class TemporalLit(Node):
    """`@"2024-01-01"`: a date, time, date and time or duration literal."""

    text: str


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Path(Node):
    """`base.name`: a context entry, a temporal property, or a mapping over a list."""

    base: Node
    name: str


@dataclass(frozen=True)
class Filter(Node):
    """`base[condition]`: FEEL filter or 1-based index; JUEL 0-based subscript."""

    base: Node
    condition: Node


@dataclass(frozen=True)
class Unary(Node):
    """`-x`; JUEL also uses op "not" (`!x`) and "empty" (`empty x`)."""

    op: str
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    """Arithmetic, comparison and logical operators.

    ops: + - * / ** % = != < <= > >= and or ("%" only from JUEL).
    """

    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Between(Node):
    value: Node
    low: Node
    high: Node


@dataclass(frozen=True)
class UnaryComparison(Node):
    """A positive unary test such as `< 5`, only valid inside `in`."""

    op: str
    operand: Node


@dataclass(frozen=True)
class In(Node):
    """`value in test` or `value in (test, test, ...)`."""

    value: Node
    tests: tuple[Node, ...]


@dataclass(frozen=True)
class Range(Node):
    """`[low..high]`, `(low..high)`, `]low..high[` and friends."""

    low_closed: bool
    low: Node
    high: Node
    high_closed: bool


@dataclass(frozen=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True)
class ContextLit(Node):
    entries: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class For(Node):
    iterators: tuple[tuple[str, Node], ...]
    body: Node


@dataclass(frozen=True)
class Quantified(Node):
    """`some ... satisfies` (kind "some") or `every ... satisfies` (kind "every")."""

    kind: str
    iterators: tuple[tuple[str, Node], ...]
    condition: Node


@dataclass(frozen=True)
class InstanceOf(Node):
    value: Node
    type_name: str


@dataclass(frozen=True)
class Call(Node):
    """Invocation of a built-in function with positional or named arguments."""

    name: str
    args: tuple[Node, ...]
    named: tuple[tuple[str, Node], ...] = ()


@dataclass(frozen=True)
class MethodCall(Node):
    """JUEL only: `target.method(args)` on a whitelist of methods."""

    target: Node
    method: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Template(Node):
    """JUEL only: a composite expression, text mixed with `${...}` parts."""

    parts: tuple[Node, ...]


def iter_children(node: Node) -> Iterator[Node]:
    """Yield the direct child nodes of `node`, whatever its class."""
    for field in fields(node):
        value = getattr(node, field.name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    yield item
                elif isinstance(item, tuple):
                    for sub in item:
                        if isinstance(sub, Node):
                            yield sub


def tree_depth(root: Node) -> int:
    """The depth of the tree, computed without recursion."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in iter_children(node))
    return deepest
