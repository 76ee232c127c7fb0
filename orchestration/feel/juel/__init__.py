"""JUEL (Camunda 7 `${...}` / `#{...}`) support: a parser that compiles into the
shared FEEL AST classes, and an evaluator with Java EL semantics."""

from __future__ import annotations

from .evaluator import JuelEvaluator
from .parser import METHODS, parse_juel

__all__ = ["METHODS", "JuelEvaluator", "parse_juel"]
