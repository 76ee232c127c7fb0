"""Operate: the read-only console pages. One function per page.

Every view needs a login and the "view" capability (support, operator, admin);
objects that do not exist are a 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orchestration import access, selectors
from orchestration.models import ProcessDefinition, ProcessInstance

from .forms import InstanceFilterForm


def viewer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-out users go to the login page; users without the view role get a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.can_view(request.user):
            raise PermissionDenied("You need the support, operator or admin role to use Operate.")
        return view(request, *args, **kwargs)

    return wrapper


def _get_definition_for_user(request: HttpRequest, key: uuid.UUID) -> ProcessDefinition:
    """The definition, or 404. Every viewer may see every definition (no tenants yet)."""
    if not access.can_view(request.user):
        raise Http404
    definition = selectors.get_definition(key)
    if definition is None:
        raise Http404("No such process definition.")
    return definition


def _get_instance_for_user(request: HttpRequest, key: uuid.UUID) -> ProcessInstance:
    """The instance, or 404. Every viewer may see every instance (no tenants yet)."""
    if not access.can_view(request.user):
        raise Http404
    instance = selectors.get_instance(key)
    if instance is None:
        raise Http404("No such process instance.")
    return instance


def _template(request: HttpRequest, page: str, partial: str) -> str:
    """htmx requests get only the named partial of the page."""
    return f"{page}#{partial}" if request.htmx else page


@viewer_required
def home(request: HttpRequest) -> HttpResponse:
    context = {
        "counts": selectors.count_instances_by_definition(),
        "incident_groups": selectors.list_open_incident_groups(),
    }
    return render(request, "operate/home.html", context)


@viewer_required
def processes(request: HttpRequest) -> HttpResponse:
    return render(request, "operate/processes.html", {"processes": selectors.list_processes()})


@viewer_required
def process(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    definition = _get_definition_for_user(request, key)
    versions = selectors.list_definitions_with_counts(definition.bpmn_process_id)
    current = next(v for v in versions if v.key == definition.key)
    context = {"definition": definition, "versions": versions, "current": current}
    return render(request, "operate/process.html", context)


@viewer_required
def instances(request: HttpRequest) -> HttpResponse:
    form = InstanceFilterForm(request.GET)
    if form.is_valid():
        page = selectors.list_instances(form.to_filter(), after=form.cleaned_data["after"])
    else:
        page = selectors.InstancePage(instances=[], next_cursor=None)
    next_url = ""
    if page.next_cursor is not None:
        query = request.GET.copy()
        query["after"] = page.next_cursor.encode()
        next_url = f"?{query.urlencode()}"
    first_url = ""
    if request.GET.get("after"):
        query = request.GET.copy()
        query.pop("after")
        first_url = f"?{query.urlencode()}"
    without_fingerprint = request.GET.copy()
    without_fingerprint.pop("fingerprint", None)
    without_fingerprint.pop("after", None)
    context = {
        "form": form,
        "without_fingerprint_url": f"?{without_fingerprint.urlencode()}",
        "page": page,
        "next_url": next_url,
        "first_url": first_url,
        "process_ids": selectors.list_process_ids(),
        "filtered": any(
            request.GET.get(name) for name in ("q", "process", "state", "business_key", "fingerprint")
        ),
    }
    return render(request, _template(request, "operate/instances.html", "results"), context)


@viewer_required
def instance(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    detail = selectors.get_instance_detail(_get_instance_for_user(request, key))
    return render(request, "operate/instance.html", {"detail": detail, "instance": detail.instance})


@viewer_required
def incidents(request: HttpRequest) -> HttpResponse:
    groups = selectors.list_open_incident_groups(recent_per_group=20)
    return render(request, "operate/incidents.html", {"groups": groups})
