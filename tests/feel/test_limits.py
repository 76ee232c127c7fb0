from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from orchestration.feel import (
    FeelError,
    FeelEvaluationError,
    FeelSyntaxError,
    Limits,
    compile_expression,
    evaluate,
)


def test_the_default_limits() -> None:
    limits = Limits()
    assert limits.max_source_length == 10_000
    assert limits.max_depth == 100
    assert limits.max_steps == 100_000
    assert limits.max_list_size == 100_000
    assert limits.max_string_length == 1_000_000


def test_a_source_over_the_length_limit_is_a_syntax_error() -> None:
    with pytest.raises(FeelSyntaxError, match="longer than 10000 characters"):
        compile_expression("1" + " " * 10_000)


def test_deeply_nested_parentheses_are_a_syntax_error_not_a_recursion_error() -> None:
    source = "(" * 3000 + "1" + ")" * 3000
    with pytest.raises(FeelSyntaxError, match="nested deeper than 100 levels"):
        compile_expression(source)


def test_nesting_just_inside_the_limit_compiles_and_evaluates() -> None:
    source = "(" * 99 + "1" + ")" * 99
    assert evaluate(source, {}) == 1


@pytest.mark.parametrize(
    "source",
    [
        "-" * 5000 + "1",
        "[" * 5000,
        "{a:" * 3000,
        "if true then " * 2000 + "1",
        "not(" * 3000,
        "1" + " + 1" * 3000,
        "a" + ".b" * 3000,
        "x" + "[1]" * 2000,
    ],
)
def test_other_kinds_of_deep_nesting_are_syntax_errors(source: str) -> None:
    with pytest.raises(FeelSyntaxError):
        compile_expression(source)


def test_deep_juel_nesting_is_a_syntax_error() -> None:
    with pytest.raises(FeelSyntaxError, match="nested deeper"):
        compile_expression("${" + "(" * 3000 + "1" + ")" * 3000 + "}", dialect="juel")
    with pytest.raises(FeelSyntaxError, match="nested deeper"):
        compile_expression("${" + "!" * 3000 + "true}", dialect="juel")


def test_the_depth_limit_is_configurable() -> None:
    limits = Limits(max_depth=5)
    with pytest.raises(FeelSyntaxError):
        compile_expression("((((((1))))))", limits=limits)
    assert evaluate("((1))", {}, limits=limits) == 1


def test_the_step_limit_stops_long_evaluations() -> None:
    with pytest.raises(FeelEvaluationError, match="evaluation step limit exceeded"):
        evaluate("for x in 1..50000, y in 1..50000 return x", {})


def test_the_step_limit_is_configurable() -> None:
    limits = Limits(max_steps=10)
    assert evaluate("1 + 2", {}, limits=limits) == 3
    with pytest.raises(FeelEvaluationError, match="evaluation step limit exceeded"):
        evaluate("for x in 1..20 return x", {}, limits=limits)


def test_the_step_limit_applies_to_juel() -> None:
    limits = Limits(max_steps=3)
    with pytest.raises(FeelEvaluationError, match="step limit"):
        evaluate("${1 + 2 + 3 + 4}", {}, dialect="juel", limits=limits)


def test_ranges_larger_than_the_list_limit_are_refused() -> None:
    with pytest.raises(FeelEvaluationError, match="list larger than 100000 items"):
        evaluate("for x in 1..1000000 return x", {})


def test_a_range_value_itself_is_not_materialised() -> None:
    assert evaluate("5 in [1..1000000000000]", {}) is True


def test_builtins_cannot_build_lists_over_the_limit() -> None:
    limits = Limits(max_list_size=10)
    with pytest.raises(FeelEvaluationError, match="list larger than 10 items"):
        evaluate("concatenate(xs, xs)", {"xs": list(range(6))}, limits=limits)


