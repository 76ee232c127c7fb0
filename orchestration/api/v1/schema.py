"""drf-spectacular hooks: the v1 schema documents /api/v1 only (not the compatibility layers)."""

from __future__ import annotations


def only_v1(endpoints, **kwargs):
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/v1/")]
