"""How expression text in a BPMN file becomes an `Expr`.

Rules (syntax is not checked here; orchestration.feel compiles on deploy):
- a value starting with "=" is Camunda 8 FEEL: Expr(rest, "feel");
- a value containing "${" or "#{" is Camunda 7 JUEL: Expr(value, "juel");
- anything else is a static string, except where a slot is always an
  expression (conditions, completion conditions): there bare text is FEEL.
"""

from __future__ import annotations

import json
import re

from .model import Expr

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_SIMPLE_JUEL = re.compile(r"^[$#]\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}$")


def is_juel(value: str) -> bool:
    return "${" in value or "#{" in value


def value_expr(value: str | None) -> Expr | None:
    """An attribute or element value: FEEL if "=...", JUEL if "${...}", else static."""
    if value is None:
        return None
    if value.startswith("="):
        return Expr(value[1:].strip(), "feel")
    if is_juel(value):
        return Expr(value.strip(), "juel")
    return Expr(value, "static")


def expression_expr(text: str | None) -> Expr | None:
    """A slot that is always an expression: bare text is FEEL."""
    if text is None:
        return None
    text = text.strip()
    if not text:
        return None
    if text.startswith("="):
        return Expr(text[1:].strip(), "feel")
    if is_juel(text):
        return Expr(text, "juel")
    return Expr(text, "feel")


def is_supported_language(language: str | None) -> bool:
    """Expression languages we evaluate: FEEL (any URI naming it) and JUEL."""
    if not language:
        return True
    lowered = language.lower()
    return "feel" in lowered or "juel" in lowered


def feel_name(name: str) -> str:
    """A variable name as a FEEL expression (backticks when not an identifier)."""
    if _PATH.match(name):
        return name
    return "`" + name.replace("`", "") + "`"


def variable_expr(name: str) -> Expr:
    """An expression that reads the variable `name` (Camunda 7 source="x")."""
    return Expr(feel_name(name.strip()), "feel")


def feel_string(value: str) -> str:
    """A FEEL string literal (FEEL escapes like JSON)."""
    return json.dumps(value, ensure_ascii=False)


def juel_as_feel(value: str) -> str | None:
    """`${name}` / `${a.b}` as the equivalent FEEL path; None for anything richer."""
    match = _SIMPLE_JUEL.match(value.strip())
    return match.group(1) if match else None


def is_identifier(value: str) -> bool:
    return bool(_IDENTIFIER.match(value))
