"""Typed variables and dates, as pure conversions."""

from __future__ import annotations

import pytest

from orchestration.api.camunda7.base import CamundaError, format_date, parse_date
from orchestration.api.camunda7.variables import to_native, typed


@pytest.mark.parametrize(
    "dto, native",
    [
        ({"value": "x", "type": "String"}, "x"),
        ({"value": 5, "type": "String"}, "5"),
        ({"value": "true", "type": "Boolean"}, True),
        ({"value": "12", "type": "Integer"}, 12),
        ({"value": 7.0, "type": "Long"}, 7),
        ({"value": 3, "type": "Short"}, 3),
        ({"value": "2.5", "type": "Double"}, 2.5),
        ({"value": "2026-11-21T12:00:00.000+0200", "type": "Date"}, "2026-11-21T10:00:00.000+0000"),
        ({"value": "2026-11-21T10:00:00Z", "type": "date"}, "2026-11-21T10:00:00.000+0000"),
        ({"value": '{"a": 1}', "type": "Json"}, {"a": 1}),
        (
            {
                "value": "[1]",
                "type": "Object",
                "valueInfo": {"serializationDataFormat": "application/json", "objectTypeName": "java.util.ArrayList"},
            },
            [1],
        ),
        ({"value": None, "type": "Null"}, None),
        ({"value": "aGk=", "type": "Bytes"}, "aGk="),
        ({"value": {"untyped": True}}, {"untyped": True}),
    ],
)
def test_typed_values_become_native_json(dto, native):
    assert to_native("v", dto) == native


@pytest.mark.parametrize(
    "dto",
    [
        {"value": "abc", "type": "Integer"},
        {"value": 2**31, "type": "Integer"},
        {"value": True, "type": "Long"},
        {"value": "x", "type": "Double"},
        {"value": "maybe", "type": "Boolean"},
        {"value": "yesterday", "type": "Date"},
        {"value": "{", "type": "Json"},
        {
            "value": "rO0AB",
            "type": "Object",
            "valueInfo": {"serializationDataFormat": "application/x-java-serialized-object"},
        },
        {"value": 1, "type": "Spin"},
        "not an object",
    ],
)
def test_bad_typed_values_are_400(dto):
    with pytest.raises(CamundaError) as caught:
        to_native("v", dto)
    assert caught.value.status == 400


def test_native_values_come_back_typed():
    assert typed(None)["type"] == "Null"
    assert typed(True)["type"] == "Boolean"
    assert typed(1)["type"] == "Integer" and typed(2**35)["type"] == "Long"
    assert typed(0.5)["type"] == "Double"
    assert typed("2026-11-21T10:00:00.000+0000")["type"] == "Date"
    assert typed("2026-11-21")["type"] == "String"
    assert typed({"a": [1]}) == {"type": "Json", "value": '{"a":[1]}', "valueInfo": {}}


def test_dates_use_camundas_format_with_milliseconds_and_numeric_offset():
    parsed = parse_date("2026-11-21T10:00:00.123+0100", "d")
    assert format_date(parsed) == "2026-11-21T09:00:00.123+0000"
    with pytest.raises(CamundaError):
        parse_date("", "d")
