from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest

from orchestration.feel import (
    FeelError,
    FeelEvaluationError,
    FeelSyntaxError,
    YearsMonthsDuration,
    compile_expression,
    evaluate,
    to_json,
    unparse,
)

NOW = datetime(2024, 3, 15, 12, 30, tzinfo=UTC)


def feel(source: str, **context: object) -> object:
    return evaluate(source, context, now=NOW)


# -- literals, names and paths ---------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("42", 42),
        ("3.25", 3.25),
        (".5", 0.5),
        ('"hello"', "hello"),
        ('"say \\"hi\\"\\n\\tok \\u00e9"', 'say "hi"\n\tok é'),
        ("true", True),
        ("false", False),
        ("null", None),
        ("[1, 2, 3]", [1, 2, 3]),
        ("[]", []),
        ('{a: 1, "b c": 2}', {"a": 1, "b c": 2}),
        ("{}", {}),
    ],
)
def test_literals_evaluate_to_plain_python_values(source: str, expected: object) -> None:
    assert feel(source) == expected


def test_a_leading_equals_sign_is_accepted_and_stripped() -> None:
    assert feel("= 1 + 1") == 2
    assert feel("=x", x=5) == 5


def test_comments_are_ignored() -> None:
    assert feel("1 + // one\n 2 /* two */") == 3


def test_names_resolve_from_the_context() -> None:
    assert feel("amount", amount=10) == 10


def test_a_missing_name_is_null() -> None:
    assert feel("missing") is None
    assert feel("missing.field") is None


def test_paths_read_nested_contexts() -> None:
    assert feel("order.customer.name", order={"customer": {"name": "Ada"}}) == "Ada"


def test_a_path_on_a_list_maps_over_its_items() -> None:
    assert feel("orders.total", orders=[{"total": 1}, {"total": 2}, {}]) == [1, 2, None]


def test_a_path_into_a_missing_entry_is_null() -> None:
    assert feel("order.missing", order={"total": 1}) is None


def test_context_entries_can_refer_to_earlier_entries() -> None:
    assert feel("{a: 2, b: a * 3}.b") == 6


def test_names_with_spaces_work_in_context_literals() -> None:
    assert feel("{first name: 1}") == {"first name": 1}


def test_backtick_names_allow_any_characters() -> None:
    assert feel("`order-id`", **{"order-id": 7}) == 7


# -- numbers ---------------------------------------------------------------------


def test_decimal_arithmetic_is_exact() -> None:
    assert feel("0.1 + 0.2") == 0.3
    assert feel("0.1 + 0.2 = 0.3") is True
    assert feel("1.1 * 3") == 3.3


def test_integral_results_are_ints_and_others_are_floats() -> None:
    assert isinstance(feel("10 / 2"), int)
    assert feel("10 / 4") == 2.5
    assert isinstance(feel("10 / 4"), float)


def test_float_and_decimal_context_values_are_converted_exactly() -> None:
    assert feel("a + b", a=0.1, b=Decimal("0.2")) == 0.3


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 - 4 - 3", 3),
        ("2 ** 10", 1024),
        ("-5 + 2", -3),
        ("- -5", 5),
        ("7 / 2", 3.5),
        ("1 / 3 * 3", 1),
    ],
)
def test_arithmetic_follows_precedence(source: str, expected: object) -> None:
    assert feel(source) == expected


def test_division_by_zero_is_null() -> None:
    assert feel("1 / 0") is None


def test_arithmetic_with_null_is_null() -> None:
    assert feel("null + 1") is None
    assert feel("x * 2") is None
    assert feel("-x") is None


def test_arithmetic_on_mismatched_types_is_null_not_an_error() -> None:
    assert feel('1 + "a"') is None
    assert feel("true * 2") is None


def test_string_plus_string_concatenates() -> None:
    assert feel('"ab" + "cd"') == "abcd"


def test_overflowing_arithmetic_is_null() -> None:
    assert feel("10 ** 100000") is None


# -- comparisons and logic ---------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 = 1", True),
        ("1 != 1", False),
        ("1 < 2", True),
        ("2 <= 2", True),
        ("3 > 4", False),
        ("4 >= 4", True),
        ('"a" < "b"', True),
        ("[1, 2] = [1, 2]", True),
        ("{a: 1} = {a: 1}", True),
        ("null = null", True),
        ("1 = null", False),
        ("1 != null", True),
        ('1 = "1"', None),
        ('1 < "2"', None),
        ("null < 1", None),
        ('date("2024-01-01") < date("2024-01-02")', True),
        ('duration("PT1H") > duration("PT30M")', True),
    ],
)
def test_comparisons(source: str, expected: object) -> None:
    assert feel(source) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("true and true", True),
        ("true and false", False),
        ("true and null", None),
        ("false and null", False),
        ("null and false", False),
        ("true or null", True),
        ("null or true", True),
        ("false or null", None),
        ("false or false", False),
        ("1 and true", None),
        ("not(true)", False),
        ("not(null)", None),
        ("not(1)", None),
    ],
)
def test_logic_is_three_valued(source: str, expected: object) -> None:
    assert feel(source) is expected


