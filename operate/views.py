"""Operate: the console pages. One function per page (actions: actions.py, bulk: bulk.py).

Every view needs a login and the "view" capability (support, operator, admin);
objects that do not exist are a 404.
"""

from __future__ import annotations

import copy
import dataclasses
import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from orchestration import access, instance_search, reports, selectors, services
from orchestration.bpmn.diff import diff_processes
from orchestration.bpmn.errors import BpmnError
from orchestration.bpmn.model import Problem
from orchestration.conf import setting
from orchestration.exceptions import DeploymentRefused, DomainError
from orchestration.instance_search import FILTER_PARAMS
from orchestration.models import ProcessDefinition, ProcessInstance
from orchestration.replay import replay

from . import charts, instance_values
from .audit_timeline import GROUPS as AUDIT_GROUPS
from .audit_timeline import AuditFilter
from .forms import CSV_COLUMNS, DEFAULT_CSV_COLUMNS, AsOfForm, DeployForm, InstanceFilterForm
from .permissions import deploy_required, masked_search_refused, repair_required, viewer_required  # noqa: F401
from .templatetags.diagrams import diagram_poll_url, instance_diagram_context


def _get_definition_for_user(request: HttpRequest, key: uuid.UUID) -> ProcessDefinition:
    """The definition, or 404 (also when a per-process rule hides its process: as if unknown)."""
    if not access.can_view(request.user):
        raise Http404
    definition = selectors.get_definition(key)
    if definition is None or access.hides_process(request.user, definition.bpmn_process_id):
        raise Http404("No such process definition.")
    return definition


def _get_instance_for_user(request: HttpRequest, key: uuid.UUID) -> ProcessInstance:
    """The instance, or 404 (also when a per-process rule hides its process: as if unknown)."""
    if not access.can_view(request.user):
        raise Http404
    instance = selectors.get_instance(key)
    if instance is None or access.hides_process(request.user, instance.bpmn_process_id):
        raise Http404("No such process instance.")
    if instance.parent is not None and access.hides_process(request.user, instance.parent.bpmn_process_id):
        instance.parent = None  # shown only: a caller of a hidden process is not linked
    return instance


def _template(request: HttpRequest, page: str, partial: str) -> str:
    """htmx requests get only the named partial of the page."""
    return f"{page}#{partial}" if request.htmx else page


