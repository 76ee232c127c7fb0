"""Bulk operations: preview a filter's selection, submit it as a batch, follow and steer batches.

Viewing batches needs the view capability; submitting and steering them needs
repair. The preview shows the exact count and a sample; submitting freezes the
selection (services.batches.create_batch). Modify needs a filter that pins one
version: its instruction rows offer that version's elements.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from orchestration import access, reports
from orchestration.exceptions import DomainError, InvalidInput, NotFound, PermissionDenied
from orchestration.instance_search import (
    FILTER_PARAMS,
    FilterError,
    InstanceFilter,
    check_masked_conditions,
    filter_instances,
    parse_filter,
)
from orchestration.models import BatchItem, BatchOperation, ProcessDefinition
from orchestration.services import batch_modify
from orchestration.services import batches as batch_service

from .forms import BatchForm
from .permissions import repair_required, viewer_required


def _template(request: HttpRequest, page: str, partial: str) -> str:
    return f"{page}#{partial}" if request.htmx else page


def _get_batch_for_user(request: HttpRequest, key: uuid.UUID) -> BatchOperation:
    """The batch, or 404; also when it has an instance of a process a rule hides from the user
    (whoever created it: its items would show that process's instances)."""
    if not access.can_view(request.user):
        raise Http404
    batch = reports.get_batch(key, hidden=access.hidden_processes(request.user))
    if batch is None:
        raise Http404("No such batch.")
    return batch


def _filter_params(data) -> dict[str, list[str]]:
    """The instance-list filter carried by the preview form (hidden fields) or the query string."""
    return {name: data.getlist(name) for name in FILTER_PARAMS if any(v.strip() for v in data.getlist(name))}


@dataclass
class _ModifyModel:
    """What the modify rows offer: the pinned version's elements, or why there is none and how to pin one."""

    definition: ProcessDefinition | None = None
    sources: list[tuple[str, str]] = field(default_factory=list)
    starts: list[tuple[str, str]] = field(default_factory=list)
    problem: str = ""
    versions: list[tuple[int, str]] = field(default_factory=list)  # (version, the bulk form pinned to it)


def _element_label(element) -> str:
    return f"{element.id} ({element.name})" if element.name else element.id


def _modify_model(filters: InstanceFilter, params: dict[str, list[str]]) -> _ModifyModel:
    try:
        definition = batch_modify.pinned_definition(filters)
        process = batch_modify.definition_process(definition)
    except InvalidInput as exc:
        # a process without a version: offer each of its versions
        versions = ProcessDefinition.objects.filter(bpmn_process_id=filters.process).order_by("-version")
        base = reverse("operate:batch_new")
        links = [
            (v, f"{base}?{urlencode({**params, 'version': [v], 'kind': ['modify']}, doseq=True)}")
            for v in (versions.values_list("version", flat=True) if filters.process else [])
        ]
        return _ModifyModel(problem=exc.message, versions=links)
    return _ModifyModel(
        definition=definition,
        sources=[(e.id, _element_label(e)) for e in batch_modify.source_elements(process)],
        starts=[(e.id, _element_label(e)) for e in batch_modify.target_elements(process)],
    )


def _migration_url(filters: InstanceFilter, params: dict[str, list[str]], hidden: frozenset[str]) -> str:
    """The migration page for the version the filter pins (carrying the rest of the filter and the
    newest other version as target), or "" when the filter does not pin one visible version."""
    if not filters.process or filters.version is None or filters.process in hidden:
        return ""
    versions = ProcessDefinition.objects.filter(bpmn_process_id=filters.process).order_by("-version")
    source = next((d for d in versions if d.version == filters.version), None)
    if source is None:
        return ""
    query: dict[str, list[str]] = {
        name: values for name, values in params.items() if name not in ("process", "version")
    }
    target = next((d for d in versions if d.key != source.key), None)
    if target is not None:
        query = {"target": [str(target.key)], **query}
    base = reverse("operate:process_migrate", kwargs={"key": source.key})
    return f"{base}?{urlencode(query, doseq=True)}" if query else base


def _check_not_hidden(filters: InstanceFilter, hidden: frozenset[str], user) -> None:
    """PermissionDenied (the batch service's own message, naming no hidden process) when the
    filter names a hidden process or selects any of its instances."""
    if filters.process in hidden:
        raise PermissionDenied("The selection includes instances that you may not change (a per-process rule).")
    access.check_selection(user, filter_instances(filters))


@repair_required
def batch_new(request: HttpRequest) -> HttpResponse:
    """GET: preview (exact count, a sample of 10) of what the filter selects for an action; POST: submit."""
    source = request.POST if request.method == "POST" else request.GET
    params = _filter_params(source)
    hidden = access.hidden_processes(request.user)
    targets = list(
        ProcessDefinition.objects.exclude(bpmn_process_id__in=hidden).order_by("bpmn_process_id", "-version")
    )
    initial = {"kind": request.GET.get("kind") or BatchOperation.Kind.RETRY_INCIDENTS}
    kind = source.get("kind") or initial["kind"]
    if kind not in BatchOperation.Kind.values:
        kind = BatchOperation.Kind.RETRY_INCIDENTS
    error = ""
    preview = None
    # one token per rendered confirm form: a second submit of the same form returns the first batch
    # (a POST without one, from a script, is not deduplicated)
    submit_token = (request.POST.get("submit_token", "") if request.method == "POST" else "").strip()[:64]
    try:
        filters = parse_filter(params)
        check_masked_conditions(filters, request.user)  # the preview's count would reveal a masked value
        if hidden:  # the preview's count and sample would reveal a hidden process's instances
            _check_not_hidden(filters, hidden, request.user)
    except (FilterError, PermissionDenied) as exc:
        filters = None
        error = exc.message
    modify = _modify_model(filters, params) if kind == BatchOperation.Kind.MODIFY and filters is not None else None
    migration_url = (
        _migration_url(filters, params, hidden) if kind == BatchOperation.Kind.MIGRATE and filters is not None else ""
    )
    form = BatchForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        targets=targets,
        sources=modify.sources if modify else None,
        starts=modify.starts if modify else None,
        kind=kind,
    )
    if filters is not None:
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            batch_params = form.params()
            if data["kind"] == BatchOperation.Kind.RETRY_INCIDENTS and filters.fingerprint:
                batch_params["fingerprint"] = filters.fingerprint
            try:
                batch = batch_service.create_batch(
                    data["kind"],
                    params,
                    actor=request.user,
                    params=batch_params,
                    reason=data["reason"],
                    submit_token=submit_token,
                )
            except DomainError as exc:
                error = exc.message
            else:
                if getattr(batch, "already_submitted", False):  # a double click or a resent form
                    messages.info(request, "This batch was already submitted; nothing new was started.")
                else:
                    plural = "s" if batch.total != 1 else ""
                    messages.success(request, f"Batch started for {batch.total} instance{plural}.")
                return redirect("operate:batch", key=batch.key)
        preview = batch_service.preview_batch(kind, filters, hidden=hidden)
    context = {
        "form": form,
        "kind": kind,
        "preview": preview,
        "modify": modify,
        "migration_url": migration_url,
        "error": error,
        "submit_token": submit_token or uuid.uuid4().hex,
        "filter_params": [(name, value) for name, values in params.items() for value in values],
        "back_url": f"{reverse('operate:instances')}?{urlencode(params, doseq=True)}",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "operate/batch_new.html", context, status=status)


