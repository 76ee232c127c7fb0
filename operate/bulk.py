"""Bulk operations: preview a filter's selection, submit it as a batch, follow and steer batches.

Viewing batches needs the view capability; submitting and steering them needs
repair. The preview shows the exact count and a sample; submitting freezes the
selection (services.batches.create_batch).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orchestration import access, reports
from orchestration.exceptions import DomainError
from orchestration.instance_search import FILTER_PARAMS, FilterError, parse_filter
from orchestration.models import BatchItem, BatchOperation, ProcessDefinition
from orchestration.services import batches as batch_service

from .forms import BatchForm
from .permissions import repair_required, viewer_required


def _template(request: HttpRequest, page: str, partial: str) -> str:
    return f"{page}#{partial}" if request.htmx else page


def _get_batch_for_user(request: HttpRequest, key: uuid.UUID) -> BatchOperation:
    if not access.can_view(request.user):
        raise Http404
    batch = reports.get_batch(key)
    if batch is None:
        raise Http404("No such batch.")
    return batch


def _filter_params(data) -> dict[str, list[str]]:
    """The instance-list filter carried by the preview form (hidden fields) or the query string."""
    return {name: data.getlist(name) for name in FILTER_PARAMS if any(v.strip() for v in data.getlist(name))}


@repair_required
def batch_new(request: HttpRequest) -> HttpResponse:
    """GET: preview (exact count, a sample of 10) of what the filter selects for an action; POST: submit."""
    source = request.POST if request.method == "POST" else request.GET
    params = _filter_params(source)
    targets = list(ProcessDefinition.objects.order_by("bpmn_process_id", "-version"))
    initial = {"kind": request.GET.get("kind") or BatchOperation.Kind.RETRY_INCIDENTS}
    form = BatchForm(request.POST if request.method == "POST" else None, initial=initial, targets=targets)
    kind = source.get("kind") or initial["kind"]
    if kind not in BatchOperation.Kind.values:
        kind = BatchOperation.Kind.RETRY_INCIDENTS
    error = ""
    preview = None
    try:
        filters = parse_filter(params)
    except FilterError as exc:
        filters = None
        error = exc.message
    if filters is not None:
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            batch_params = form.params()
            if data["kind"] == BatchOperation.Kind.RETRY_INCIDENTS and filters.fingerprint:
                batch_params["fingerprint"] = filters.fingerprint
            try:
                batch = batch_service.create_batch(
                    data["kind"], params, actor=request.user, params=batch_params, reason=data["reason"]
                )
            except DomainError as exc:
                error = exc.message
            else:
                messages.success(request, f"Batch started for {batch.total} instance{'s' if batch.total != 1 else ''}.")
                return redirect("operate:batch", key=batch.key)
        preview = batch_service.preview_batch(kind, filters)
    context = {
        "form": form,
        "kind": kind,
        "preview": preview,
        "error": error,
        "filter_params": [(name, value) for name, values in params.items() for value in values],
        "back_url": f"{reverse('operate:instances')}?{urlencode(params, doseq=True)}",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "operate/batch_new.html", context, status=status)


@viewer_required
def batches(request: HttpRequest) -> HttpResponse:
    context = {"batches": reports.list_batches(), "can_repair": access.can_repair(request.user)}
    return render(request, _template(request, "operate/batches.html", "list"), context)


@viewer_required
def batch(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    current = _get_batch_for_user(request, key)
    state = request.GET.get("state", "")
    if state not in BatchItem.State.values:
        state = ""
    try:
        after = int(request.GET["after"]) if request.GET.get("after") else None
    except ValueError:
        after = None
    page = reports.list_batch_items(current, state=state, after=after)
    context = {
        "batch": current,
        "items": page.items,
        "next_after": page.next_after,
        "item_state": state,
        "item_states": BatchItem.State.values,
        "can_repair": access.can_repair(request.user),
    }
    return render(request, _template(request, "operate/batch.html", "progress"), context)


def _control(request: HttpRequest, key: uuid.UUID, action, done: str) -> HttpResponse:
    current = _get_batch_for_user(request, key)
    try:
        action(current.key, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    if request.htmx:
        response = batch(request, key=current.key)
        response["HX-Trigger"] = "batch-changed"
        return response
    return redirect("operate:batch", key=current.key)


@repair_required
@require_POST
def batch_pause(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    return _control(request, key, batch_service.pause_batch, "Batch paused.")


@repair_required
@require_POST
def batch_resume(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    return _control(request, key, batch_service.resume_batch, "Batch resumed.")


@repair_required
@require_POST
def batch_cancel(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    return _control(request, key, batch_service.cancel_batch, "Batch cancelled; pending items are skipped.")


@repair_required
@require_POST
def batch_retry_failed(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    return _control(request, key, batch_service.retry_failed_items, "Failed items are pending again.")
