from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from orchestration.feel import FeelEvaluationError, YearsMonthsDuration, evaluate

NOW = datetime(2024, 3, 15, 12, 30, tzinfo=UTC)


def feel(source: str, **context: object) -> object:
    return evaluate(source, context, now=NOW)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('string length("héllo")', 5),
        ('upper case("aBc")', "ABC"),
        ('lower case("aBc")', "abc"),
        ('substring("foobar", 3)', "obar"),
        ('substring("foobar", 3, 3)', "oba"),
        ('substring("foobar", -2, 1)', "a"),
        ('substring("foobar", -2)', "ar"),
        ('substring("foobar", 0)', None),
        ('substring before("foobar", "bar")', "foo"),
        ('substring before("foobar", "xyz")', ""),
        ('substring after("foobar", "ob")', "ar"),
        ('contains("foobar", "of")', False),
        ('contains("foobar", "ob")', True),
        ('starts with("foobar", "fo")', True),
        ('ends with("foobar", "r")', True),
        ('trim("  a b  ")', "a b"),
        ('string join(["a", "b", "c"], ", ")', "a, b, c"),
        ('string join(["a", null, "c"])', "ac"),
        ('string join(["a", "b"], ", ", "[", "]")', "[a, b]"),
        ('string join(["a", 1])', None),
        ('split("a1b22c", "[0-9]+")', ["a", "b", "c"]),
        ('extract("a1b22c", "[0-9]+")', ["1", "22"]),
    ],
)
def test_string_functions(source: str, expected: object) -> None:
    assert feel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('matches("foobar", "^fo*b")', True),
        ('matches("foobar", "^x")', False),
        ('matches("FOO", "foo", "i")', True),
        ('matches("foo", "[")', None),
        ('matches("foo", "o", "z")', None),
        ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
        ('replace("a.b.c", ".", "-", "q")', "a-b-c"),
        ('replace("Hello", "L", "x", "i")', "Hexxo"),
        ('replace("price", "i", "\\\\$")', "pr$ce"),
    ],
)
def test_regex_functions(source: str, expected: object) -> None:
    assert feel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("list contains([1, 2, 3], 2)", True),
        ("list contains([1, null], null)", True),
        ("list contains([1, 2, 3], 5)", False),
        ("count([1, 2, 3])", 3),
        ("count([])", 0),
        ("min([3, 1, 2])", 1),
        ("min(3, 1, 2)", 1),
        ("max([3, 1, 2])", 3),
        ('max(["a", "c", "b"])', "c"),
        ("min([])", None),
        ('min([1, "a"])', None),
        ("sum([1, 2, 3.5])", 6.5),
        ("sum(1, 2)", 3),
        ("sum([])", None),
        ('sum([1, "a"])', None),
        ("mean([1, 2, 3, 4])", 2.5),
        ("median([3, 1, 2, 4])", 2.5),
        ("product([2, 3, 4])", 24),
        ("all([true, true])", True),
        ("all([true, false, null])", False),
        ("any([false, null, true])", True),
        ("append([1], 2, 3)", [1, 2, 3]),
        ("append([1], null)", [1, None]),
        ("concatenate([1], [2, 3], [])", [1, 2, 3]),
        ("distinct values([1, 2, 1, 2.0, [1], [1]])", [1, 2, [1]]),
        ("union([1, 2], [2, 3])", [1, 2, 3]),
        ("flatten([1, [2, [3, [4]]], []])", [1, 2, 3, 4]),
        ("reverse([1, 2, 3])", [3, 2, 1]),
        ('index of(["a", "b", "a"], "a")', [1, 3]),
        ("sort([3, 1, 2])", [1, 2, 3]),
        ('sort(["b", "a"])', ["a", "b"]),
        ('sort([1, "a"])', None),
        ("sublist([1, 2, 3, 4], 2, 2)", [2, 3]),
        ("sublist([1, 2, 3, 4], -2)", [3, 4]),
        ("insert before([1, 3], 2, 2)", [1, 2, 3]),
        ("remove([1, 2, 3], 2)", [1, 3]),
        ("is empty([])", True),
    ],
)
def test_list_functions(source: str, expected: object) -> None:
    assert feel(source) == expected


