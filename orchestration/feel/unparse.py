"""Print an AST back as FEEL source.

Every compound operand is parenthesised, so the output is verbose but parses
back to an equal AST (`parse(unparse(ast)) == ast`). Nodes that only JUEL
produces (`MethodCall`, `Template`, `%`, `not`/`empty` unary) are printed in
JUEL style for diagnostics; they have no FEEL spelling.
"""

from __future__ import annotations

import re

from . import nodes as n
from .lexer import KEYWORDS
from .values import format_number

_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_ATOMIC = (
    n.NumberLit,
    n.StringLit,
    n.BoolLit,
    n.NullLit,
    n.TemporalLit,
    n.Name,
    n.Path,
    n.Filter,
    n.Call,
    n.ListLit,
    n.ContextLit,
    n.Range,
    n.MethodCall,
)


def unparse(node: n.Node) -> str:
    """FEEL source text for `node`."""
    if isinstance(node, n.NumberLit):
        return format_number(node.value)
    if isinstance(node, n.StringLit):
        return quote(node.value)
    if isinstance(node, n.BoolLit):
        return "true" if node.value else "false"
    if isinstance(node, n.NullLit):
        return "null"
    if isinstance(node, n.TemporalLit):
        return "@" + quote(node.text)
    if isinstance(node, n.Name):
        return name_text(node.name)
    if isinstance(node, n.Path):
        return f"{_operand(node.base)}.{name_text(node.name)}"
    if isinstance(node, n.Filter):
        return f"{_operand(node.base)}[{unparse(node.condition)}]"
    if isinstance(node, n.Unary):
        if node.op == "-":
            return f"-{_operand(node.operand)}"
        if node.op == "not":
            return f"not({unparse(node.operand)})"
        return f"{node.op} {_operand(node.operand)}"
    if isinstance(node, n.Binary):
        left = _word_operand(node.left) if node.op in ("and", "or") else _operand(node.left)
        return f"{left} {node.op} {_operand(node.right)}"
    if isinstance(node, n.Between):
        low = _word_operand(node.low)
        return f"{_operand(node.value)} between {low} and {_operand(node.high)}"
    if isinstance(node, n.UnaryComparison):
        return f"{node.op} {_operand(node.operand)}"
    if isinstance(node, n.In):
        tests = ", ".join(_test(test) for test in node.tests)
        return f"{_operand(node.value)} in ({tests})"
    if isinstance(node, n.Range):
        # Open ends print as parentheses: `]a..b[` would be ambiguous next to
        # list brackets and filters.
        start = "[" if node.low_closed else "("
        end = "]" if node.high_closed else ")"
        return f"{start}{_operand(node.low)}..{_operand(node.high)}{end}"
    if isinstance(node, n.If):
        return f"if {_operand(node.condition)} then {_operand(node.then)} else {_operand(node.otherwise)}"
    if isinstance(node, n.ListLit):
        return "[" + ", ".join(unparse(item) for item in node.items) + "]"
    if isinstance(node, n.ContextLit):
        entries = (f"{_context_key(key)}: {unparse(value)}" for key, value in node.entries)
        return "{" + ", ".join(entries) + "}"
    if isinstance(node, n.For):
        return f"for {_iterators(node.iterators)} return {_operand(node.body)}"
    if isinstance(node, n.Quantified):
        return f"{node.kind} {_iterators(node.iterators)} satisfies {_operand(node.condition)}"
    if isinstance(node, n.InstanceOf):
        return f"{_operand(node.value)} instance of {node.type_name}"
    if isinstance(node, n.Call):
        args = [unparse(arg) for arg in node.args]
        args += [f"{name}: {unparse(value)}" for name, value in node.named]
        return f"{node.name}({', '.join(args)})"
    if isinstance(node, n.MethodCall):
        args = ", ".join(unparse(arg) for arg in node.args)
        return f"{_operand(node.target)}.{node.method}({args})"
    if isinstance(node, n.Template):
        return " + ".join(_operand(part) for part in node.parts)
    raise TypeError(f"cannot print {type(node).__name__}")


def _operand(node: n.Node) -> str:
    text = unparse(node)
    return text if isinstance(node, _ATOMIC) else f"({text})"


def _word_operand(node: n.Node) -> str:
    """Operand before a word operator: a trailing name is parenthesised so that
    `date and time(...)` can never be read back as the built-in's name."""
    if isinstance(node, n.Name | n.Path):
        return f"({unparse(node)})"
    return _operand(node)


def _test(node: n.Node) -> str:
    return unparse(node) if isinstance(node, n.UnaryComparison) else _operand(node)


def _iterators(iterators: tuple[tuple[str, n.Node], ...]) -> str:
    return ", ".join(f"{name_text(name)} in {_operand(domain)}" for name, domain in iterators)


def name_text(name: str) -> str:
    """A name as FEEL source: plain when it is an identifier, else in backticks."""
    if _IDENTIFIER.fullmatch(name) and name not in KEYWORDS:
        return name
    return f"`{name}`"


def _context_key(key: str) -> str:
    if _IDENTIFIER.fullmatch(key) and key not in KEYWORDS:
        return key
    return quote(key)


def quote(text: str) -> str:
    """A FEEL string literal for `text`."""
    out = ['"']
    for char in text:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or 0xD800 <= ord(char) <= 0xDFFF:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