def test_string_results_over_the_limit_are_refused() -> None:
    limits = Limits(max_string_length=100)
    with pytest.raises(FeelEvaluationError, match="string result longer than 100"):
        evaluate("s + s", {"s": "x" * 60}, limits=limits)
    with pytest.raises(FeelEvaluationError, match="string result longer than 100"):
        evaluate('string join(for i in 1..20 return "abcdefghij")', {}, limits=limits)
    with pytest.raises(FeelEvaluationError, match="string result longer than 100"):
        evaluate("x ${s}${s}", {"s": "x" * 60}, dialect="juel", limits=limits)


def test_string_doubling_is_stopped_by_the_default_limit() -> None:
    source = "s" + "".join(f" + s{i}" for i in range(1))
    context = {"s": "x" * 600_000, "s0": "y" * 600_000}
    with pytest.raises(FeelEvaluationError, match="string result longer"):
        evaluate(source, context)


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+$", "(a*)*b", "(\\\\w+\\\\s?)*$", "((ab)+c?)+", "(a{1,100})+"],
)
def test_regex_patterns_with_nested_repetition_are_refused(pattern: str) -> None:
    with pytest.raises(FeelEvaluationError, match="nested unbounded repetition"):
        evaluate(f'matches(s, "{pattern}")', {"s": "a" * 40 + "!"})


def test_ordinary_regex_patterns_are_accepted() -> None:
    assert evaluate('matches(s, "^[a-z]+@[a-z]+\\\\.com$")', {"s": "ann@example.com"}) is True
    assert evaluate('matches(s, "(ab)+|(cd)*")', {"s": "abab"}) is True


def test_long_regex_patterns_and_inputs_are_refused() -> None:
    with pytest.raises(FeelEvaluationError, match="regular expression longer than 1000"):
        evaluate("matches(s, p)", {"s": "a", "p": "a" * 1001})
    with pytest.raises(FeelEvaluationError, match="input longer than 100000"):
        evaluate('replace(s, "a", "b")', {"s": "a" * 100_001})


@pytest.mark.parametrize(
    "source",
    [
        "date(99999, 1, 1)",
        "date(2024, 13, 1)",
        'date("9999-12-31") + duration("P1D")',
        'date and time("9999-12-31T23:59:59Z") + duration("P1Y")',
        'duration("P999999999999999999D")',
        "decimal(1, 99999999)",
        "floor(1e10)",
        "10 ** 1e40",
        "exp(100000)",
        "x.y.z",
        'number("1e99999999")',
        "time(25, 0, 0)",
        "sum([1e6000, 1e6000])",
        "abs(n)",
    ],
)
def test_hostile_inputs_produce_null_or_a_feel_error(source: str) -> None:
    try:
        result = evaluate(source, {"n": float("inf"), "x": {"y": 1}})
    except FeelError:
        return
    assert result is None or isinstance(result, int | float | date | timedelta)


def test_context_values_of_unusual_types_never_leak_python_errors() -> None:
    context = {
        "nan": float("nan"),
        "inf": float("inf"),
        "obj": object(),
        "big": 10**400,
        "naive": datetime(2024, 1, 1),
        "aware": datetime(2024, 1, 1, tzinfo=UTC),
        "dec": Decimal("NaN"),
    }
    for source in [
        "nan < 1",
        "inf + 1",
        "obj + 1",
        "obj.x",
        "obj = obj",
        "big * big",
        "naive < aware",
        "naive - aware",
        "dec + 1",
        "sort([nan, 1])",
        "string(obj)",
        "[obj][item = 1]",
    ]:
        try:
            evaluate(source, context)
        except FeelError:
            pass


def test_deeply_nested_context_data_does_not_leak_a_recursion_error() -> None:
    data: list[object] = []
    for _ in range(5000):
        data = [data]
    with pytest.raises(FeelEvaluationError):
        evaluate("count(x)", {"x": data})


def test_a_non_string_source_is_a_syntax_error() -> None:
    with pytest.raises(FeelSyntaxError, match="must be a string"):
        compile_expression(42)  # type: ignore[arg-type]


def test_a_non_mapping_context_is_an_evaluation_error() -> None:
    with pytest.raises(FeelEvaluationError, match="must be a mapping"):
        compile_expression("1").evaluate([1, 2])  # type: ignore[arg-type]
