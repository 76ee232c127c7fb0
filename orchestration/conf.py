"""The engine's settings, read lazily from settings.ORCHESTRATION."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "MAX_XML_BYTES": 5 * 1024 * 1024,
    "MAX_VARIABLE_BYTES": 1024 * 1024,
    "DEFAULT_JOB_RETRIES": 3,
    "JOB_LOCK_SECONDS": 300,
    "RETRY_BACKOFF_SECONDS": 1.0,
    "RETRY_BACKOFF_MAX_SECONDS": 600.0,
    "REDISPATCH_AFTER_SECONDS": 30.0,
    "MAX_DISPATCH_ATTEMPTS": 10,
    "TIMER_BATCH": 200,
    "HTTP_CONNECTOR_TIMEOUT": 10.0,
    "INLINE_JOB_CHAIN": 50,
    "EXTRA_HANDLER_MODULES": [],
}


def setting(name: str) -> Any:
    return getattr(settings, "ORCHESTRATION", {}).get(name, DEFAULTS[name])
