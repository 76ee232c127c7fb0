"""The instance list's extras: CSV export of a filter and saved views."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from orchestration import access
from orchestration.exceptions import DomainError
from orchestration.instance_search import Cursor, filter_instances, order_instances
from orchestration.models import Incident, ProcessInstance, Variable
from orchestration.services import saved_views

from .forms import CsvExportForm, InstanceFilterForm, SavedViewForm
from .permissions import masked_search_refused, viewer_required

_SLICE = 1000


class _Echo:
    """csv.writer target that hands each row back instead of buffering it."""

    def write(self, value: str) -> str:
        return value


def _cell(instance: ProcessInstance, column: str, open_incidents: dict) -> object:
    if column == "key":
        return instance.key
    if column == "process":
        return instance.bpmn_process_id
    if column == "version":
        return instance.definition.version
    if column == "state":
        return "suspended" if instance.suspended and instance.is_active else instance.state
    if column == "incidents":
        return open_incidents.get(instance.key, 0)
    if column == "parent":
        return instance.parent_id or ""
    if column in ("started_at", "ended_at"):
        value = getattr(instance, column)
        return value.isoformat() if value else ""
    return getattr(instance, column)


def _variable_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _rows(filters, columns: list[str], variable_names: list[str], user=None) -> Iterator[list[object]]:
    """Keyset slices of the filtered list, with their variables (process scope) and incident counts.
    Variables ``user`` may not read (``access.masked_names`` of each row's process) are ``access.MASK``."""
    labels = dict(CsvExportForm.base_fields["col"].choices)
    yield [labels[c] for c in columns] + variable_names
    after = None
    hidden = access.hidden_processes(user)  # a rule's hidden processes are not exported
    base = filter_instances(filters, ProcessInstance.objects.select_related("definition"), hidden=hidden)
    while True:
        rows = list(order_instances(base, filters.sort, after)[:_SLICE])
        if not rows:
            return
        keys = [r.key for r in rows]
        values: dict = {}
        if variable_names:
            for instance_key, name, value in Variable.objects.filter(
                instance_id__in=keys, name__in=variable_names, scope_key__in=keys
            ).values_list("instance_id", "name", "value"):
                values[(instance_key, name)] = value
        open_incidents: dict = {}
        if "incidents" in columns:
            for instance_key in Incident.objects.filter(instance_id__in=keys, state=Incident.State.OPEN).values_list(
                "instance_id", flat=True
            ):
                open_incidents[instance_key] = open_incidents.get(instance_key, 0) + 1
        for row in rows:
            hidden = access.masked_names(user, row.bpmn_process_id) if variable_names else frozenset()
            yield [_cell(row, c, open_incidents) for c in columns] + [
                access.MASK if name in hidden else _variable_cell(values.get((row.key, name)))
                for name in variable_names
            ]
        if len(rows) < _SLICE:
            return
        after = Cursor.after_row(rows[-1], filters.sort)


@viewer_required
def instances_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as CSV (streamed): chosen columns, then the chosen variables."""
    form = InstanceFilterForm(request.GET)
    export = CsvExportForm(request.GET)
    if not form.is_valid() or not export.is_valid():
        messages.error(request, "The export's filters or columns are not valid.")
        return redirect(f"{reverse('operate:instances')}?{request.GET.urlencode()}")
    if masked_search_refused(form, request.user):
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('operate:instances')}?{request.GET.urlencode()}")
    writer = csv.writer(_Echo())
    rows = _rows(form.to_filter(), export.columns(), export.variable_names(), request.user)
    response = StreamingHttpResponse((writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="instances-{stamp}.csv"'
    return response


@viewer_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    form = SavedViewForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            view = saved_views.save_view(request.user, data["name"], data["query"], group=data["shared_with_group"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Saved view “{view.name}”.")
            return redirect(f"{reverse('operate:instances')}?{view.query}")
    else:
        messages.error(request, "A saved view needs a name.")
    return redirect(f"{reverse('operate:instances')}?{form.data.get('query', '')}")


@viewer_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    try:
        saved_views.delete_view(request.user, view_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Saved view deleted.")
    return redirect("operate:instances")
