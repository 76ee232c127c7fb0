"""The diagram of a deployment or a process definition as SVG (operate.diagram.render_svg).

Shared by deployments.py and definitions.py: the SVG is the plain model (no
instance overlays, no links), drawn from the deployment's XML, cached per
deployment by operate.diagram_index.
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from ...exceptions import DomainError, NotFound
from ...models import Deployment, ProcessDefinition
from .base import READ_ERRORS, errors

logger = logging.getLogger(__name__)

SVG_CONTENT_TYPE = "image/svg+xml; charset=utf-8"


class DiagramUnavailable(DomainError):
    code = "diagram_unavailable"
    status = 409


def diagram_responses(*statuses: int) -> dict:
    return {
        (200, "image/svg+xml"): OpenApiResponse(str, description="a standalone SVG document"),
        **errors(*statuses, *READ_ERRORS, 404, 409),
    }


def _render(source, process_id: str | None, what: str) -> HttpResponse:  # noqa: ANN001 (DiagramSource)
    from operate.diagram import render_svg

    if source.definitions is None:
        raise DiagramUnavailable(f"the diagram of {what} cannot be drawn: {source.error or 'unreadable BPMN'}")
    try:
        svg = render_svg(source.definitions, process_id, index=source.index, links=False)
    except Exception as exc:  # a drawing bug must not become a 500 for API clients; it is logged
        logger.exception("rendering the diagram of %s failed", what)
        raise DiagramUnavailable(f"the diagram of {what} could not be drawn ({type(exc).__name__})") from exc
    response = HttpResponse(svg, content_type=SVG_CONTENT_TYPE)
    response["Cache-Control"] = "private, max-age=3600"  # a deployment never changes
    response["X-Content-Type-Options"] = "nosniff"
    return response


def definition_svg(definition: ProcessDefinition) -> HttpResponse:
    from operate.diagram_index import source_for_definition

    return _render(
        source_for_definition(definition), definition.bpmn_process_id, f"process definition {definition.key}"
    )


class DeploymentDiagramQuerySerializer(serializers.Serializer):
    processId = serializers.CharField(
        required=False, max_length=255, help_text="the process to draw when the file has several (default: the first)"
    )


def deployment_svg(
    deployment: Deployment, process_id: str | None = None, *, hidden: Collection[str] = ()
) -> HttpResponse:
    """One process of the deployment: `process_id`, else the first DI plane of the file.
    Processes a rule hides (``hidden``) are not drawn, as if not in the file."""
    from operate.diagram_index import load_source, source_for_definition

    definitions = deployment.definitions.order_by("bpmn_process_id")
    if hidden:
        if not definitions.exclude(bpmn_process_id__in=sorted(hidden)).exists():
            raise NotFound(f"deployment {deployment.key} not found")
        definitions = definitions.exclude(bpmn_process_id__in=sorted(hidden))
    if process_id:
        definitions = definitions.filter(bpmn_process_id=process_id)
    definition = definitions.first()
    if definition is None and process_id:
        raise serializers.ValidationError({"processId": [f"'{process_id}' is not a process of this deployment"]})
    source = source_for_definition(definition) if definition is not None else load_source(deployment.xml)
    return _render(source, process_id or None, f"deployment {deployment.key}")
