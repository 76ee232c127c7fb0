from __future__ import annotations

import string
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestration.feel import FeelError, compile_expression, evaluate, nodes, unparse
from orchestration.feel.functions import REGISTRY
from orchestration.feel.lexer import KEYWORDS
from orchestration.feel.parser import TYPE_NAMES

MODEST = settings(max_examples=200, deadline=None, database=None)

# -- generated ASTs -------------------------------------------------------------------

identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(lambda name: name not in KEYWORDS)
path_names = st.one_of(identifiers, st.sampled_from(sorted(KEYWORDS)))
numbers = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False).map(
    lambda value: nodes.NumberLit(value)
)
leaves = st.one_of(
    numbers,
    st.text(max_size=8).map(nodes.StringLit),
    st.booleans().map(nodes.BoolLit),
    st.just(nodes.NullLit()),
    identifiers.map(nodes.Name),
)
BINARY_OPS = ["+", "-", "*", "/", "**", "=", "!=", "<", "<=", ">", ">=", "and", "or"]
COMPARISONS = ["=", "!=", "<", "<=", ">", ">="]
FUNCTIONS = sorted(REGISTRY)
PARAMETERS = ["string", "start position", "list", "match", "from", "n", "grouping separator"]


def _compound(children: st.SearchStrategy[nodes.Node]) -> st.SearchStrategy[nodes.Node]:
    iterators = st.lists(st.tuples(identifiers, children), min_size=1, max_size=2).map(tuple)
    tests = st.lists(
        st.one_of(
            children,
            st.builds(nodes.UnaryComparison, st.sampled_from(COMPARISONS), children),
        ),
        min_size=1,
        max_size=3,
    ).map(tuple)
    entries = st.dictionaries(st.text(max_size=6), children, max_size=3).map(lambda mapping: tuple(mapping.items()))
    return st.one_of(
        st.builds(nodes.Binary, st.sampled_from(BINARY_OPS), children, children),
        st.builds(nodes.Unary, st.just("-"), children),
        st.builds(nodes.Path, children, path_names),
        st.builds(nodes.Filter, children, children),
        st.builds(nodes.If, children, children, children),
        st.lists(children, max_size=3).map(lambda items: nodes.ListLit(tuple(items))),
        entries.map(nodes.ContextLit),
        st.builds(nodes.Range, st.booleans(), children, children, st.booleans()),
        st.builds(nodes.In, children, tests),
        st.builds(nodes.Between, children, children, children),
        st.builds(nodes.InstanceOf, children, st.sampled_from(TYPE_NAMES)),
        st.builds(
            nodes.Call,
            st.sampled_from(FUNCTIONS),
            st.lists(children, max_size=3).map(tuple),
        ),
        st.builds(
            nodes.Call,
            st.sampled_from(FUNCTIONS),
            st.just(()),
            st.dictionaries(st.sampled_from(PARAMETERS), children, min_size=1, max_size=2).map(
                lambda mapping: tuple(mapping.items())
            ),
        ),
        st.builds(nodes.For, iterators, children),
        st.builds(nodes.Quantified, st.sampled_from(["some", "every"]), iterators, children),
    )


asts = st.recursive(leaves, _compound, max_leaves=12)


@MODEST
@given(asts)
def test_printing_an_ast_and_parsing_it_back_gives_the_same_ast(ast: nodes.Node) -> None:
    assert compile_expression(unparse(ast)).ast == ast


@MODEST
@given(asts)
def test_printed_asts_evaluate_without_unexpected_errors(ast: nodes.Node) -> None:
    try:
        evaluate(unparse(ast), {"a": 1, "xs": [1, 2, 3], "s": "text"})
    except FeelError:
        pass


# -- arithmetic laws --------------------------------------------------------------------

# Bounded so that exact results fit FEEL's 34 significant digits.
integers = st.integers(min_value=-(10**15), max_value=10**15)
decimals = st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
operands = st.one_of(integers, decimals)


def feel(source: str, **context: object) -> object:
    return evaluate(source, context)


@MODEST
@given(operands, operands)
def test_addition_is_commutative(a: int | Decimal, b: int | Decimal) -> None:
    assert feel("a + b", a=a, b=b) == feel("b + a", a=a, b=b)


