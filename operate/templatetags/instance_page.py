"""Display helpers of the instance page: times with their zone, value previews, audit labels."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django import template
from django.utils import dateformat, timezone

from operate import audit_timeline
from orchestration import units

register = template.Library()

# values longer than this (as indented JSON) are cut on the page and loaded on demand
PREVIEW_CHARS = 2000


@register.filter
def when(value: datetime | None, fmt: str = "Y-m-d H:i:s T") -> str:
    """A time in the current time zone (``TIME_ZONE``, UTC unless configured) with the zone
    named: ``2026-11-22 03:12:52 UTC``. Empty for None, so ``|default:"—"`` works."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, fmt)


@dataclass(frozen=True)
class Preview:
    text: str  # indented JSON, cut at a line end when longer than the preview
    truncated: bool
    size: int  # bytes of the stored (compact) JSON

    @property
    def size_label(self) -> str:
        return human_size(self.size)


def human_size(size: int) -> str:
    return units.human_size(size, kb_decimals=0)  # a preview's size: whole kilobytes are enough


def make_preview(value: Any, limit: int = PREVIEW_CHARS) -> Preview:
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode())
    if len(text) <= limit:
        return Preview(text=text, truncated=False, size=size)
    cut = text.rfind("\n", 0, limit)
    return Preview(text=text[: cut if cut > limit // 2 else limit] + "\n…", truncated=True, size=size)


@register.filter
def preview(value: Any) -> Preview:
    """``{% with p=v.value|preview %}``: the value as indented JSON up to ``PREVIEW_CHARS``."""
    return make_preview(value)


@register.filter
def value_size(value: Any) -> str:
    """The size of a value as stored (compact JSON), in human units."""
    return human_size(len(json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()))


@register.filter
def event_label(event_type: str) -> str:
    return audit_timeline.event_label(event_type)


@register.filter
def variable_changes(data: Any) -> list[audit_timeline.Change]:
    return audit_timeline.variable_changes(data)


@register.filter
def data_preview(data: Any) -> Preview:
    """An audit event's data, cut like a variable value."""
    return make_preview(data, audit_timeline.DATA_PREVIEW_CHARS)
