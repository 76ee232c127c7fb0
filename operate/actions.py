"""Operator actions on one instance: cancel, suspend/resume, retry an incident, edit a variable,
modify tokens, migrate. Each is a POST that calls one service with the acting user.

Only the "repair" capability (operator, admin) may act: support and users without a
role get 403, logged-out users the login page. A non-htmx POST redirects to the
instance with a message; an htmx POST gets the actions panel re-rendered and an
``instance-changed`` event for the other panels, sent after the swap has settled
(``HX-Trigger-After-Settle``): htmx has released the action's request by then, so the
live poll it starts is not dropped by the page's ``hx-sync`` (see _instance_actions.html). Bad input re-renders
the form with its errors and changes nothing (400 for a full page, 200 with the
panel for htmx, which only swaps successful responses).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orchestration import access, selectors, services
from orchestration.bpmn.errors import BpmnError
from orchestration.exceptions import DomainError
from orchestration.models import Incident, ProcessDefinition, ProcessInstance
from orchestration.services.migration import MigrationRefused

from .forms import CancelForm, MigrateForm, ModifyForm, RetryIncidentForm, SetVariableForm, SuspendForm
from .permissions import repair_required

PANEL = "operate/_instance_actions.html"


def _get_instance_for_repair(request: HttpRequest, key: uuid.UUID) -> ProcessInstance:
    """The instance, or 404; a user who may not repair never gets this far (403)."""
    if not access.can_repair(request.user):
        raise PermissionDenied
    instance = selectors.get_instance(key)
    if instance is None or access.hides_process(request.user, instance.bpmn_process_id):
        raise Http404("No such process instance.")  # hidden by a rule: as if unknown
    if not access.can_repair(request.user, process_id=instance.bpmn_process_id):
        # a per-process rule narrows the role (e.g. operators of payments may not touch kyc)
        raise PermissionDenied
    return instance


def _open_incidents(detail: selectors.InstanceDetail) -> list[Incident]:
    return [i for i in detail.incidents if i.state == Incident.State.OPEN]


def _element_choices(instance: ProcessInstance) -> list[tuple[str, str]]:
    """Flow nodes a token may be started before (not boundary events); none if the model does not load."""
    try:
        process = services.process_for(instance.definition)
    except (BpmnError, DomainError):
        return []
    rows = []
    for element_id, element in process.elements.items():
        if element.attached_to:
            continue
        rows.append((element_id, f"{element_id} ({element.name})" if element.name else element_id))
    return sorted(rows)


def _migration_targets(instance: ProcessInstance) -> list[ProcessDefinition]:
    return list(
        ProcessDefinition.objects.filter(bpmn_process_id=instance.bpmn_process_id)
        .exclude(key=instance.definition_id)
        .order_by("-version")
    )


def _forms(detail: selectors.InstanceDetail, data: Any = None) -> dict[str, forms.Form]:
    """Unbound forms for the panel (``data`` binds none; a failed one is swapped in by the caller)."""
    instance = detail.instance
    active = sorted({w.element.element_id for w in detail.waiting})
    return {
        "cancel": CancelForm(prefix="cancel"),
        "suspend": SuspendForm(prefix="suspend"),
        "retry": RetryIncidentForm(prefix="retry", incidents=_open_incidents(detail)),
        "variable": SetVariableForm(prefix="variable"),
        "modify": ModifyForm(prefix="modify", active=active, elements=_element_choices(instance)),
        "migrate": MigrateForm(prefix="migrate", targets=_migration_targets(instance)),
    }


def action_context(request: HttpRequest, detail: selectors.InstanceDetail, **bound: forms.Form) -> dict[str, Any]:
    """What the actions panel needs; empty for users who may not repair (they see no buttons)."""
    if not access.can_repair(request.user, process_id=detail.instance.bpmn_process_id):
        return {"can_repair": False}
    action_forms = _forms(detail)
    action_forms.update(bound)
    return {
        "can_repair": True,
        "action_forms": action_forms,
        "open_incidents": _open_incidents(detail),
        "has_migration_targets": bool(action_forms["migrate"].fields["target"].choices),
        "actions_signature": actions_signature(detail),
    }


def actions_signature(detail: selectors.InstanceDetail) -> str:
    """What the offered actions depend on (state, suspension, open incidents). The panel carries
    it; the page's live poll sends it back and gets the panel again, out of band, when it changed
    (e.g. the instance completed while the page was open: no cancel or suspend is offered any more)."""
    instance = detail.instance
    incidents = ",".join(sorted(str(i.key) for i in _open_incidents(detail)))
    return f"{instance.state}|{int(bool(instance.suspended))}|{incidents}"


def _panel(
    request: HttpRequest, instance: ProcessInstance, *, status: int = 200, error: str = "", notice: str = "", **bound
) -> HttpResponse:
    detail = selectors.get_instance_detail(selectors.get_instance(instance.key))
    context = {"detail": detail, "instance": detail.instance, "action_error": error, "action_notice": notice}
    context.update(action_context(request, detail, **bound))
    return render(request, PANEL, context, status=status)


def _act(
    request: HttpRequest,
    instance: ProcessInstance,
    name: str,
    form: forms.Form,
    run: Callable[[dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """Validate, call the service, answer the way the request wants."""
    back = reverse("operate:instance", args=[instance.key])
    if not form.is_valid():
        if request.htmx:
            return _panel(request, instance, **{name: form})
        from .views import instance_page_context  # the page view owns its context (diagram, ...)

        context = instance_page_context(request, selectors.get_instance_detail(instance), **{name: form})
        context["action_error"] = "Please correct the errors below."
        return render(request, "operate/instance.html", context, status=400)
    try:
        run(form.cleaned_data)
    except DomainError as exc:
        if request.htmx:
            return _panel(request, instance, error=exc.message)
        messages.error(request, exc.message)
        return redirect(back)
    if request.htmx:
        response = _panel(request, instance, notice=success)
        response["HX-Trigger-After-Settle"] = "instance-changed"
        return response
    messages.success(request, success)
    return redirect(back)


@repair_required
@require_POST
def instance_cancel(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    instance = _get_instance_for_repair(request, key)
    form = CancelForm(request.POST, prefix="cancel")

    def run(data: dict[str, Any]) -> None:
        services.cancel_instance(instance.key, actor=request.user, reason=data["reason"])

    return _act(request, instance, "cancel", form, run, "Instance cancelled.")


@repair_required
@require_POST
def instance_suspend(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    instance = _get_instance_for_repair(request, key)
    form = SuspendForm(request.POST, prefix="suspend")

    def run(data: dict[str, Any]) -> None:
        services.suspend_instance(instance.key, actor=request.user, reason=data["reason"])

    return _act(request, instance, "suspend", form, run, "Instance suspended.")


@repair_required
@require_POST
def instance_resume(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    instance = _get_instance_for_repair(request, key)
    form = SuspendForm(request.POST, prefix="suspend")

    def run(data: dict[str, Any]) -> None:
        services.resume_instance(instance.key, actor=request.user, reason=data["reason"])

    return _act(request, instance, "suspend", form, run, "Instance resumed.")


@repair_required
@require_POST
def instance_retry(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    instance = _get_instance_for_repair(request, key)
    incidents = list(Incident.objects.filter(instance=instance, state=Incident.State.OPEN).order_by("-created_at"))
    form = RetryIncidentForm(request.POST, prefix="retry", incidents=incidents)

    def run(data: dict[str, Any]) -> None:
        services.resolve_incident(data["incident"], actor=request.user, variables=data["variables"] or None)

    return _act(request, instance, "retry", form, run, "Incident resolved; the step runs again.")


@repair_required
@require_POST
def instance_variable(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    instance = _get_instance_for_repair(request, key)
    form = SetVariableForm(request.POST, prefix="variable")

    def run(data: dict[str, Any]) -> None:
        services.set_variables(instance.key, {data["name"]: data["value"]}, actor=request.user, reason=data["reason"])

    return _act(request, instance, "variable", form, run, "Variable saved.")


@repair_required
@require_POST
def instance_modify(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    instance = _get_instance_for_repair(request, key)
    detail = selectors.get_instance_detail(instance)
    active = sorted({w.element.element_id for w in detail.waiting})
    form = ModifyForm(request.POST, prefix="modify", active=active, elements=_element_choices(instance))

    def run(data: dict[str, Any]) -> None:
        services.modify_instance(
            instance.key, actor=request.user, instructions=form.instructions(), reason=data["reason"]
        )

    return _act(request, instance, "modify", form, run, "Instance modified.")


@repair_required
def instance_migrate(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """GET: the plan's automatic mapping and the validation report for a chosen target; POST: run it."""
    instance = _get_instance_for_repair(request, key)
    targets = _migration_targets(instance)
    data = request.POST if request.method == "POST" else (request.GET if "migrate-target" in request.GET else None)
    form = MigrateForm(data, prefix="migrate", targets=targets)
    plan = problems = None
    error = ""
    if form.is_bound and form.is_valid():
        try:
            plan = services.generate_plan(instance.definition, form.cleaned_data["target"])
            problems = services.validate_plan(plan, [instance.key]).get(instance.key, [])
        except DomainError as exc:
            error = exc.message
        if request.method == "POST" and plan is not None and not problems:
            try:
                services.migrate_instance(plan, instance.key, actor=request.user)
            except MigrationRefused as refused:
                problems = refused.report.get(instance.key, [refused.message])
            except DomainError as exc:
                error = exc.message
            else:
                target = next(d for d in targets if str(d.key) == form.cleaned_data["target"])
                messages.success(request, f"Instance migrated to v{target.version}.")
                back = reverse("operate:instance", args=[instance.key])
                if request.htmx:
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = back
                    return response
                return redirect(back)
    elif request.method == "POST":
        error = "Choose a target version."
    mapping = []
    if plan is not None:
        source_process = services.process_for(instance.definition)
        mapped = plan.mapping
        mapping = [(element_id, mapped.get(element_id, "")) for element_id in sorted(source_process.elements)]
    chosen = form.cleaned_data.get("target") if form.is_bound and form.is_valid() else None
    # the full migration page: both diagrams, the mapping editable, then migrate this instance
    page_query = urlencode({**({"target": chosen} if chosen else {}), "instance": str(instance.key)})
    context = {
        "page_url": f"{reverse('operate:process_migrate', args=[instance.definition_id])}?{page_query}",
        "instance": instance,
        "target_definition": next((d for d in targets if str(d.key) == chosen), None),
        "form": form,
        "targets": targets,
        "plan": plan,
        "mapping": mapping,
        "problems": problems,
        "error": error,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "operate/migrate.html", context, status=status)
