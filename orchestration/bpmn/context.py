"""Mutable state shared by the parse functions while one document is read.

The parse functions fill `ElementDraft`s (plain dicts of Element fields);
the process parser freezes them into `Element`s once every flow is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .expressions import expression_expr, is_juel, is_supported_language
from .model import Expr, Problem
from .xml import line_of, local

ElementDraft = dict[str, Any]


@dataclass
class ParseContext:
    flavour: str
    # global definitions by id
    messages: dict[str, str] = field(default_factory=dict)
    message_keys: dict[str, Expr] = field(default_factory=dict)
    errors: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    error_messages: dict[str, str] = field(default_factory=dict)
    signals: dict[str, str] = field(default_factory=dict)
    escalations: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    # zeebe:userTaskForm bodies by id (referenced as camunda-forms:bpmn:<id>)
    forms: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # every id seen inside processes: id -> (line, strict)
    ids: dict[str, tuple[int, bool]] = field(default_factory=dict)
    # True while parsing an executable process: only those report problems
    strict: bool = True
    # definitions/@expressionLanguage: the language of expressions without their own
    expression_language: str | None = None

    def problem(
        self,
        message: str,
        element: etree._Element | None = None,
        *,
        element_id: str | None = None,
    ) -> None:
        """Record a problem, unless we are inside a non-executable process."""
        if not self.strict:
            return
        line = line_of(element) if element is not None else None
        if element_id is None and element is not None:
            element_id = element.get("id")
        self.problems.append(Problem(message, element_id=element_id, line=line))

    def register_id(self, element_id: str, element: etree._Element) -> None:
        seen = self.ids.get(element_id)
        if seen is None:
            self.ids[element_id] = (line_of(element), self.strict)
            return
        if self.strict or seen[1]:
            self.problems.append(
                Problem(
                    f"duplicate id '{element_id}' (first used on line {seen[0]})",
                    element_id=element_id,
                    line=line_of(element),
                )
            )

    def condition(self, owner: etree._Element, expr_el: etree._Element | None) -> Expr | None:
        """A condition-like expression element (conditionExpression, condition, ...)."""
        if expr_el is None:
            return None
        text = "".join(expr_el.itertext()).strip()
        if not text:
            return None
        language = expr_el.get("language") or self.expression_language
        if not text.startswith("=") and not is_juel(text) and not is_supported_language(language):
            self.problem(
                f"expression language '{language}' of {local(expr_el)} is not supported;"
                " use FEEL or ${...} expressions",
                owner,
            )
            return None
        return expression_expr(text)
