from __future__ import annotations

import pytest

from orchestration.feel import (
    FeelEvaluationError,
    FeelSyntaxError,
    compile_expression,
    evaluate,
    nodes,
)

CONTEXT = {
    "amount": 150,
    "approved": True,
    "name": "Bob",
    "empty_text": "",
    "items": [10, 20, 30],
    "customer": {"name": "Ada", "tier": "gold", "address": {"city": "Paris"}},
    "missing_value": None,
    "count_text": "3",
    "__business_key__": "order-42",
}


def juel(source: str, **extra: object) -> object:
    return evaluate(source, {**CONTEXT, **extra}, dialect="juel")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${amount}", 150),
        ("#{amount}", 150),
        ("${'single'}", "single"),
        ('${"double"}', "double"),
        ("${'it\\'s'}", "it's"),
        ("${42}", 42),
        ("${1.5}", 1.5),
        ("${1e3}", 1000),
        ("${true}", True),
        ("${null}", None),
    ],
)
def test_a_single_expression_evaluates_to_its_value(source: str, expected: object) -> None:
    assert juel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${customer.name}", "Ada"),
        ("${customer.address.city}", "Paris"),
        ("${customer['tier']}", "gold"),
        ('${customer["address"]["city"]}', "Paris"),
        ("${customer.unknown}", None),
        ("${items[0]}", 10),
        ("${items[2]}", 30),
        ("${items[3]}", None),
        ("${missing_value.anything}", None),
    ],
)
def test_properties_and_zero_based_indexes(source: str, expected: object) -> None:
    assert juel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${amount + 1}", 151),
        ("${amount - 50}", 100),
        ("${amount * 2}", 300),
        ("${7 / 2}", 3.5),
        ("${7 div 2}", 3.5),
        ("${7 % 3}", 1),
        ("${7 mod 3}", 1),
        ("${-7 % 3}", -1),
        ("${-amount}", -150),
        ("${(1 + 2) * 3}", 9),
        ("${0.1 + 0.2}", 0.3),
        ("${null + 1}", 1),
        ("${count_text + 1}", 4),
    ],
)
def test_arithmetic(source: str, expected: object) -> None:
    assert juel(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${amount > 100}", True),
        ("${amount gt 100}", True),
        ("${amount < 100}", False),
        ("${amount lt 100}", False),
        ("${amount >= 150}", True),
        ("${amount ge 151}", False),
        ("${amount <= 150}", True),
        ("${amount le 149}", False),
        ("${amount == 150}", True),
        ("${amount eq 150}", True),
        ("${amount != 150}", False),
        ("${amount ne 150}", False),
        ("${name == 'Bob'}", True),
        ("${amount == '150'}", True),
        ("${count_text == 3}", True),
        ("${missing_value == null}", True),
        ("${name == null}", False),
        ("${missing_value > 1}", False),
        ("${'a' < 'b'}", True),
    ],
)
def test_comparisons_coerce_like_java_el(source: str, expected: object) -> None:
    assert juel(source) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${approved && amount > 100}", True),
        ("${approved and amount > 200}", False),
        ("${!approved || amount > 100}", True),
        ("${not approved or false}", False),
        ("${!missing_value}", True),
        ("${empty missing_value}", True),
        ("${empty empty_text}", True),
        ("${empty items}", False),
        ("${empty customer}", False),
        ("${not empty name}", True),
    ],
)
def test_logic_and_empty(source: str, expected: object) -> None:
    assert juel(source) is expected


def test_ternary_picks_a_branch() -> None:
    assert juel("${amount > 100 ? 'big' : 'small'}") == "big"
    assert juel("${amount > 1000 ? 'big' : amount > 100 ? 'medium' : 'small'}") == "medium"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${execution.getVariable('amount')}", 150),
        ("${execution.getVariable('nope')}", None),
        ("${execution.hasVariable('amount')}", True),
        ("${execution.getProcessBusinessKey()}", "order-42"),
        ("${execution.processBusinessKey}", "order-42"),
        ("${items.size()}", 3),
        ("${customer.size()}", 3),
        ("${items.isEmpty()}", False),
        ("${empty_text.isEmpty()}", True),
        ("${items.contains(20)}", True),
        ("${name.contains('o')}", True),
        ("${name.startsWith('B')}", True),
        ("${name.endsWith('x')}", False),
        ("${name.length()}", 3),
        ("${name.toUpperCase()}", "BOB"),
        ("${name.toLowerCase()}", "bob"),
        ("${name.equals('Bob')}", True),
        ("${count_text.equals(3)}", False),
        ("${customer.containsKey('tier')}", True),
    ],
)
def test_whitelisted_methods(source: str, expected: object) -> None:
    assert juel(source) == expected


