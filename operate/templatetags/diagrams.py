"""The diagram partial for the instance and process pages.

`{% instance_diagram %}` and `{% definition_diagram %}` read `instance` /
`definition` and the request (for `?element=<id>`) from the page context,
ask the selectors for overlays and render `operate/_diagram.html`. They live
here so the pages get their diagram without their views changing; a view
that wants the context itself can call `instance_diagram_context`.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.http import HttpRequest
from django.utils.safestring import mark_safe

from orchestration import selectors
from orchestration.models import ProcessDefinition, ProcessInstance
from orchestration.replay import ReplayedState

from ..diagram import render_source
from ..diagram_index import DiagramSource, source_for_definition
from ..heatmap import build_heatmap

register = template.Library()

MAX_ELEMENT_ID = 255


def _selected(source: DiagramSource, process_id: str, element_id: str | None) -> dict[str, Any] | None:
    if not element_id:
        return None
    element_id = element_id[:MAX_ELEMENT_ID]
    found = None
    if source.definitions is not None:
        for process in source.definitions.processes:
            if element_id in process.elements and (found is None or process.id == process_id):
                found = process.elements[element_id]
    return {
        "id": element_id,
        "name": found.name if found else None,
        "type": found.type if found else None,
        "known": found is not None,
    }


def _svg(source: DiagramSource, process_id: str, **kwargs: Any) -> tuple[str, str | None]:
    if source.definitions is None:
        return "", source.error or "the BPMN file could not be read"
    try:
        return mark_safe(render_source(source, process_id, **kwargs)), None  # noqa: S308 (escaped by the renderer)
    except Exception as exc:  # a drawing bug must not take the page down
        return "", f"{type(exc).__name__}: {exc}"


def instance_diagram_context(
    instance: ProcessInstance, element_id: str | None, poll_url: str, replayed: ReplayedState | None = None
) -> dict[str, Any]:
    """``replayed`` (a "state as of" replay of the audit log) draws that moment instead of now, without polling."""
    source = source_for_definition(instance.definition)
    if replayed is not None:
        overlays = selectors.DiagramOverlays(replayed.overlays(), frozenset(replayed.taken_flows))
    else:
        overlays = selectors.diagram_overlays_for_instance(instance)
    selected = _selected(source, instance.bpmn_process_id, element_id)
    svg, error = _svg(
        source,
        instance.bpmn_process_id,
        overlays=overlays.elements,
        taken_flows=overlays.taken_flows,
        selected=selected["id"] if selected else None,
    )
    activity = selectors.get_element_activity(instance, selected["id"]) if selected else None
    rows = [(ei, activity.variables.get(ei.key, [])) for ei in activity.element_instances] if activity else []
    return {
        "mode": "instance",
        "svg": svg,
        "error": error,
        "poll": instance.is_active and replayed is None,
        "poll_url": poll_url,
        "selected": selected,
        "activity": activity,
        "element_rows": rows,
        "counts": overlays.elements.get(selected["id"]) if selected else None,
    }


def diagram_poll_url(request: HttpRequest) -> str:
    """The instance page's URL with ``partial=diagram``: the diagram-only answer polling asks for."""
    query = request.GET.copy()
    query.pop("as_of", None)
    query["partial"] = "diagram"
    return f"{request.path}?{query.urlencode()}"


def definition_diagram_context(
    definition: ProcessDefinition, element_id: str | None, overlay: str = "counts"
) -> dict[str, Any]:
    """``overlay`` "duration" colours the elements by median duration (operate.heatmap) instead of counting."""
    source = source_for_definition(definition)
    overlays = selectors.diagram_counts_for_definition(definition, durations=overlay == "duration")
    heatmap = build_heatmap(overlays.elements) if overlay == "duration" else None
    selected = _selected(source, definition.bpmn_process_id, element_id)
    svg, error = _svg(
        source,
        definition.bpmn_process_id,
        overlays=heatmap.overlays if heatmap else overlays.elements,
        selected=selected["id"] if selected else None,
        counts=True,
        link_query="overlay=duration" if heatmap else "",
    )
    return {
        "mode": "definition",
        "overlay": "duration" if heatmap else "counts",
        "heatmap": heatmap,
        "duration_sample": f"{selectors.DURATION_SAMPLE:,}",
        "duration_note": heatmap.overlays.get(selected["id"], {}).get("note") if heatmap and selected else None,
        "svg": svg,
        "error": error,
        "poll": False,
        "selected": selected,
        "activity": None,
        "counts": overlays.elements.get(selected["id"], {}) if selected else None,
    }


@register.inclusion_tag("operate/_diagram.html", takes_context=True)
def instance_diagram(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    data = instance_diagram_context(
        context["instance"], request.GET.get("element"), diagram_poll_url(request), context.get("replayed")
    )
    return {**data, "request": request, "instance": context["instance"]}


@register.inclusion_tag("operate/_diagram.html", takes_context=True)
def definition_diagram(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    data = definition_diagram_context(
        context["definition"], request.GET.get("element"), context.get("overlay", "counts")
    )
    return {**data, "request": request, "definition": context["definition"]}
