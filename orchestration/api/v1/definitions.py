"""Process definitions: list (by process id, latest only), get, the XML of their deployment, the diagram as SVG."""

from __future__ import annotations

from django.db.models import Max, OuterRef, Subquery
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access
from ...exceptions import NotFound
from ...models import Deployment, ProcessDefinition
from .base import (
    READ_ERRORS,
    SVG_RENDERERS,
    XML_RENDERERS,
    ApiView,
    PageQuerySerializer,
    errors,
    keyset_page,
    page,
    page_serializer,
    parse_key,
    query,
)
from .diagrams import definition_svg, diagram_responses


class DefinitionSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    processId = serializers.CharField(source="bpmn_process_id")
    version = serializers.IntegerField()
    name = serializers.CharField()
    versionTag = serializers.CharField(source="version_tag")
    deploymentKey = serializers.UUIDField(source="deployment_id")
    flavour = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")


DefinitionPage = page_serializer(DefinitionSerializer, "DefinitionPage")


class DefinitionQuerySerializer(PageQuerySerializer):
    processId = serializers.CharField(required=False, max_length=255)
    latest = serializers.BooleanField(
        required=False, default=False, help_text="only the newest version of each process"
    )


class DefinitionList(ApiView):
    @extend_schema(
        operation_id="process_definitions_list",
        parameters=[DefinitionQuerySerializer],
        responses={200: DefinitionPage, **errors(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        params = query(request, DefinitionQuerySerializer)
        definitions = ProcessDefinition.objects.all()
        hidden = access.hidden_processes(request.user)
        if hidden:
            definitions = definitions.exclude(bpmn_process_id__in=sorted(hidden))
        if params.get("processId"):
            definitions = definitions.filter(bpmn_process_id=params["processId"])
        if params["latest"]:
            newest = (
                ProcessDefinition.objects.filter(bpmn_process_id=OuterRef("bpmn_process_id"))
                .order_by()
                .values("bpmn_process_id")
                .annotate(v=Max("version"))
                .values("v")
            )
            definitions = definitions.filter(version=Subquery(newest))
        rows, cursor = keyset_page(definitions, field="created_at", cursor=params.get("cursor"), limit=params["limit"])
        return Response(page(rows, cursor, DefinitionSerializer))


def get_definition(key: str, user=None) -> ProcessDefinition:  # noqa: ANN001 (a user)
    """The definition, or NotFound; also when a rule hides its process from ``user`` (if given)."""
    definition = ProcessDefinition.objects.filter(key=parse_key(key, "process definition")).first()
    if definition is None or (user is not None and access.hides_process(user, definition.bpmn_process_id)):
        raise NotFound(f"process definition {key} not found")
    return definition


class DefinitionDetail(ApiView):
    @extend_schema(responses={200: DefinitionSerializer, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> Response:
        return Response(DefinitionSerializer(get_definition(key, request.user)).data)


class DefinitionXml(ApiView):
    renderer_classes = XML_RENDERERS

    @extend_schema(responses={(200, "application/xml"): str, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> HttpResponse:
        definition = get_definition(key, request.user)
        xml = Deployment.objects.values_list("xml", flat=True).get(key=definition.deployment_id)
        return HttpResponse(xml, content_type="application/xml; charset=utf-8")


class DefinitionDiagram(ApiView):
    renderer_classes = SVG_RENDERERS

    @extend_schema(
        operation_id="process_definitions_diagram_svg",
        responses=diagram_responses(),
        description="The diagram of this process as a standalone SVG document (no script, no instance overlays).",
    )
    def get(self, request: Request, key: str) -> HttpResponse:
        return definition_svg(get_definition(key, request.user))