@MODEST
@given(operands, operands, operands)
def test_addition_is_associative(a: int | Decimal, b: int | Decimal, c: int | Decimal) -> None:
    assert feel("(a + b) + c", a=a, b=b, c=c) == feel("a + (b + c)", a=a, b=b, c=c)


@MODEST
@given(operands, operands, operands)
def test_multiplication_distributes_over_addition(a: int | Decimal, b: int | Decimal, c: int | Decimal) -> None:
    assert feel("a * (b + c)", a=a, b=b, c=c) == feel("a * b + a * c", a=a, b=b, c=c)


@MODEST
@given(operands)
def test_a_number_minus_itself_is_zero(a: int | Decimal) -> None:
    assert feel("a - a", a=a) == 0


@MODEST
@given(integers, integers)
def test_integer_results_match_python(a: int, b: int) -> None:
    assert feel("a + b", a=a, b=b) == a + b
    assert feel("a * b", a=a, b=b) == a * b
    assert isinstance(feel("a - b", a=a, b=b), int)


@MODEST
@given(integers, integers)
def test_comparisons_agree_with_python_on_integers(a: int, b: int) -> None:
    assert feel("[a < b, a <= b, a > b, a >= b, a = b, a != b]", a=a, b=b) == [
        a < b,
        a <= b,
        a > b,
        a >= b,
        a == b,
        a != b,
    ]


@MODEST
@given(integers, integers, integers)
def test_between_agrees_with_chained_comparison(x: int, low: int, high: int) -> None:
    assert feel("x between low and high", x=x, low=low, high=high) == (low <= x <= high)


# -- no unhandled exceptions ------------------------------------------------------------

FEEL_TOKENS = [
    "1",
    "0",
    "-1",
    "2.5",
    "1e5",
    '"s"',
    '"',
    "true",
    "false",
    "null",
    "a",
    "xs",
    "s",
    "item",
    "+",
    "-",
    "*",
    "/",
    "**",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    "..",
    ":",
    "@",
    "and",
    "or",
    "not",
    "if",
    "then",
    "else",
    "for",
    "in",
    "return",
    "some",
    "every",
    "satisfies",
    "between",
    "instance",
    "of",
    "string length(",
    "date and time(",
    "substring(",
    "sum(",
    "matches(",
    "date(",
    "duration(",
    "number",
    "date",
    "time",
    "`",
    "//",
    "/*",
    "\\",
    "=",
]
JUEL_TOKENS = [
    "1",
    "2.5",
    "'s'",
    '"t"',
    "true",
    "null",
    "a",
    "xs",
    "s",
    "execution",
    "empty",
    "not",
    "!",
    "&&",
    "||",
    "and",
    "or",
    "==",
    "!=",
    "eq",
    "ne",
    "lt",
    "gt",
    "<",
    ">",
    "+",
    "-",
    "*",
    "/",
    "%",
    "div",
    "mod",
    "?",
    ":",
    "(",
    ")",
    "[",
    "]",
    ".",
    ",",
    "size()",
    "getVariable('a')",
    "length()",
    "${",
    "#{",
    "}",
    "'",
    "\\",
]
CONTEXT = {"a": 1, "xs": [1, 2, {"a": 3}], "s": "text", "d": Decimal("2.5")}


def _run(source: str, dialect: str) -> None:
    try:
        compile_expression(source, dialect).evaluate(CONTEXT)
    except FeelError:
        pass


@MODEST
@given(st.text(max_size=40))
def test_random_text_raises_only_feel_errors(source: str) -> None:
    _run(source, "feel")
    _run(source, "juel")


@MODEST
@given(st.text(alphabet=string.printable, max_size=40))
def test_random_printable_text_in_juel_blocks_raises_only_feel_errors(source: str) -> None:
    _run("${" + source + "}", "juel")


@MODEST
@given(st.lists(st.sampled_from(FEEL_TOKENS), max_size=25))
def test_feel_token_soup_raises_only_feel_errors(tokens: list[str]) -> None:
    _run(" ".join(tokens), "feel")
    _run("".join(tokens), "feel")


@MODEST
@given(st.lists(st.sampled_from(JUEL_TOKENS), max_size=25))
def test_juel_token_soup_raises_only_feel_errors(tokens: list[str]) -> None:
    _run("${" + " ".join(tokens) + "}", "juel")
    _run("x ${" + "".join(tokens) + "} y", "juel")
