"""Recursive-descent FEEL parser producing `nodes` ASTs.

Binary operators are parsed by precedence climbing, so a long chain such as
`a + b + c` costs no recursion; nesting (parentheses, brackets, unary minus,
textual expressions) goes through `_enter`, which raises FeelSyntaxError past
`Limits.max_depth` instead of letting Python raise RecursionError.
"""

from __future__ import annotations

from decimal import DecimalException

from . import nodes as n
from .errors import FeelSyntaxError
from .lexer import EOF, KEYWORD, NAME, NUMBER, OP, STRING, Token, tokenize
from .limits import Limits
from .temporal import parse_temporal_literal
from .values import DECIMAL_CONTEXT

_COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
_PRECEDENCE = {
    "or": 1,
    "and": 2,
    **dict.fromkeys(_COMPARISONS, 3),
    "between": 3,
    "in": 3,
    "instance": 3,
    "+": 4,
    "-": 4,
    "*": 5,
    "/": 5,
    "**": 6,
}
_ADDITIVE = 4
TYPE_NAMES = (
    "number",
    "string",
    "boolean",
    "list",
    "context",
    "range",
    "date",
    "time",
    "date and time",
    "days and time duration",
    "years and months duration",
    "Any",
    "Null",
)


_EXPRESSION_START_KEYWORDS = ("true", "false", "null", "if", "for", "some", "every")


def _starts_expression(token: Token) -> bool:
    """Whether `token` can begin an expression. A '[' followed by anything else
    is not a filter: it closes a range such as `[1..5[`."""
    if token.kind in (NUMBER, STRING, NAME):
        return True
    if token.kind == KEYWORD:
        return token.text in _EXPRESSION_START_KEYWORDS
    return token.is_op("-", "(", "[", "{", "@")


def parse_feel(source: str, limits: Limits) -> n.Node:
    """Parse FEEL source (optionally starting with '=') into an AST."""
    parser = _Parser(source, tokenize(source), limits)
    return parser.parse()