def test_composite_expressions_concatenate_text_and_values() -> None:
    assert juel("Order ${amount} for ${name} ok") == "Order 150 for Bob ok"
    assert juel("${name}${name}") == "BobBob"
    assert juel("flag=${approved}, none=${missing_value}") == "flag=true, none="


def test_text_without_expressions_is_a_string_literal() -> None:
    assert juel("just text") == "just text"
    assert juel("") == ""


def test_an_escaped_dollar_brace_is_literal_text() -> None:
    assert juel("cost \\${amount}") == "cost ${amount}"


def test_juel_compiles_into_the_shared_ast_classes() -> None:
    ast = compile_expression("${a.b > 1 && !c}", dialect="juel").ast
    assert ast == nodes.Binary(
        "and",
        nodes.Binary(">", nodes.Path(nodes.Name("a"), "b"), nodes.NumberLit(1)),
        nodes.Unary("not", nodes.Name("c")),
    )
    template = compile_expression("x ${a} y", dialect="juel").ast
    assert template == nodes.Template((nodes.StringLit("x "), nodes.Name("a"), nodes.StringLit(" y")))


def test_an_unknown_identifier_raises_with_the_camunda_7_wording() -> None:
    with pytest.raises(FeelEvaluationError) as raised:
        juel("${x}")
    assert str(raised.value) == ("Unknown property used in expression: ${x}. Cause: Cannot resolve identifier 'x'")


def test_an_unknown_identifier_inside_a_larger_expression_names_the_whole_source() -> None:
    with pytest.raises(FeelEvaluationError, match=r"expression: \$\{total > 100\}\. .*'total'"):
        juel("${total > 100}")


def test_a_method_outside_the_whitelist_is_refused_at_compile_time() -> None:
    with pytest.raises(FeelSyntaxError, match="unsupported method 'getClass'"):
        compile_expression("${name.getClass()}", dialect="juel")
    with pytest.raises(FeelSyntaxError, match="unsupported method 'setVariable'"):
        compile_expression("${execution.setVariable('a', 1)}", dialect="juel")


def test_a_whitelisted_method_on_the_wrong_type_names_the_method() -> None:
    with pytest.raises(FeelEvaluationError, match="Method 'startsWith'"):
        juel("${amount.startsWith('1')}")
    with pytest.raises(FeelEvaluationError, match="method 'size' on null"):
        juel("${missing_value.size()}")


def test_function_calls_are_not_supported() -> None:
    with pytest.raises(FeelSyntaxError, match="function calls are not supported"):
        compile_expression("${(amount)(1)}", dialect="juel")
    with pytest.raises(FeelSyntaxError):
        compile_expression("${fn:length(name)}", dialect="juel")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("${amount", "missing '}'"),
        ("${}", "empty expression"),
        ("${amount +}", "unexpected end of expression"),
        ("${'open}", "unterminated string"),
        ("${a ? b}", "expected ':'"),
        ("${a # b}", "unexpected character '#'"),
    ],
)
def test_syntax_errors(source: str, message: str) -> None:
    with pytest.raises(FeelSyntaxError, match=message):
        compile_expression(source, dialect="juel")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("${name + 1}", "Cannot coerce 'Bob' to a number"),
        ("${approved + 1}", "Cannot coerce"),
        ("${1 / 0}", "division by zero"),
        ("${amount == 'abc'}", "Cannot coerce 'abc'"),
        ("${amount.foo}", "Could not find property 'foo'"),
        ("${name[0]}", "Cannot index into"),
        ("${items < 1}", "Cannot coerce java.util.List to a number"),
        ("${name < customer}", "Cannot compare"),
    ],
)
def test_evaluation_errors(source: str, message: str) -> None:
    with pytest.raises(FeelEvaluationError, match=message):
        juel(source)