def test_list_functions_accept_named_arguments() -> None:
    assert feel("list contains(list: [1, 2], element: 2)") is True
    assert feel("sum(list: [1, 2])") == 3


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("abs(-3.5)", 3.5),
        ('abs(duration("-PT1H"))', timedelta(hours=1)),
        ("floor(1.5)", 1),
        ("floor(-1.5)", -2),
        ("floor(1.56, 1)", 1.5),
        ("ceiling(1.2)", 2),
        ("ceiling(-1.5)", -1),
        ("decimal(1/3, 2)", 0.33),
        ("decimal(2.5, 0)", 2),
        ("decimal(3.5, 0)", 4),
        ("round up(5.5)", 6),
        ("round up(-5.5)", -6),
        ("round down(5.5)", 5),
        ("round half up(5.5)", 6),
        ("round half up(1.125, 2)", 1.13),
        ("round half down(5.5)", 5),
        ("modulo(12, 5)", 2),
        ("modulo(-12, 5)", 3),
        ("modulo(12, -5)", -3),
        ("modulo(10.1, 4.5)", 1.1),
        ("modulo(1, 0)", None),
        ("odd(5)", True),
        ("odd(2)", False),
        ("even(2)", True),
        ("even(2.5)", None),
        ("sqrt(16)", 4),
        ("sqrt(-1)", None),
        ('number("1,000.5", ",", ".")', 1000.5),
        ('number("12")', 12),
        ('number("1.5e3")', 1500),
        ('number("abc")', None),
    ],
)
def test_numeric_functions(source: str, expected: object) -> None:
    assert feel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("string(1.50)", "1.5"),
        ("string(10 / 2)", "5"),
        ("string(true)", "true"),
        ("string(null)", None),
        ('string("a")', "a"),
        ('string([1, "a"])', '[1, "a"]'),
        ('string(date("2024-01-02"))', "2024-01-02"),
        ('string(duration("PT90M"))', "PT1H30M"),
        ("not(false)", True),
        ("is defined(1)", True),
        ("is defined(missing)", False),
        ("is defined(null)", False),
        ('get or else(missing, "default")', "default"),
        ("get or else(1, 2)", 1),
    ],
)
def test_conversion_and_boolean_functions(source: str, expected: object) -> None:
    assert feel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('get value({a: 1}, "a")', 1),
        ('get value({a: 1}, "b")', None),
        ('get value({a: {b: 2}}, ["a", "b"])', 2),
        ("get entries({a: 1, b: 2})", [{"key": "a", "value": 1}, {"key": "b", "value": 2}]),
        ('context put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
        ('context put({a: {b: 1}}, ["a", "c"], 2)', {"a": {"b": 1, "c": 2}}),
        ("context merge([{a: 1}, {b: 2}, {a: 3}])", {"a": 3, "b": 2}),
        ('context([{key: "a", value: 1}])', {"a": 1}),
    ],
)
def test_context_functions(source: str, expected: object) -> None:
    assert feel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('date("2024-02-29")', date(2024, 2, 29)),
        ('date("2023-02-29")', None),
        ("date(2024, 1, 31)", date(2024, 1, 31)),
        ('date(date and time("2024-01-02T10:00:00Z"))', date(2024, 1, 2)),
        ('time("10:30:00")', time(10, 30)),
        ('time("10:30:00.25")', time(10, 30, 0, 250000)),
        ('time("10:30:00+02:00")', time(10, 30, tzinfo=timezone(timedelta(hours=2)))),
        ("time(10, 30, 15)", time(10, 30, 15)),
        ('time(10, 30, 0, duration("PT1H"))', time(10, 30, tzinfo=timezone(timedelta(hours=1)))),
        (
            'date and time("2024-01-02T10:00:00Z")',
            datetime(2024, 1, 2, 10, tzinfo=UTC),
        ),
        ('date and time("2024-01-02T10:00:00")', datetime(2024, 1, 2, 10)),
        (
            'date and time(date("2024-01-02"), time("10:00:00Z"))',
            datetime(2024, 1, 2, 10, tzinfo=UTC),
        ),
        ('date and time("garbage")', None),
        ('duration("PT1H30M")', timedelta(hours=1, minutes=30)),
        ('duration("P2Y")', YearsMonthsDuration(24)),
        ('duration("P1Y2D")', None),
        ('duration("nonsense")', None),
        (
            'years and months duration(date("2020-01-15"), date("2021-03-14"))',
            YearsMonthsDuration(13),
        ),
        ('years and months duration(date("2021-03-14"), date("2020-01-15"))', YearsMonthsDuration(-13)),
        ('day of week(date("2024-03-15"))', "Friday"),
        ('day of year(date("2024-02-01"))', 32),
        ('week of year(date("2024-03-15"))', 11),
        ('month of year(date("2024-03-15"))', "March"),
        ('last day of month(date("2024-02-10"))', 29),
    ],
)
def test_temporal_functions(source: str, expected: object) -> None:
    assert feel(source) == expected


def test_zone_ids_are_understood() -> None:
    result = feel('date and time("2024-07-01T10:00:00@Europe/Berlin")')
    assert result.utcoffset() == timedelta(hours=2)
    assert feel("dt.timezone", dt=result) == "Europe/Berlin"


def test_an_unknown_zone_id_gives_null() -> None:
    assert feel('date and time("2024-07-01T10:00:00@Mars/Olympus")') is None


def test_now_and_today_follow_the_frozen_clock() -> None:
    assert feel('now() + duration("PT1H")') == datetime(2024, 3, 15, 13, 30, tzinfo=UTC)
    assert feel('today() - duration("P1D")') == date(2024, 3, 14)


def test_sort_with_a_precedes_function_is_not_supported() -> None:
    assert feel("sort([2, 1], 1)") is None


def test_overloaded_builtins_reject_an_arity_that_fits_no_overload() -> None:
    with pytest.raises(FeelEvaluationError, match=r"expected date\(from\) or date\(year, month, day\)"):
        feel("date(1, 2)")


def test_functions_with_no_parameters_reject_arguments() -> None:
    with pytest.raises(FeelEvaluationError, match="cannot take 1 argument"):
        feel("now(1)")