def test_if_then_else_picks_a_branch() -> None:
    assert feel('if x > 5 then "big" else "small"', x=7) == "big"
    assert feel('if x > 5 then "big" else "small"', x=1) == "small"


def test_if_with_a_null_condition_takes_the_else_branch() -> None:
    assert feel("if missing then 1 else 2") == 2


# -- ranges and unary tests --------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("5 in [1..5]", True),
        ("5 in [1..5)", False),
        ("5 in [1..5[", False),
        ("1 in ]1..5]", False),
        ("1 in (1..5]", False),
        ("3 in (1..5)", True),
        ("2 in (1, 2, 3)", True),
        ("4 in (1, 2, 3)", False),
        ("4 in < 5", True),
        ("5 in < 5", False),
        ("5 in <= 5", True),
        ("6 in (< 5, > 5)", True),
        ("2 in [1, 2, 3]", True),
        ('"b" in ["a", "b"]', True),
        ("7 in 7", True),
        ("null in (1, 2)", False),
        ('"a" in [1..5]', None),
        ('date("2024-03-01") in [date("2024-01-01")..date("2024-12-31")]', True),
    ],
)
def test_in_checks_unary_tests(source: str, expected: object) -> None:
    assert feel(source) is expected


def test_between_is_inclusive() -> None:
    assert feel("x between 1 and 5", x=1) is True
    assert feel("x between 1 and 5", x=5) is True
    assert feel("x between 1 and 5", x=6) is False
    assert feel("x between 1 and 5") is None


def test_a_range_is_a_value_with_properties() -> None:
    assert feel("[1..10].start") == 1
    assert feel("]1..10].start") == 1
    assert feel("(1..10).end") == 10


def test_in_combined_with_logic() -> None:
    assert feel("x in [1..5] and y in (1, 2)", x=3, y=2) is True


# -- filters and indexes ----------------------------------------------------------


def test_filter_keeps_items_matching_the_condition() -> None:
    assert feel("xs[item > 1]", xs=[1, 2, 3]) == [2, 3]


def test_filter_resolves_keys_of_context_items_directly() -> None:
    orders = [{"id": 1, "amount": 5}, {"id": 2, "amount": 50}, {"id": 3, "amount": 20}]
    assert feel("orders[amount > 10].id", orders=orders) == [2, 3]
    assert feel("orders[item.amount > 10].id", orders=orders) == [2, 3]


def test_filter_with_a_null_condition_drops_the_item() -> None:
    assert feel("xs[amount > 1]", xs=[{"amount": 2}, {}]) == [{"amount": 2}]


def test_index_is_one_based_and_negative_counts_from_the_end() -> None:
    assert feel("xs[1]", xs=["a", "b", "c"]) == "a"
    assert feel("xs[-1]", xs=["a", "b", "c"]) == "c"
    assert feel("xs[i]", xs=["a", "b", "c"], i=2) == "b"


def test_an_index_out_of_bounds_is_null() -> None:
    assert feel("xs[4]", xs=[1, 2, 3]) is None
    assert feel("xs[0]", xs=[1, 2, 3]) is None
    assert feel("xs[-4]", xs=[1, 2, 3]) is None


def test_filter_on_null_is_null() -> None:
    assert feel("missing[item > 1]") is None


# -- iteration ------------------------------------------------------------------


def test_some_and_every() -> None:
    assert feel("some x in xs satisfies x > 2", xs=[1, 2, 3]) is True
    assert feel("some x in xs satisfies x > 3", xs=[1, 2, 3]) is False
    assert feel("every x in xs satisfies x > 0", xs=[1, 2, 3]) is True
    assert feel("every x in xs satisfies x > 1", xs=[1, 2, 3]) is False
    assert feel("every x in [] satisfies x > 1") is True


def test_quantifiers_over_several_iterators() -> None:
    assert feel("some x in [1, 2], y in [3, 4] satisfies x + y = 6") is True


def test_for_returns_a_list() -> None:
    assert feel("for x in xs return x * 2", xs=[1, 2, 3]) == [2, 4, 6]


def test_for_over_an_integer_range() -> None:
    assert feel("for x in 1..3 return x") == [1, 2, 3]
    assert feel("for x in [1..3] return x") == [1, 2, 3]
    assert feel("for x in 3..1 return x") == [3, 2, 1]