def dashboard_context(hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Tiles, incident groups and charts, without the ``hidden`` processes (``access.hidden_processes``)."""
    throughput = reports.count_throughput_per_minute(hidden=hidden)
    return {
        "counts": selectors.count_instances_by_definition(hidden=hidden),
        "incident_groups": selectors.list_open_incident_groups(hidden=hidden),
        "throughput_chart": charts.throughput_figure(throughput.minutes, throughput.started, throughput.completed),
        "duration_chart": charts.duration_figure(reports.list_completed_durations(hidden=hidden)),
    }


@viewer_required
def home(request: HttpRequest) -> HttpResponse:
    """The dashboard; htmx polls it for the ``live`` partial (tiles, charts, tables)."""
    context = dashboard_context(access.hidden_processes(request.user))
    return render(request, _template(request, "operate/home.html", "live"), context)


def _processes_context(request: HttpRequest, deploy_form: DeployForm | None = None, **extra: Any) -> dict[str, Any]:
    can_deploy = access.can_deploy(request.user)
    if can_deploy and deploy_form is None:
        deploy_form = DeployForm(max_bytes=setting("MAX_XML_BYTES"))
    return {
        "processes": selectors.list_processes(hidden=access.hidden_processes(request.user)),
        "can_deploy": can_deploy,
        "deploy_form": deploy_form if can_deploy else None,
        **extra,
    }


@viewer_required
def processes(request: HttpRequest) -> HttpResponse:
    """Definitions with their versions; admins get the upload form (it posts to ``process_deploy``)."""
    return render(request, "operate/processes.html", _processes_context(request))


@require_POST
@deploy_required
def process_deploy(request: HttpRequest) -> HttpResponse:
    """Deploy one uploaded BPMN file: all of it or nothing. Success redirects to the (new or
    unchanged) definition with a message; a refusal re-renders the Processes page with every
    problem (element id and line), status 400."""
    form = DeployForm(request.POST, request.FILES, max_bytes=setting("MAX_XML_BYTES"))
    problems: list[Problem] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        resource_name = (upload.name or "upload.bpmn")[:255]
        try:
            result = services.deploy(form.xml(), actor=request.user, resource_name=resource_name)
        except DeploymentRefused as refused:
            problems = list(refused.problems)
        except DomainError as exc:
            problems = [Problem(exc.message)]
        else:
            names = ", ".join(f"{d.bpmn_process_id} v{d.version}" for d in result.definitions)
            if result.created:
                versions = ", ".join(f"version {d.version}" for d in result.definitions)
                messages.success(request, f"{versions} deployed ({names}).")
            else:
                messages.info(request, f"Unchanged: {names} is already this file; nothing was deployed.")
            return redirect("operate:process", result.definitions[0].key)
    context = _processes_context(request, form, problems=problems, upload_failed=True)
    return render(request, "operate/processes.html", context, status=400)


@viewer_required
def process_diff(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """What changed between two versions: ``?against=<key>`` names the other one; the older
    version is the base whichever way round they are given. Without it, the previous version
    (or, for the first version, the next one) is the other."""
    definition = _get_definition_for_user(request, key)
    versions = selectors.list_definitions_with_counts(definition.bpmn_process_id)
    context: dict[str, Any] = {"definition": definition, "versions": versions, "diff": None, "error": ""}
    against_text = request.GET.get("against", "").strip()
    if not against_text:
        older = [v for v in versions if v.version < definition.version]
        newer = [v for v in versions if v.version > definition.version]
        if older or newer:
            default = max(older, key=lambda v: v.version) if older else min(newer, key=lambda v: v.version)
            against_text = str(default.key)
    if against_text:
        try:
            other = _get_definition_for_user(request, uuid.UUID(against_text))
        except ValueError:
            raise Http404("Not a definition key.") from None
        old, new = (other, definition) if other.version <= definition.version else (definition, other)
        context.update(old=old, new=new, against=other)
        try:
            context["diff"] = diff_processes(services.process_for(old), services.process_for(new))
        except (BpmnError, DomainError, KeyError) as exc:
            context["error"] = f"The model of one version cannot be read: {exc}"
    return render(request, "operate/process_diff.html", context)


DIAGRAM_OVERLAYS = ("counts", "duration")


@viewer_required
def process(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """One version: facts, its diagram and the other versions. ``?overlay=duration`` colours the
    diagram by how long each element takes (median of its completed element instances)
    instead of counting them; anything else is the counts."""
    definition = _get_definition_for_user(request, key)
    versions = selectors.list_definitions_with_counts(definition.bpmn_process_id)
    current = next(v for v in versions if v.key == definition.key)
    overlay = request.GET.get("overlay", "counts")
    context = {
        "definition": definition,
        "versions": versions,
        "current": current,
        "overlay": overlay if overlay in DIAGRAM_OVERLAYS else "counts",
    }
    return render(request, "operate/process.html", context)


MORE_FILTERS = ("v", "started_from", "started_to", "ended_from", "ended_to", "error", "parent", "element", "version")


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@viewer_required
def instances(request: HttpRequest) -> HttpResponse:
    hidden = access.hidden_processes(request.user)  # a rule's hidden processes: left out, as if absent
    form = InstanceFilterForm(request.GET)
    if form.is_valid() and not masked_search_refused(form, request.user):
        filters = form.to_filter()
        page = selectors.list_instances(filters, after=form.cleaned_data["after"], hidden=hidden)
        # "where is ORD-4523?": a search that finds exactly one case opens it
        if (
            filters.is_search_only
            and not request.GET.get("after")
            and len(page.instances) == 1
            and not page.next_cursor
        ):
            target = reverse("operate:instance", args=[page.instances[0].key])
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
        # "BULK-1" also starts BULK-10..19: the one exact business key opens, the rest a link away
        if filters.is_search_only and not request.GET.get("after") and page.instances:
            exact = instance_search.exact_business_key_match(filters.q, hidden=hidden)
            if exact is not None:
                listing = f"{reverse('operate:instances')}?{urlencode({'business_key': filters.q})}"
                messages.info(
                    request,
                    format_html('Opened {}. <a href="{}">Show all starting with {}</a>', filters.q, listing, filters.q),
                )
                target = reverse("operate:instance", args=[exact.key])
                return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
    else:
        filters = None
        page = selectors.InstancePage(instances=[], next_cursor=None)
    next_url = ""
    if page.next_cursor is not None:
        query = request.GET.copy()
        query["after"] = page.next_cursor.encode()
        next_url = f"?{query.urlencode()}"
    first_url = f"?{_query_without(request, 'after')}" if request.GET.get("after") else ""
    filter_query = _query_without(request, "after")
    matching = _matching(filters, page, hidden, first_page=not request.GET.get("after"))
    conditions = [text for text in request.GET.getlist("v") if text.strip()]
    context = {
        "form": form,
        "without_fingerprint_url": f"?{_query_without(request, 'fingerprint', 'after')}",
        "page": page,
        "next_url": next_url,
        "first_url": first_url,
        "process_ids": selectors.list_process_ids(hidden=hidden),
        "filtered": filters is not None and not filters.is_empty,
        "filter_query": filter_query,
        "filter_pairs": [(k, v) for k, values in request.GET.lists() if k in FILTER_PARAMS for v in values if v],
        "more_filters": any(request.GET.get(n) for n in MORE_FILTERS),
        # two empty rows when none is set, so "a AND b" / "a OR b" can be written at once
        "conditions": conditions + [""] * max(1, 2 - len(conditions)),
        "matching": matching,
        **_match_label(matching),
        "saved_views": reports.list_saved_views(request.user),
        "csv_columns": CSV_COLUMNS,
        "default_csv_columns": DEFAULT_CSV_COLUMNS,
        "can_repair": access.can_repair(request.user),
    }
    return render(request, _template(request, "operate/instances.html", "results"), context)


# the instance list counts matches only this far (COUNT over LIMIT cap+1): an exact count
# over a broad filter at a million rows would cost more than the page itself. At 1M rows the
# capped count takes under 5 ms for most filters and 30-40 ms for state=incident (its EXISTS
# on incidents); 10,000 doubled that, so the cap stays at 1,000 ("1,000+ instances match").
MATCH_COUNT_CAP = 1_000


def _matching(filters, page: selectors.InstancePage, hidden, *, first_page: bool) -> int | None:
    """How many instances match (above MATCH_COUNT_CAP: "more"), or None for an invalid filter.
    A first page with no next page is the whole answer: no count query then."""
    if filters is None:
        return None
    if first_page and page.next_cursor is None:
        return len(page.instances)
    return selectors.count_instances_capped(filters, cap=MATCH_COUNT_CAP, hidden=hidden)


def _match_label(matching: int | None) -> dict[str, str]:
    """("10,000+", "instances match") / ("1", "instance matches") for the list's count line."""
    if not matching:
        return {"match_count": "", "match_count_rest": ""}
    if matching > MATCH_COUNT_CAP:
        return {"match_count": f"{MATCH_COUNT_CAP:,}+", "match_count_rest": "instances match"}
    rest = "instance matches" if matching == 1 else "instances match"
    return {"match_count": f"{matching:,}", "match_count_rest": rest}


def instance_page_context(request: HttpRequest, detail: selectors.InstanceDetail, **bound_forms) -> dict[str, Any]:
    """Everything the instance page shows; the action views re-render it with a form that failed."""
    from .actions import action_context

    detail = masked_detail(request.user, detail)
    context = {"detail": detail, "instance": detail.instance, "audit_groups": list(AUDIT_GROUPS.items())}
    context.update(action_context(request, detail, **bound_forms))
    return context


def masked_detail(user, detail: selectors.InstanceDetail) -> selectors.InstanceDetail:
    """The detail with the values of the variables this user may not read (``MaskedVariable``)
    replaced by ``access.MASK``, in every scope and in the audit log's diffs; copies, the
    rows themselves are left alone. The same detail when nothing is masked."""
    hidden = access.masked_names(user, detail.instance.bpmn_process_id)
    if not hidden:
        return detail
    scopes = []
    for scope in detail.scopes:
        shown = []
        for variable in scope.variables:
            if variable.name in hidden:
                variable = copy.copy(variable)
                variable.value = access.MASK
                variable.masked = True
            shown.append(variable)
        scopes.append(dataclasses.replace(scope, variables=shown))
    events = []
    for event in detail.audit_events:
        data = access.mask_audit_data(user, detail.instance.bpmn_process_id, event.data)
        if data is not event.data:
            event = copy.copy(event)
            event.data = data
        events.append(event)
    return dataclasses.replace(detail, scopes=scopes, audit_events=events)


INSTANCE_PARTIALS = {"live": "operate/instance.html#live", "audit": "operate/instance.html#audit"}


@viewer_required
def instance(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    """The instance page. The ``#live`` panels poll it for their partial (title and header come out of
    band); the diagram polls ``?partial=diagram``, which answers with the diagram alone and runs
    only its queries (no trigger once the instance has ended, so polling stops).

    ``?as_of=<ISO datetime>`` draws the diagram as the audit log says it was at that moment;
    ``?audit_group=&audit_element=&audit_actor=`` filter the audit timeline (htmx swaps only
    ``#audit``); ``?variable=<name>&scope=<key>`` answers with one variable's full value."""
    instance = _get_instance_for_user(request, key)
    if request.GET.get("partial") == "diagram":
        data = instance_diagram_context(instance, request.GET.get("element"), diagram_poll_url(request))
        return render(request, "operate/_diagram.html", {**data, "instance": instance})
    if "variable" in request.GET:  # "show full value" of one variable
        return instance_values.variable_value(request, instance)
    audit_filter = AuditFilter.from_request(request)
    detail = selectors.get_instance_detail(
        instance,
        hidden=access.hidden_processes(request.user),
        audit_types=audit_filter.types,
        audit_element=audit_filter.element,
        audit_actor=audit_filter.actor,
    )
    target = request.htmx.target if request.htmx else None
    template = INSTANCE_PARTIALS.get(target or "", "operate/instance.html")
    context = instance_page_context(request, detail)
    context["audit_filter"] = audit_filter
    # the live poll sends the actions panel's signature: a changed one gets the panel out of band
    context["actions_oob"] = target == "live" and request.GET.get("seen") != context.get("actions_signature")
    as_of_form = AsOfForm(request.GET if request.GET.get("as_of") else None)
    context["as_of_form"] = as_of_form
    if as_of_form.is_bound and as_of_form.is_valid() and as_of_form.cleaned_data["as_of"]:
        as_of = as_of_form.cleaned_data["as_of"]
        context["replayed"] = replay(selectors.list_audit_events_until(detail.instance, as_of), as_of)
    return render(request, template, context)


@viewer_required
def incidents(request: HttpRequest) -> HttpResponse:
    """The triage board: open incidents grouped by fingerprint, with a 24 h sparkline each,
    and the jobs still retrying (incidents in the making)."""
    hidden = access.hidden_processes(request.user)
    groups = reports.list_incident_board(hidden=hidden)
    for group in groups:
        group.spark = charts.sparkline(group.hourly)
    context = {
        "groups": groups,
        "retrying": reports.list_retrying_jobs(hidden=hidden),
        "can_repair": access.can_repair(request.user),
    }
    return render(request, _template(request, "operate/incidents.html", "board"), context)
