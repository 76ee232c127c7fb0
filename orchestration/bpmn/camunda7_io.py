"""Camunda 7 camunda:inputOutput parameters -> IoMapping.

A parameter value is text (static), a ${...} expression, or a nested
camunda:list / camunda:map, which becomes one FEEL literal; ${variable}
items inside become FEEL paths. camunda:script values are refused.
"""

from __future__ import annotations

from lxml import etree

from .context import ElementDraft, ParseContext
from .expressions import feel_string, is_juel, juel_as_feel, value_expr
from .model import Expr, IoMapping
from .xml import CAMUNDA_NS, children_in, extension_children, local


def read_input_output(ctx: ParseContext, el: etree._Element, draft: ElementDraft) -> None:
    for block in extension_children(el, CAMUNDA_NS):
        if local(block) != "inputOutput":
            continue
        inputs, outputs = mappings(ctx, el, block)
        draft["inputs"] = tuple(draft.get("inputs", ())) + inputs
        draft["outputs"] = tuple(draft.get("outputs", ())) + outputs


def mappings(
    ctx: ParseContext, el: etree._Element, block: etree._Element
) -> tuple[tuple[IoMapping, ...], tuple[IoMapping, ...]]:
    inputs = []
    outputs = []
    for param in children_in(block, CAMUNDA_NS):
        name = (param.get("name") or "").strip()
        source = _parameter_value(ctx, el, param, name)
        if source is None:
            continue
        if local(param) == "inputParameter":
            inputs.append(IoMapping(source, name))
        elif local(param) == "outputParameter":
            outputs.append(IoMapping(source, name))
    return tuple(inputs), tuple(outputs)


def _parameter_value(ctx: ParseContext, el: etree._Element, param: etree._Element, name: str) -> Expr | None:
    nested = children_in(param, CAMUNDA_NS)
    if nested:
        literal = _feel_literal(ctx, el, nested[0], name)
        return Expr(literal, "feel") if literal is not None else None
    text = (param.text or "").strip()
    if not text:
        return Expr("null", "feel")
    return value_expr(text)


def _feel_literal(ctx: ParseContext, el: etree._Element, node: etree._Element, name: str) -> str | None:
    """camunda:list / camunda:map / text as one FEEL literal, or None (problem recorded)."""
    kind = local(node)
    if kind == "script":
        ctx.problem(
            f"camunda:script in parameter '{name}' is not supported (no script execution); use a ${{...}} expression",
            el,
        )
        return None
    if kind == "list":
        items = [_feel_literal(ctx, el, item, name) for item in children_in(node, CAMUNDA_NS)]
        if any(item is None for item in items):
            return None
        return "[" + ", ".join(item for item in items if item is not None) + "]"
    if kind == "map":
        entries = []
        for entry in children_in(node, CAMUNDA_NS, "entry"):
            value = _entry_value(ctx, el, entry, name)
            if value is None:
                return None
            entries.append(f"{feel_string(entry.get('key') or '')}: {value}")
        return "{" + ", ".join(entries) + "}"
    if kind in ("value", "entry"):
        return _entry_value(ctx, el, node, name)
    ctx.problem(f"camunda:{kind} in parameter '{name}' is not supported", el)
    return None


def _entry_value(ctx: ParseContext, el: etree._Element, node: etree._Element, name: str) -> str | None:
    nested = children_in(node, CAMUNDA_NS)
    if nested:
        return _feel_literal(ctx, el, nested[0], name)
    text = (node.text or "").strip()
    if not text:
        return "null"
    if not is_juel(text):
        return feel_string(text)
    path = juel_as_feel(text)
    if path is None:
        ctx.problem(
            f"parameter '{name}': a list/map value may only be text or ${{variable}}, not '{text}'",
            el,
        )
    return path
