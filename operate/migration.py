"""The migration page: move the active instances of one process version to another.

``/operate/processes/<source>/migrate/?target=<key>`` shows both diagrams, the element mapping
as a table of selects (the automatic same-id, same-kind rows first; each row editable to any
target element of the same kind, or "unmapped"), and, for the selection, the eligibility report:
how many instances can migrate with that mapping and, grouped by reason, which cannot. The
selection is one instance (``instance=<key>``) or the instance list's filter (its query-string
names), always narrowed to the active instances of the source version.

Running it is a POST: one instance is migrated at once (services.migrate_instance); a filter
becomes a MIGRATE batch whose params carry the mapping, optionally a canary batch limited to the
first N instances, whose page then offers "migrate the rest" (``batch_migrate_rest``).

GET needs the view capability (support sees the plan and the report, read only); POST needs
"repair" on the process (role and per-process rules), as the instance actions do. The mapping
travels in plain form fields (``map-<source element id>``), so the page works without JavaScript;
htmx re-checks it when a select changes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from orchestration import access, reports, selectors, services
from orchestration.bpmn.errors import BpmnError
from orchestration.bpmn.model import Element
from orchestration.exceptions import DomainError
from orchestration.instance_search import (
    FILTER_PARAMS,
    FilterError,
    check_masked_conditions,
    filter_instances,
    parse_filter,
)
from orchestration.models import BatchOperation, ProcessDefinition, ProcessInstance
from orchestration.services import batches as batch_service
from orchestration.services.migration import MigrationPlan, MigrationRefused, element_kind
from orchestration.services.migration_eligibility import eligibility_report
from orchestration.services.migration_kinds import kind_label
from orchestration.services.migration_mapping import (
    MappingRefused,
    compatible_targets,
    mappable_elements,
    plan_from_mapping,
)

from .diagram import render_source
from .diagram_index import source_for_definition
from .permissions import repair_required, viewer_required

PAGE = "operate/migrate_process.html"
MAP_PREFIX = "map-"
# selections of more active instances get the eligibility report only on an explicit check
AUTO_CHECK_LIMIT = 10_000
# the source version pins process and version; the batch orders its items itself
# the selection panel's own fields (the rest of a filter is carried in hidden fields)
NARROW_PARAMS = ("business_key", "element", "state")
SELECTION_PARAMS = tuple(name for name in FILTER_PARAMS if name not in ("process", "version", "sort"))


class MigrationRunForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=500,
        label="Reason (optional)",
        widget=forms.TextInput(attrs={"placeholder": "why (kept with the batch and in the audit log)"}),
    )
    canary = forms.BooleanField(required=False, label="Canary: migrate only the first")
    canary_size = forms.IntegerField(
        required=False, min_value=1, max_value=100_000, initial=10, label="instances (oldest first)"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("canary") and not data.get("canary_size"):
            self.add_error("canary_size", "How many instances should the canary batch take?")
        return data


@dataclass
class MappingRow:
    element: Element
    kind: str
    choices: list[Element]
    chosen: str
    automatic: str
    error: str = ""

    @property
    def field_name(self) -> str:
        return f"{MAP_PREFIX}{self.element.id}"

    @property
    def chosen_is_choice(self) -> bool:
        return not self.chosen or any(c.id == self.chosen for c in self.choices)


@dataclass
class Selection:
    instances: Any  # a ProcessInstance queryset
    filter_params: dict[str, list[str]]  # the instance list's names, as the batch gets them
    shown_params: list[tuple[str, str]]  # what the user filtered on (not the pinned version)
    instance: ProcessInstance | None = None


def _get_source_for_user(request: HttpRequest, key: uuid.UUID) -> ProcessDefinition:
    """The source definition, or 404 (also when a per-process rule hides the process)."""
    definition = selectors.get_definition(key)
    if definition is None or not access.can_view(request.user, process_id=definition.bpmn_process_id):
        raise Http404("No such process definition.")
    return definition


def _targets(source: ProcessDefinition) -> list[ProcessDefinition]:
    return list(
        ProcessDefinition.objects.filter(bpmn_process_id=source.bpmn_process_id)
        .exclude(key=source.key)
        .order_by("-version")
    )


def _selection(source: ProcessDefinition, data: QueryDict, user) -> Selection:
    """One instance (``instance``) or the instance list's filter, pinned to the source version.

    Raises DomainError (a bad filter, an instance of another version) with the reason; an
    instance of a process a rule hides from ``user`` is not found, and a condition on a
    variable masked for ``user`` is refused (the report's counts would reveal its value).
    """
    pinned = {"process": [source.bpmn_process_id], "version": [str(source.version)]}
    if data.get("instance", "").strip():
        try:
            key = uuid.UUID(data["instance"].strip())
        except ValueError:
            raise DomainError(f"'{data['instance']}' is not an instance key.") from None
        instance = ProcessInstance.objects.select_related("definition").filter(key=key).first()
        if instance is None or access.hides_process(user, instance.bpmn_process_id):
            raise DomainError(f"Instance {key} not found.")
        if instance.definition_id != source.key:
            raise DomainError(
                f"Instance {instance.business_key or key} runs on {instance.bpmn_process_id} "
                f"v{instance.definition.version}, not on v{source.version}: open the migration page of its version."
            )
        return Selection(ProcessInstance.objects.filter(key=key), {}, [], instance)
    chosen = {name: [v for v in data.getlist(name) if v.strip()] for name in SELECTION_PARAMS}
    chosen = {name: values for name, values in chosen.items() if values}
    filter_params = {**chosen, **pinned}
    try:
        filters = parse_filter(filter_params)
        check_masked_conditions(filters, user)
    except FilterError as exc:
        raise DomainError(f"The filter is not valid: {exc.message}") from None
    shown = [(name, value) for name, values in chosen.items() for value in values]
    # a search match of a hidden process does not roll up to its (visible) root case
    instances = filter_instances(filters, hidden=access.hidden_processes(user))
    return Selection(instances, filter_params, shown)


def _rows(source_process, target_process, automatic: dict[str, str], data: QueryDict) -> list[MappingRow]:
    """One row per source element that can hold a token; what the form sent, else the automatic mapping."""
    edited = data.get("edited") == "1"
    rows = []
    for element in mappable_elements(source_process):
        auto = automatic.get(element.id, "")
        chosen = data.get(f"{MAP_PREFIX}{element.id}", "").strip()[:255] if edited else auto
        rows.append(
            MappingRow(
                element, kind_label(element_kind(element)), compatible_targets(element, target_process), chosen, auto
            )
        )
    return rows


def _plan(source: ProcessDefinition, target: ProcessDefinition, rows: list[MappingRow]) -> MigrationPlan | None:
    """The service checks every row; a bad one gets its error and there is no plan (nothing runs)."""
    try:
        return plan_from_mapping(source, target, [(row.element.id, row.chosen) for row in rows if row.chosen])
    except MappingRefused as refused:
        for row in rows:
            row.error = refused.errors.get(row.element.id, "")
        return None


def _diagram(definition: ProcessDefinition, overlays: dict | None = None) -> dict[str, Any]:
    """One version's diagram (operate.diagram); two share the page, so their SVG ids get a prefix."""
    source = source_for_definition(definition)
    if source.definitions is None:
        return {"definition": definition, "svg": "", "error": source.error or "the BPMN file could not be read"}
    try:
        svg = render_source(
            source,
            definition.bpmn_process_id,
            overlays=overlays or {},
            links=False,
            dom_prefix=f"v{definition.version}-",
        )
    except Exception as exc:  # a drawing bug must not take the page down (as the diagram partial does)
        return {"definition": definition, "svg": "", "error": f"{type(exc).__name__}: {exc}"}
    # the page fits each diagram to its full width, between 70% (a very wide one: the canvas
    # scrolls, labels stay readable) and 140% (a small one is not blown up) of its own size
    size = re.search(r'<svg[^>]* width="([0-9.]+)"', svg)
    width = float(size.group(1)) if size else 0
    return {
        "definition": definition,
        "svg": mark_safe(svg),  # noqa: S308 (escaped by the renderer)
        "error": "",
        "min_width": round(width * 0.7),
        "max_width": round(width * 1.4),
    }


def _context(request: HttpRequest, source: ProcessDefinition, data: QueryDict, run_form=None) -> dict[str, Any]:
    targets = _targets(source)
    context: dict[str, Any] = {
        "source": source,
        "targets": targets,
        "target": None,
        "can_run": access.can_repair(request.user, process_id=source.bpmn_process_id),
        "run_form": run_form or MigrationRunForm(initial={"canary_size": 10}),
        # one per rendered form: submitting it twice starts one batch
        "submit_token": (data.get("submit_token") if run_form is not None else "") or uuid.uuid4().hex,
        "error": "",
        "rows": [],
        "plan": None,
        "report": None,
        "selection": None,
    }
    wanted = data.get("target", "").strip()
    target = next((d for d in targets if str(d.key) == wanted), None) if wanted else (targets[0] if targets else None)
    if wanted and target is None:
        context["error"] = f"'{wanted}' is not another version of {source.bpmn_process_id}."
        return context
    context["target"] = target
    try:
        selection = _selection(source, data, request.user)
    except DomainError as exc:
        context["error"] = exc.message
        return context
    context["selection"] = selection
    # carried by every form of the page, so checking the mapping keeps the selection
    context["selection_fields"] = (
        [("instance", str(selection.instance.key))] if selection.instance is not None else selection.shown_params
    )
    context["selection_values"] = {name: value for name, value in reversed(selection.shown_params)}
    context["narrow_names"] = NARROW_PARAMS
    context["list_url"] = f"{reverse('operate:instances')}?{_query(selection.filter_params)}"
    active = selectors.diagram_counts_for_definition(source).elements
    context["waiting_choices"] = sorted(k for k, v in active.items() if v.get("active"))
    # waiting tokens and, in red, the open incidents among them (as on the version's page)
    waiting = {k: {"active": v.get("active", 0), "incidents": v.get("incidents", 0)} for k, v in active.items()}
    context["source_diagram"] = _diagram(source, waiting)
    if target is None:
        return context
    context["target_diagram"] = _diagram(target)
    try:
        source_process, target_process = services.process_for(source), services.process_for(target)
        automatic = services.generate_plan(source, target).mapping
    except (BpmnError, DomainError) as exc:
        context["error"] = f"The model of one version cannot be read: {exc}"
        return context
    rows = _rows(source_process, target_process, automatic, data)
    plan = _plan(source, target, rows)
    context.update(rows=rows, plan=plan, row_errors=sum(1 for row in rows if row.error))
    if plan is not None:
        # the report scans every selected instance: past AUTO_CHECK_LIMIT it waits for "Check eligibility"
        selected = selection.instances.filter(state=ProcessInstance.State.ACTIVE, definition_id=source.key).count()
        context["selected_count"] = selected
        if selected <= AUTO_CHECK_LIMIT or data.get("check"):
            context["report"] = eligibility_report(plan, selection.instances)
    return context


def _query(params: dict[str, list[str]]) -> str:
    query = QueryDict(mutable=True)
    for name, values in params.items():
        query.setlist(name, values)
    return query.urlencode()


@viewer_required
def process_migrate(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """GET: the plan, the mapping table and the eligibility report; POST: run it (repair only)."""
    source = _get_source_for_user(request, key)
    if request.method == "POST":
        return _run(request, source)
    context = _context(request, source, request.GET)
    template = f"{PAGE}#plan" if request.htmx and request.htmx.target == "migration-plan" else PAGE
    return render(request, template, context)


def _run(request: HttpRequest, source: ProcessDefinition) -> HttpResponse:
    if not access.can_repair(request.user, process_id=source.bpmn_process_id):
        raise PermissionDenied("You need the operator or admin role on this process to migrate its instances.")
    run_form = MigrationRunForm(request.POST)
    context = _context(request, source, request.POST, run_form)
    plan: MigrationPlan | None = context["plan"]
    selection: Selection | None = context["selection"]
    if plan is None or selection is None:
        if not context["error"]:
            context["error"] = (
                "Choose a target version."
                if context["target"] is None
                else "Correct the mapping rows marked below; nothing was migrated."
            )
        return render(request, PAGE, context, status=400)
    target = context["target"]
    if selection.instance is not None:
        try:
            services.migrate_instance(plan, selection.instance.key, actor=request.user)
        except MigrationRefused as refused:
            problems = refused.report.get(selection.instance.key, [refused.message])
            context["error"] = "This instance cannot be migrated with this mapping: " + "; ".join(problems)
        except DomainError as exc:
            context["error"] = exc.message
        else:
            messages.success(request, f"Instance migrated to v{target.version}.")
            return redirect("operate:instance", key=selection.instance.key)
        return render(request, PAGE, context, status=400)
    if not run_form.is_valid():
        context["error"] = "Please correct the errors below."
        return render(request, PAGE, context, status=400)
    data = run_form.cleaned_data
    params = {
        "target_definition": str(target.key),
        "source_definition": str(source.key),
        "instructions": [list(pair) for pair in plan.instructions],
    }
    try:
        batch = batch_service.create_batch(
            BatchOperation.Kind.MIGRATE,
            selection.filter_params,
            actor=request.user,
            params=params,
            reason=data["reason"],
            limit=data["canary_size"] if data["canary"] else None,
            submit_token=request.POST.get("submit_token", "").strip()[:64],
        )
    except DomainError as exc:
        context["error"] = exc.message
        return render(request, PAGE, context, status=400)
    if getattr(batch, "already_submitted", False):  # a double click or a resent form
        messages.info(request, "This batch was already submitted; nothing new was started.")
        return redirect("operate:batch", key=batch.key)
    what = "Canary batch" if data["canary"] else "Batch"
    messages.success(request, f"{what} started for {batch.total} instance{'s' if batch.total != 1 else ''}.")
    return redirect("operate:batch", key=batch.key)


@repair_required
@require_POST
def batch_migrate_rest(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """After a canary batch: the same filter and mapping, without the limit. What the canary
    migrated is no longer on the source version, so the filter leaves it out by itself."""
    canary = reports.get_batch(key, hidden=access.hidden_processes(request.user))
    if canary is None:
        raise Http404("No such batch.")
    if canary.kind != BatchOperation.Kind.MIGRATE or not canary.params.get("limit"):
        raise Http404("Not a canary migration batch.")
    filter_params = batch_service.batch_filter(canary)
    process_id = (filter_params.get("process") or [""])[-1]
    if not access.can_repair(request.user, process_id=process_id or None):
        raise PermissionDenied("You need the operator or admin role on this process to migrate its instances.")
    if canary.state not in (BatchOperation.State.COMPLETED, BatchOperation.State.CANCELLED):
        messages.error(request, "Wait until the canary batch has finished before migrating the rest.")
        return redirect("operate:batch", key=canary.key)
    expected = request.POST.get("expected", "")
    now = batch_service.count_rest_of_canary(canary, hidden=access.hidden_processes(request.user))
    if expected != str(now):
        # the filter is run again: instances may have reached or left it since the page was drawn
        messages.error(
            request,
            f"The filter now matches {now} instance{'s' if now != 1 else ''} on the source version, not the "
            f"{expected or '?'} shown; check the number and click again. Nothing was started.",
        )
        return redirect("operate:batch", key=canary.key)
    params = {name: value for name, value in canary.params.items() if name not in ("limit", "submit_token")}
    params["rest_of"] = str(canary.key)
    try:
        batch = batch_service.create_batch(
            BatchOperation.Kind.MIGRATE,
            filter_params,
            actor=request.user,
            params=params,
            reason=canary.reason,
            submit_token=f"rest-of-{canary.key}",  # once per canary and person: a second click finds the first batch
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("operate:batch", key=canary.key)
    if getattr(batch, "already_submitted", False):
        messages.info(request, "The rest of this canary was already submitted; nothing new was started.")
        return redirect("operate:batch", key=batch.key)
    messages.success(
        request, f"Batch started for the remaining {batch.total} instance{'s' if batch.total != 1 else ''}."
    )
    return redirect("operate:batch", key=batch.key)