class _Parser:
    def __init__(self, source: str, tokens: list[Token], limits: Limits) -> None:
        self._source = source
        self._tokens = tokens
        self._index = 0
        self._depth = 0
        self._max_depth = limits.max_depth

    # -- helpers ----------------------------------------------------------

    @property
    def _token(self) -> Token:
        return self._tokens[self._index]

    def _peek(self, offset: int = 1) -> Token:
        return self._tokens[min(self._index + offset, len(self._tokens) - 1)]

    def _advance(self) -> Token:
        token = self._tokens[self._index]
        if token.kind != EOF:
            self._index += 1
        return token

    def _error(self, token: Token, what: str | None = None) -> FeelSyntaxError:
        message = what or f"unexpected {token.describe()}"
        return FeelSyntaxError.at(message, self._source, token.position)

    def _expect_op(self, *texts: str) -> Token:
        if not self._token.is_op(*texts):
            expected = " or ".join(f"'{text}'" for text in texts)
            raise self._error(self._token, f"expected {expected} but found {self._token.describe()}")
        return self._advance()

    def _expect_keyword(self, text: str) -> Token:
        if not self._token.is_keyword(text):
            raise self._error(self._token, f"expected '{text}' but found {self._token.describe()}")
        return self._advance()

    def _enter(self) -> None:
        self._depth += 1
        if self._depth > self._max_depth:
            raise self._error(self._token, f"expression nested deeper than {self._max_depth} levels")

    def _leave(self) -> None:
        self._depth -= 1

    # -- grammar ----------------------------------------------------------

    def parse(self) -> n.Node:
        if self._token.kind == EOF:
            raise self._error(self._token, "empty expression")
        node = self.expression()
        if self._token.kind != EOF:
            raise self._error(self._token)
        return node

    def expression(self, min_precedence: int = 1) -> n.Node:
        self._enter()
        left = self._unary()
        while True:
            token = self._token
            operator = token.text if token.kind in (OP, KEYWORD) else ""
            precedence = _PRECEDENCE.get(operator)
            if precedence is None or precedence < min_precedence:
                break
            self._advance()
            if operator == "between":
                low = self.expression(_ADDITIVE)
                self._expect_keyword("and")
                high = self.expression(_ADDITIVE)
                left = n.Between(left, low, high)
            elif operator == "in":
                left = n.In(left, self._in_tests())
            elif operator == "instance":
                self._expect_keyword("of")
                left = n.InstanceOf(left, self._type_name())
            else:
                right = self.expression(precedence + 1)
                left = n.Binary(operator, left, right)
        self._leave()
        return left

    def _unary(self) -> n.Node:
        if self._token.is_op("-"):
            self._advance()
            self._enter()
            operand = self._unary()
            self._leave()
            return n.Unary("-", operand)
        return self._postfix()

    def _postfix(self) -> n.Node:
        node = self._primary()
        while True:
            token = self._token
            if token.is_op("."):
                self._advance()
                name = self._advance()
                if name.kind not in (NAME, KEYWORD):
                    raise self._error(name, f"expected a name after '.' but found {name.describe()}")
                node = n.Path(node, name.value)
            elif token.is_op("[") and _starts_expression(self._peek()):
                self._advance()
                condition = self.expression()
                self._expect_op("]")
                node = n.Filter(node, condition)
            elif token.is_op("("):
                if not isinstance(node, n.Name):
                    raise self._error(token, "only built-in functions can be invoked")
                self._advance()
                node = self._call(node.name)
            else:
                return node

    def _call(self, name: str) -> n.Node:
        args: list[n.Node] = []
        named: list[tuple[str, n.Node]] = []
        if self._token.is_op(")"):
            self._advance()
            return n.Call(name, ())
        while True:
            parameter = self._parameter_name()
            if parameter is not None:
                if args:
                    raise self._error(self._token, "cannot mix positional and named arguments")
                named.append((parameter, self.expression()))
            else:
                if named:
                    raise self._error(self._token, "cannot mix positional and named arguments")
                args.append(self.expression())
            if self._token.is_op(","):
                self._advance()
                continue
            self._expect_op(")")
            return n.Call(name, tuple(args), tuple(named))

    def _parameter_name(self) -> str | None:
        """Consume `name words :` when the next argument is a named one."""
        offset = 0
        words: list[str] = []
        while self._peek(offset).kind in (NAME, KEYWORD):
            words.append(self._peek(offset).value)
            offset += 1
        if not words or not self._peek(offset).is_op(":"):
            return None
        self._index += offset + 1
        return " ".join(words)

    def _primary(self) -> n.Node:
        token = self._token
        if token.kind == NUMBER:
            self._advance()
            try:
                return n.NumberLit(DECIMAL_CONTEXT.create_decimal(token.value))
            except DecimalException:
                raise self._error(token, "number out of range") from None
        if token.kind == STRING:
            self._advance()
            return n.StringLit(token.value)
        if token.kind == NAME:
            self._advance()
            return n.Name(token.value)
        if token.kind == KEYWORD:
            return self._keyword_primary(token)
        if token.is_op("@"):
            self._advance()
            literal = self._advance()
            if literal.kind != STRING:
                raise self._error(literal, "expected a string after '@'")
            if parse_temporal_literal(literal.value) is None:
                raise self._error(literal, f"invalid temporal literal {literal.text}")
            return n.TemporalLit(literal.value)
        if token.is_op("("):
            return self._parenthesized()
        if token.is_op("["):
            return self._list_or_range()
        if token.is_op("]"):
            return self._open_range()
        if token.is_op("{"):
            return self._context()
        raise self._error(token)

    def _keyword_primary(self, token: Token) -> n.Node:
        word = token.text
        if word in ("true", "false"):
            self._advance()
            return n.BoolLit(word == "true")
        if word == "null":
            self._advance()
            return n.NullLit()
        if word == "if":
            return self._if()
        if word == "for":
            return self._for()
        if word in ("some", "every"):
            return self._quantified()
        raise self._error(token)

    def _parenthesized(self) -> n.Node:
        self._advance()
        node = self.expression()
        if self._token.is_op(".."):
            return self._range_rest(False, node)
        self._expect_op(")")
        return node

    def _list_or_range(self) -> n.Node:
        self._advance()
        if self._token.is_op("]"):
            self._advance()
            return n.ListLit(())
        first = self.expression()
        if self._token.is_op(".."):
            return self._range_rest(True, first)
        items = [first]
        while self._token.is_op(","):
            self._advance()
            items.append(self.expression())
        self._expect_op("]")
        return n.ListLit(tuple(items))

    def _open_range(self) -> n.Node:
        self._advance()
        low = self.expression()
        if not self._token.is_op(".."):
            raise self._error(self._token, f"expected '..' but found {self._token.describe()}")
        return self._range_rest(False, low)

    def _range_rest(self, low_closed: bool, low: n.Node) -> n.Node:
        self._expect_op("..")
        high = self.expression()
        closing = self._expect_op("]", ")", "[")
        return n.Range(low_closed, low, high, closing.text == "]")

    def _context(self) -> n.Node:
        self._advance()
        entries: list[tuple[str, n.Node]] = []
        seen: set[str] = set()
        if self._token.is_op("}"):
            self._advance()
            return n.ContextLit(())
        while True:
            key_token = self._token
            key = self._context_key()
            if key in seen:
                raise self._error(key_token, f"duplicate context key '{key}'")
            seen.add(key)
            self._expect_op(":")
            entries.append((key, self.expression()))
            if self._token.is_op(","):
                self._advance()
                continue
            self._expect_op("}")
            return n.ContextLit(tuple(entries))

    def _context_key(self) -> str:
        token = self._token
        if token.kind == STRING:
            self._advance()
            return token.value
        words: list[str] = []
        while self._token.kind in (NAME, KEYWORD):
            words.append(self._advance().value)
        if not words:
            raise self._error(token, f"expected a context key but found {token.describe()}")
        return " ".join(words)

    def _if(self) -> n.Node:
        self._advance()
        condition = self.expression()
        self._expect_keyword("then")
        then = self.expression()
        self._expect_keyword("else")
        otherwise = self.expression()
        return n.If(condition, then, otherwise)

    def _iterators(self) -> tuple[tuple[str, n.Node], ...]:
        iterators: list[tuple[str, n.Node]] = []
        while True:
            name = self._advance()
            if name.kind != NAME:
                raise self._error(name, f"expected a variable name but found {name.describe()}")
            self._expect_keyword("in")
            domain = self.expression()
            if self._token.is_op(".."):
                self._advance()
                domain = n.Range(True, domain, self.expression(), True)
            iterators.append((name.value, domain))
            if not self._token.is_op(","):
                return tuple(iterators)
            self._advance()

    def _for(self) -> n.Node:
        self._advance()
        iterators = self._iterators()
        self._expect_keyword("return")
        return n.For(iterators, self.expression())

    def _quantified(self) -> n.Node:
        kind = self._advance().text
        iterators = self._iterators()
        self._expect_keyword("satisfies")
        return n.Quantified(kind, iterators, self.expression())

    def _in_tests(self) -> tuple[n.Node, ...]:
        if not self._token.is_op("("):
            return (self._positive_unary_test(),)
        self._enter()
        self._advance()
        first = self._positive_unary_test()
        if self._token.is_op("..") and not isinstance(first, n.UnaryComparison):
            tests: tuple[n.Node, ...] = (self._range_rest(False, first),)
        else:
            collected = [first]
            while self._token.is_op(","):
                self._advance()
                collected.append(self._positive_unary_test())
            self._expect_op(")")
            tests = tuple(collected)
        self._leave()
        return tests

    def _positive_unary_test(self) -> n.Node:
        token = self._token
        if token.kind == OP and token.text in _COMPARISONS:
            self._advance()
            return n.UnaryComparison(token.text, self.expression(_ADDITIVE))
        return self.expression(_ADDITIVE)

    def _type_name(self) -> str:
        start = self._index
        words: list[str] = []
        best: tuple[str, int] | None = None
        while self._token.kind in (NAME, KEYWORD):
            words.append(self._token.text)
            candidate = " ".join(words)
            if not any(t == candidate or t.startswith(candidate + " ") for t in TYPE_NAMES):
                break
            self._advance()
            if candidate in TYPE_NAMES:
                best = (candidate, self._index)
        if best is None:
            self._index = start
            raise self._error(self._token, f"expected a type name but found {self._token.describe()}")
        self._index = best[1]
        return best[0]
