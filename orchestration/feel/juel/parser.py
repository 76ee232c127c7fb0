"""JUEL parser: `${...}`/`#{...}` expressions and composite text templates.

A source that is exactly one `${...}` block compiles to that expression; text
mixed with blocks compiles to a `Template` whose parts are concatenated; text
without any block is a string literal (as in Camunda 7). `\\${` escapes a
literal `${`. The output uses the FEEL AST classes; the JUEL evaluator gives
them EL semantics (0-based subscripts, strict identifiers, coercions).
"""

from __future__ import annotations

from decimal import DecimalException

from .. import nodes as n
from ..errors import FeelSyntaxError
from ..lexer import EOF, KEYWORD, NAME, NUMBER, OP, STRING, Token
from ..limits import Limits
from ..values import DECIMAL_CONTEXT
from .lexer import tokenize_block

# Methods that may be called, by receiver. Anything else is refused at compile time.
EXECUTION_METHODS = frozenset(
    {"getVariable", "getVariableLocal", "hasVariable", "getProcessBusinessKey", "getBusinessKey"}
)
VALUE_METHODS = frozenset(
    {
        "size",
        "isEmpty",
        "contains",
        "containsKey",
        "startsWith",
        "endsWith",
        "length",
        "toUpperCase",
        "toLowerCase",
        "equals",
        "equalsIgnoreCase",
        "trim",
    }
)
METHODS = EXECUTION_METHODS | VALUE_METHODS

_OPERATORS = {
    "||": "or",
    "or": "or",
    "&&": "and",
    "and": "and",
    "==": "=",
    "eq": "=",
    "!=": "!=",
    "ne": "!=",
    "<": "<",
    "lt": "<",
    ">": ">",
    "gt": ">",
    "<=": "<=",
    "le": "<=",
    ">=": ">=",
    "ge": ">=",
    "+": "+",
    "-": "-",
    "*": "*",
    "/": "/",
    "div": "/",
    "%": "%",
    "mod": "%",
}
_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    ">": 4,
    "<=": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
}


def parse_juel(source: str, limits: Limits) -> n.Node:
    parts: list[n.Node] = []
    text: list[str] = []
    index = 0
    blocks = 0
    while index < len(source):
        if source.startswith(("${", "#{"), index):
            if text:
                parts.append(n.StringLit("".join(text)))
                text = []
            tokens, index = tokenize_block(source, index + 2)
            parts.append(_Parser(source, tokens, limits).parse())
            blocks += 1
        elif source.startswith(("\\${", "\\#{"), index):
            text.append(source[index + 1 : index + 3])
            index += 3
        else:
            text.append(source[index])
            index += 1
    if text:
        parts.append(n.StringLit("".join(text)))
    if blocks == 1 and len(parts) == 1:
        return parts[0]
    if blocks == 0:
        return n.StringLit("".join(text)) if parts else n.StringLit("")
    return n.Template(tuple(parts))


class _Parser:
    def __init__(self, source: str, tokens: list[Token], limits: Limits) -> None:
        self._source = source
        self._tokens = tokens
        self._index = 0
        self._depth = 0
        self._max_depth = limits.max_depth

    @property
    def _token(self) -> Token:
        return self._tokens[self._index]

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        if token.kind != EOF:
            self._index += 1
        return token

    def _error(self, token: Token, what: str | None = None) -> FeelSyntaxError:
        return FeelSyntaxError.at(what or f"unexpected {token.describe()}", self._source, token.position)

    def _expect(self, text: str) -> None:
        if not self._token.is_op(text):
            raise self._error(self._token, f"expected '{text}' but found {self._token.describe()}")
        self._advance()

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise self._error(self._token, f"expression nested deeper than {self._max_depth} levels")

    def parse(self) -> n.Node:
        if self._token.kind == EOF:
            raise self._error(self._token, "empty expression")
        node = self._expression()
        if self._token.kind != EOF:
            raise self._error(self._token)
        return node

    def _expression(self) -> n.Node:
        self._enter()
        condition = self._binary(1)
        if self._token.is_op("?"):
            self._advance()
            then = self._expression()
            self._expect(":")
            otherwise = self._expression()
            condition = n.If(condition, then, otherwise)
        self._depth -= 1
        return condition

    def _binary(self, min_precedence: int) -> n.Node:
        # Recursion here is bounded by the number of precedence levels, so only
        # `_expression` and `_unary` count nesting depth.
        left = self._unary()
        while True:
            token = self._token
            op = _OPERATORS.get(token.text) if token.kind in (OP, KEYWORD) else None
            if op is None or _PRECEDENCE[op] < min_precedence:
                break
            self._advance()
            left = n.Binary(op, left, self._binary(_PRECEDENCE[op] + 1))
        return left

    def _unary(self) -> n.Node:
        token = self._token
        op = None
        if token.is_op("-"):
            op = "-"
        elif token.is_op("!") or token.is_keyword("not"):
            op = "not"
        elif token.is_keyword("empty"):
            op = "empty"
        if op is None:
            return self._postfix()
        self._advance()
        self._enter()
        operand = self._unary()
        self._depth -= 1
        return n.Unary(op, operand)

    def _postfix(self) -> n.Node:
        node = self._primary()
        while True:
            token = self._token
            if token.is_op("."):
                self._advance()
                name = self._advance()
                if name.kind not in (NAME, KEYWORD):
                    raise self._error(name, f"expected a property name but found {name.describe()}")
                if self._token.is_op("("):
                    if name.value not in METHODS:
                        raise self._error(name, f"unsupported method '{name.value}'")
                    node = n.MethodCall(node, name.value, self._arguments())
                else:
                    node = n.Path(node, name.value)
            elif token.is_op("["):
                self._advance()
                index = self._expression()
                self._expect("]")
                node = n.Filter(node, index)
            elif token.is_op("("):
                raise self._error(token, "function calls are not supported")
            else:
                return node

    def _arguments(self) -> tuple[n.Node, ...]:
        self._expect("(")
        args: list[n.Node] = []
        if self._token.is_op(")"):
            self._advance()
            return ()
        while True:
            args.append(self._expression())
            if self._token.is_op(","):
                self._advance()
                continue
            self._expect(")")
            return tuple(args)

    def _primary(self) -> n.Node:
        token = self._advance()
        if token.kind == NUMBER:
            try:
                return n.NumberLit(DECIMAL_CONTEXT.create_decimal(token.value))
            except DecimalException:
                raise self._error(token, "number out of range") from None
        if token.kind == STRING:
            return n.StringLit(token.value)
        if token.kind == NAME:
            return n.Name(token.value)
        if token.is_keyword("true", "false"):
            return n.BoolLit(token.text == "true")
        if token.is_keyword("null"):
            return n.NullLit()
        if token.is_op("("):
            node = self._expression()
            self._expect(")")
            return node
        raise self._error(token)