def test_for_over_several_iterators_is_a_cartesian_product() -> None:
    assert feel("for x in [1, 2], y in [10, 20] return x + y") == [11, 21, 12, 22]


def test_for_over_null_is_null() -> None:
    assert feel("for x in missing return x") is None


# -- instance of --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 instance of number", True),
        ('"a" instance of string', True),
        ("true instance of boolean", True),
        ("[1] instance of list", True),
        ("{a: 1} instance of context", True),
        ('date("2024-01-01") instance of date', True),
        ('time("10:00:00") instance of time', True),
        ('date and time("2024-01-01T10:00:00Z") instance of date and time', True),
        ('date("2024-01-01") instance of date and time', False),
        ('duration("PT1H") instance of days and time duration', True),
        ('duration("P1Y") instance of years and months duration', True),
        ("1 instance of string", False),
        ("1 instance of Any", True),
        ("null instance of Null", True),
        ("null instance of number", False),
    ],
)
def test_instance_of(source: str, expected: bool) -> None:
    assert feel(source) is expected


def test_instance_of_date_followed_by_and_still_parses() -> None:
    assert feel("x instance of date and true", x=date(2024, 1, 1)) is True


# -- temporal values ----------------------------------------------------------------


def test_context_temporal_values_are_supported() -> None:
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    assert feel('start + duration("PT1H30M")', start=start) == datetime(2024, 1, 1, 10, 30, tzinfo=UTC)


def test_date_plus_years_and_months_clamps_the_day() -> None:
    assert feel('date("2024-01-31") + duration("P1M")') == date(2024, 2, 29)
    assert feel('date("2024-03-31") - duration("P1M")') == date(2024, 2, 29)


def test_date_plus_days_duration() -> None:
    assert feel('date("2024-02-28") + duration("P2D")') == date(2024, 3, 1)


def test_difference_of_date_times_is_a_duration() -> None:
    result = feel('date and time("2024-01-02T00:00:00Z") - date and time("2024-01-01T12:00:00Z")')
    assert result == timedelta(hours=12)


def test_difference_of_dates_is_a_duration() -> None:
    assert feel('date("2024-03-01") - date("2024-02-01")') == timedelta(days=29)


def test_time_plus_duration_wraps_around_midnight() -> None:
    assert feel('time("23:30:00") + duration("PT1H")') == time(0, 30)


def test_durations_add_multiply_and_divide() -> None:
    assert feel('duration("PT1H") + duration("PT30M")') == timedelta(minutes=90)
    assert feel('duration("PT1H") * 2') == timedelta(hours=2)
    assert feel('duration("PT1H") / duration("PT30M")') == 2
    assert feel('duration("P1Y") + duration("P2M")') == YearsMonthsDuration(14)


def test_mixing_naive_and_aware_date_times_gives_null() -> None:
    assert feel('date and time("2024-01-01T10:00:00") < date and time("2024-01-01T10:00:00Z")') is None


def test_temporal_properties() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert feel("d.year", d=date(2024, 5, 6)) == 2024
    assert feel("d.month", d=date(2024, 5, 6)) == 5
    assert feel("d.day", d=date(2024, 5, 6)) == 6
    assert feel("d.weekday", d=date(2024, 5, 6)) == 1
    assert feel("[dt.hour, dt.minute, dt.second]", dt=moment) == [7, 8, 9]
    assert feel('duration("P1DT2H3M4S").hours') == 2
    assert feel('duration("P1Y2M").years') == 1


def test_temporal_literals_with_at() -> None:
    assert feel('@"2024-01-01"') == date(2024, 1, 1)
    assert feel('@"PT5M"') == timedelta(minutes=5)
    assert feel('@"2024-01-01T10:00:00@Europe/Berlin"').utcoffset() == timedelta(hours=1)


def test_an_invalid_temporal_literal_is_a_syntax_error() -> None:
    with pytest.raises(FeelSyntaxError, match="invalid temporal literal"):
        compile_expression('@"not a date"')


def test_now_and_today_use_the_given_clock() -> None:
    assert feel("now()") == NOW
    assert feel("today()") == date(2024, 3, 15)


def test_now_defaults_to_the_current_utc_time() -> None:
    before = datetime.now(UTC)
    result = evaluate("now()", {})
    assert before <= result <= datetime.now(UTC)


# -- functions ----------------------------------------------------------------------


def test_functions_take_positional_and_named_arguments() -> None:
    assert feel('substring("foobar", 3, 2)') == "ob"
    assert feel('substring(string: "foobar", start position: 3, length: 2)') == "ob"
    assert feel('substring(start position: 3, string: "foobar")') == "obar"


def test_an_unknown_function_is_an_evaluation_error() -> None:
    with pytest.raises(FeelEvaluationError, match="unknown function 'frobnicate'"):
        feel("frobnicate(1)")


