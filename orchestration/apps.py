from __future__ import annotations

from importlib import import_module

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate

# The admin role keeps these in the Django admin (orchestration/admin.py); its members also
# need is_staff to log in there (the demo's admin has it).
ADMIN_MANAGED_MODELS = ("processpermission", "maskedvariable")


def grant_admin_role(sender, using="default", **kwargs) -> None:
    """After every migrate (and test flush): the "admin" group may add, change, delete and view
    per-process rules and masked variables. Django creates the permissions in its own
    post_migrate handler, which runs first (django.contrib.auth is listed before this app)."""
    from django.contrib.auth.models import Group, Permission

    permissions = Permission.objects.using(using).filter(
        content_type__app_label="orchestration", content_type__model__in=ADMIN_MANAGED_MODELS
    )
    if permissions.exists():
        group, _ = Group.objects.using(using).get_or_create(name="admin")
        group.permissions.add(*permissions)


class OrchestrationConfig(AppConfig):
    name = "orchestration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        post_migrate.connect(grant_admin_role, sender=self, dispatch_uid="orchestration-admin-role")
        # Register the built-in job handlers (HTTP connector, demo handlers).
        from . import handlers  # noqa: F401
        from .demo import handlers as demo_handlers  # noqa: F401

        # Your own handler modules (ORCHESTRATION["EXTRA_HANDLER_MODULES"], from
        # ORCHESTRATION_EXTRA_HANDLER_MODULES): importing them runs their @handler
        # registrations, in web processes and workers alike. A module that fails to
        # import stops the process at start rather than leaving its jobs unhandled.
        for module in getattr(settings, "ORCHESTRATION", {}).get("EXTRA_HANDLER_MODULES", ()):
            import_module(module)
