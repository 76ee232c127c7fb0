from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig
from django.conf import settings


class OrchestrationConfig(AppConfig):
    name = "orchestration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the built-in job handlers (HTTP connector, demo handlers).
        from . import handlers  # noqa: F401
        from .demo import handlers as demo_handlers  # noqa: F401

        # Your own handler modules (ORCHESTRATION["EXTRA_HANDLER_MODULES"], from
        # ORCHESTRATION_EXTRA_HANDLER_MODULES): importing them runs their @handler
        # registrations, in web processes and workers alike. A module that fails to
        # import stops the process at start rather than leaving its jobs unhandled.
        for module in getattr(settings, "ORCHESTRATION", {}).get("EXTRA_HANDLER_MODULES", ()):
            import_module(module)