def test_a_wrong_number_of_arguments_is_an_evaluation_error() -> None:
    with pytest.raises(FeelEvaluationError, match="cannot take 3 arguments"):
        feel('string length("a", "b", "c")')


def test_an_unknown_named_parameter_is_an_evaluation_error() -> None:
    with pytest.raises(FeelEvaluationError, match="no overload with parameters"):
        feel('string length(text: "a")')


def test_mixing_positional_and_named_arguments_is_a_syntax_error() -> None:
    with pytest.raises(FeelSyntaxError, match="cannot mix"):
        compile_expression('substring("a", start position: 1)')


def test_a_function_given_the_wrong_type_returns_null() -> None:
    assert feel("string length(5)") is None
    assert feel("upper case(null)") is None


# -- syntax errors --------------------------------------------------------------------


def test_a_syntax_error_names_the_token_and_its_column() -> None:
    with pytest.raises(FeelSyntaxError) as raised:
        compile_expression("a + (b))")
    assert str(raised.value) == "unexpected ')' at column 7 in \"a + (b))\""
    assert raised.value.position == 7


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("", "empty expression"),
        ("1 +", "unexpected end of expression at column 3"),
        ('"open', "unterminated string at column 0"),
        ("if x then 1", "expected 'else' but found end of expression"),
        ("[1, 2", "expected ']' but found end of expression"),
        ("{a: 1, a: 2}", "duplicate context key 'a'"),
        ("1 # 2", "unexpected character '#' at column 2"),
        ("x instance of banana", "expected a type name"),
        ("(1 + 2)(3)", "only built-in functions can be invoked"),
    ],
)
def test_syntax_errors_are_reported_clearly(source: str, message: str) -> None:
    with pytest.raises(FeelSyntaxError, match=message.replace("(", r"\(").replace("[", r"\[")):
        compile_expression(source)


def test_all_errors_share_the_feel_error_base() -> None:
    assert issubclass(FeelSyntaxError, FeelError)
    assert issubclass(FeelEvaluationError, FeelError)


def test_an_unknown_dialect_is_refused() -> None:
    with pytest.raises(FeelError, match="unknown expression dialect"):
        compile_expression("1", dialect="python")


# -- compilation, printing and JSON -----------------------------------------------


def test_compilation_is_cached() -> None:
    assert compile_expression("a + 1") is compile_expression("a + 1")


def test_a_compiled_expression_is_reusable_with_different_contexts() -> None:
    compiled = compile_expression("a * 2")
    assert compiled.evaluate({"a": 2}) == 4
    assert compiled.evaluate({"a": 5}) == 10


@pytest.mark.parametrize(
    "source",
    [
        "a + b * c",
        "-x ** 2",
        'if x in [1..5) then "in" else "out"',
        "for x in 1..3, y in ys return x + y",
        "some x in xs satisfies x.amount > 10",
        'substring(string: "abc", start position: 2)',
        "x between 1 and 10 and y instance of date and time",
        '{a: 1, "b c": [1, 2], d: {e: null}}',
        "xs[item > 1][-1].name",
        "x in (< 5, ]5..10], 42)",
        '@"2024-01-01" + duration("P1D")',
        "date and time(a, b)",
    ],
)
def test_unparse_output_parses_back_to_the_same_ast(source: str) -> None:
    ast = compile_expression(source).ast
    assert compile_expression(unparse(ast)).ast == ast


def test_to_json_converts_temporal_values_and_numbers() -> None:
    value = {
        "when": datetime(2024, 1, 1, 10, tzinfo=UTC),
        "day": date(2024, 1, 1),
        "at": time(10, 30),
        "wait": timedelta(hours=1, minutes=30),
        "term": YearsMonthsDuration(14),
        "amount": Decimal("2.50"),
        "count": Decimal("3"),
        "pair": (1, 2),
        "nothing": None,
    }
    assert to_json(value) == {
        "when": "2024-01-01T10:00:00+00:00",
        "day": "2024-01-01",
        "at": "10:30:00",
        "wait": "PT1H30M",
        "term": "P1Y2M",
        "amount": 2.5,
        "count": 3,
        "pair": [1, 2],
        "nothing": None,
    }


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("PT1H30M", "PT1H30M"),
        ("P1D", "P1D"),
        ("P1DT2H", "P1DT2H"),
        ("PT0S", "PT0S"),
        ("PT1.5S", "PT1.5S"),
        ("-PT5M", "-PT5M"),
        ("P1W", "P7D"),
        ("P2Y", "P2Y"),
        ("P14M", "P1Y2M"),
        ("-P3M", "-P3M"),
    ],
)
def test_durations_round_trip_through_iso_8601(text: str, iso: str) -> None:
    assert to_json(feel(f'duration("{text}")')) == iso
