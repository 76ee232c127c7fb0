"""Camunda 7 typed variables <-> the engine's native JSON values.

In:  {"value": ..., "type": "String|Boolean|Short|Integer|Long|Double|Date|Json|Object|Null|Bytes|File",
      "valueInfo": {...}}; a missing type is inferred from the JSON value.
Out: the type is inferred from the native value: null -> Null, bool -> Boolean, int -> Integer
     (Long past 32 bits), float -> Double, object/array -> Json (value: the JSON text), strings
     in Camunda's date format -> Date, other strings -> String.

Dates are stored as strings in Camunda's format (2026-11-21T10:00:00.000+0000), so they come
back as Date. Bytes/File are stored as their base64 text and come back as String. Object is
accepted with serializationDataFormat application/json only (no Java serialization).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from typing import Any

from .base import format_date, invalid, parse_date

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")
_INT32 = 2**31
_JAVA = {
    "Boolean": "java.lang.Boolean",
    "Short": "java.lang.Short",
    "Integer": "java.lang.Integer",
    "Long": "java.lang.Long",
    "Double": "java.lang.Double",
    "Date": "java.util.Date",
    "String": "java.lang.String",
}
_TYPES = {t.lower(): t for t in (*_JAVA, "Json", "Object", "Null", "Bytes", "File", "Xml")}


def _cannot(value: Any, type_: str) -> Exception:
    return invalid(f"Cannot convert value '{value}' of type '{type_}' to java type {_JAVA.get(type_, type_)}")


def _integer(value: Any, type_: str, bits: int) -> int:
    if isinstance(value, bool):
        raise _cannot(value, type_)
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
        number = int(value)
    else:
        raise _cannot(value, type_)
    if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
        raise _cannot(value, type_)
    return number


def to_native(name: str, dto: Any) -> Any:
    """One typed value from a request -> a JSON value for the engine."""
    if not isinstance(dto, dict):
        raise invalid(f"variable '{name}' must be an object with 'value' and 'type'")
    value = dto.get("value")
    raw_type = dto.get("type")
    if raw_type is None or raw_type == "":
        if isinstance(value, float) and not math.isfinite(value):
            raise _cannot(value, "Double")
        return value
    type_ = _TYPES.get(str(raw_type).lower())
    if type_ is None:
        raise invalid(f"Cannot put variable '{name}': Unsupported value type '{raw_type}'")
    if value is None and type_ not in ("Null",):
        return None
    if type_ == "Null":
        return None
    if type_ == "String":
        return (
            value
            if isinstance(value, str)
            else json.dumps(value)
            if isinstance(value, dict | list)
            else str(value).lower()
            if isinstance(value, bool)
            else str(value)
        )
    if type_ == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _cannot(value, type_)
    if type_ == "Short":
        return _integer(value, type_, 16)
    if type_ == "Integer":
        return _integer(value, type_, 32)
    if type_ == "Long":
        return _integer(value, type_, 64)
    if type_ == "Double":
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or not math.isfinite(number):
            raise _cannot(value, type_)
        return number
    if type_ == "Date":
        return format_date(parse_date(value, name))
    if type_ in ("Json", "Object"):
        if type_ == "Object":
            info = dto.get("valueInfo") or {}
            fmt = info.get("serializationDataFormat") if isinstance(info, dict) else None
            if fmt not in (None, "application/json"):
                raise invalid(
                    f"Cannot put variable '{name}': only Object values serialized as application/json are supported, not '{fmt}'"
                )
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise invalid(f"Cannot put variable '{name}': its {type_} value is not valid JSON") from None
        return value
    if type_ in ("Bytes", "File"):
        if not isinstance(value, str):
            raise _cannot(value, type_)
        try:
            base64.b64decode(value, validate=False)
        except (binascii.Error, ValueError):
            raise invalid(f"Cannot put variable '{name}': its {type_} value is not base64") from None
        return value
    if type_ == "Xml":
        return str(value)
    raise invalid(f"Cannot put variable '{name}': Unsupported value type '{raw_type}'")  # pragma: no cover


def variables_in(data: Any, what: str = "variables") -> dict[str, Any]:
    """A Camunda variables map (name -> typed value) -> {name: native value}. None -> {}."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise invalid(f"'{what}' must be a JSON object of name -> {{value, type, valueInfo}}")
    return {str(name): to_native(str(name), dto) for name, dto in data.items()}


def typed(value: Any) -> dict[str, Any]:
    """A native value -> {type, value, valueInfo}."""
    if value is None:
        return {"type": "Null", "value": None, "valueInfo": {}}
    if isinstance(value, bool):
        return {"type": "Boolean", "value": value, "valueInfo": {}}
    if isinstance(value, int):
        return {"type": "Integer" if -_INT32 <= value < _INT32 else "Long", "value": value, "valueInfo": {}}
    if isinstance(value, float):
        return {"type": "Double", "value": value, "valueInfo": {}}
    if isinstance(value, str):
        if _DATE.match(value):
            return {"type": "Date", "value": value, "valueInfo": {}}
        return {"type": "String", "value": value, "valueInfo": {}}
    return {"type": "Json", "value": json.dumps(value, separators=(",", ":")), "valueInfo": {}}


# what a masked variable (orchestration.access.masked_names) looks like: Camunda's shape, no value
MASKED_VALUE = "****"


def masked_typed() -> dict[str, Any]:
    return {"type": "String", "value": MASKED_VALUE, "valueInfo": {}}


def variables_out(
    values: dict[str, Any], names: list[str] | None = None, *, masked: frozenset[str] | set[str] = frozenset()
) -> dict[str, dict[str, Any]]:
    """{name: typed value}; the ``masked`` names (the caller may not read them) as String "****"."""
    return {
        name: masked_typed() if name in masked else typed(value)
        for name, value in sorted(values.items())
        if names is None or name in names
    }
