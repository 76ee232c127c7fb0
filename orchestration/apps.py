from __future__ import annotations

from django.apps import AppConfig


class OrchestrationConfig(AppConfig):
    name = "orchestration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the built-in job handlers (HTTP connector, demo handlers).
        from . import handlers  # noqa: F401
        from .demo import handlers as demo_handlers  # noqa: F401
