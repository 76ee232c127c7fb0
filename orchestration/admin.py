"""The Django admin's screens for what only administrators configure: per-process access
rules and masked variables. Everything else (instances, incidents, batches) is changed
through Operate and the services, which audit and check each change; it is not offered here.

The admin's own change history (``django_admin_log``) records who added, changed or
removed a rule and when; a rule applies from the next request on (rules are read per
request, nothing caches them)."""

from __future__ import annotations

from django.contrib import admin

from .models import MaskedVariable, ProcessDefinition, ProcessPermission


def _known_process_ids() -> str:
    ids = ProcessDefinition.objects.order_by().values_list("bpmn_process_id", flat=True).distinct()
    return ", ".join(sorted(ids)[:30]) or "none deployed yet"


@admin.register(ProcessPermission)
class ProcessPermissionAdmin(admin.ModelAdmin):
    list_display = ("bpmn_process_id", "capability", "group", "allow")
    list_filter = ("capability", "allow", "group")
    search_fields = ("bpmn_process_id", "group__name")
    ordering = ("bpmn_process_id", "capability", "group__name")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        field = form.base_fields.get("bpmn_process_id")
        if field is not None:
            field.help_text = "The process id (the BPMN process element's id), e.g. one of: " + _known_process_ids()
        allow = form.base_fields.get("allow")
        if allow is not None:
            allow.help_text = "Unticked: a deny (takes the capability away; a deny wins over an allow)."
        return form


@admin.register(MaskedVariable)
class MaskedVariableAdmin(admin.ModelAdmin):
    list_display = ("name", "process", "readers")
    search_fields = ("name", "bpmn_process_id")
    filter_horizontal = ("visible_to",)

    @admin.display(description="process", ordering="bpmn_process_id")
    def process(self, obj: MaskedVariable) -> str:
        return obj.bpmn_process_id or "every process"

    @admin.display(description="visible to")
    def readers(self, obj: MaskedVariable) -> str:
        return ", ".join(sorted(g.name for g in obj.visible_to.all())) or "admins only"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("visible_to")
