"""Display helpers shared by the Operate and Tasklist templates."""

from __future__ import annotations

import json

from django import template

from orchestration import access

register = template.Library()


@register.filter
def can(user, capability: str) -> bool:
    """``{% if user|can:"view" %}``: the same rule the views enforce."""
    return access.has_capability(user, capability)


@register.filter
def as_json(value) -> str:
    """A JSON value as indented text, for a <pre>. Autoescaping still applies."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


@register.filter
def short_key(value) -> str:
    """The last 12 hex digits of a key: enough to tell rows apart on screen."""
    text = str(value or "")
    return text[-12:] if len(text) > 12 else text