@viewer_required
def batches(request: HttpRequest) -> HttpResponse:
    hidden = access.hidden_processes(request.user)
    context = {"batches": reports.list_batches(hidden=hidden), "can_repair": access.can_repair(request.user)}
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
        "params": access.masked_batch_params(request.user, current),  # variable values, masked as elsewhere
        "items": page.items,
        "next_after": page.next_after,
        "item_state": state,
        "item_states": BatchItem.State.values,
        "can_repair": access.can_repair(request.user),
        "rest_count": _rest_count(request, current),
        "target_version": _target_version(current),
    }
    return render(request, _template(request, "operate/batch.html", "progress"), context)


def _target_version(current: BatchOperation) -> ProcessDefinition | None:
    """A migrate batch's target version, for its name ("order-process v2") on the page."""
    key = (current.params or {}).get("target_definition")
    return ProcessDefinition.objects.filter(key=key).first() if key else None


def _rest_count(request: HttpRequest, current: BatchOperation) -> int | None:
    """For a finished canary migration: how many instances "migrate the rest" would take now
    (its filter run again: what the canary moved is off the source version)."""
    finished = (BatchOperation.State.COMPLETED, BatchOperation.State.CANCELLED)
    if current.kind != BatchOperation.Kind.MIGRATE or not current.params.get("limit") or current.state not in finished:
        return None
    return batch_service.count_rest_of_canary(current, hidden=access.hidden_processes(request.user))


def _control(request: HttpRequest, key: uuid.UUID, action, done: str) -> HttpResponse:
    current = _get_batch_for_user(request, key)
    try:
        access.check_batch(request.user, current)  # per-process rules on what its items change
    except NotFound:
        raise Http404("No such batch.") from None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from None
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
