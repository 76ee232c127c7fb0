"""Deployments: upload one or more BPMN files (multipart), list, get, the XML as sent and the diagram as SVG."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, services
from ...exceptions import NotFound
from ...models import Deployment
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
from .definitions import DefinitionSerializer
from .diagrams import DeploymentDiagramQuerySerializer, deployment_svg, diagram_responses


class DeploymentSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    name = serializers.CharField()
    resourceName = serializers.CharField(source="resource_name")
    xmlHash = serializers.CharField(source="xml_hash")
    deployedBy = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")
    definitions = DefinitionSerializer(many=True, source="definitions.all")

    def get_deployedBy(self, obj: Deployment) -> str | None:
        return obj.deployed_by.get_username() if obj.deployed_by_id else None


DeploymentPage = page_serializer(DeploymentSerializer, "DeploymentPage")


class DeploymentUploadSerializer(serializers.Serializer):
    resources = serializers.ListField(
        child=serializers.FileField(allow_empty_file=False),
        allow_empty=False,
        help_text="one or more BPMN files (repeat the field)",
    )
    name = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)


DeployResultSerializer = inline_serializer(
    "DeployResult",
    {
        "created": serializers.BooleanField(help_text="false when every file was already deployed unchanged"),
        "deployments": DeploymentSerializer(many=True),
        "definitions": DefinitionSerializer(many=True),
    },
)


def _deployments(user=None):
    """Deployments, without those holding a process a rule hides from ``user``: their XML
    would show the hidden process (the diagram endpoint picks one visible process instead)."""
    rows = Deployment.objects.select_related("deployed_by").prefetch_related("definitions")
    return access.without_hidden_deployments(rows, user)


class DeploymentList(ApiView):
    write_capability = "deploy"
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="deployments_list",
        parameters=[PageQuerySerializer],
        responses={200: DeploymentPage, **errors(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        params = query(request, PageQuerySerializer)
        rows, cursor = keyset_page(
            _deployments(request.user), field="created_at", cursor=params.get("cursor"), limit=params["limit"]
        )
        return Response(page(rows, cursor, DeploymentSerializer))

    @extend_schema(
        request={"multipart/form-data": DeploymentUploadSerializer},
        responses={201: DeployResultSerializer, 200: DeployResultSerializer, **errors(400, 401, 403)},
        description="All files or none: an invalid file refuses the upload with every problem (element id and line).",
    )
    def post(self, request: Request) -> Response:
        data = {
            "resources": request.FILES.getlist("resources") or list(request.FILES.values()),
            "name": request.data.get("name", ""),
        }
        serializer = DeploymentUploadSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        files = serializer.validated_data["resources"]
        results = services.deploy_resources(
            [(f.name or "process.bpmn", f.read()) for f in files],
            actor=request.user,
            name=serializer.validated_data["name"],
        )
        created = any(r.created for r in results)
        deployments = [r.deployment.key for r in results if r.deployment is not None]
        body = {
            "created": created,
            "deployments": DeploymentSerializer(_deployments().filter(key__in=deployments), many=True).data,
            "definitions": DefinitionSerializer([d for r in results for d in r.definitions], many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _get_deployment(key: str, user=None) -> Deployment:
    deployment = _deployments(user).filter(key=parse_key(key, "deployment")).first()
    if deployment is None:
        raise NotFound(f"deployment {key} not found")
    return deployment


class DeploymentDetail(ApiView):
    @extend_schema(responses={200: DeploymentSerializer, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> Response:
        return Response(DeploymentSerializer(_get_deployment(key, request.user)).data)


class DeploymentXml(ApiView):
    renderer_classes = XML_RENDERERS

    @extend_schema(responses={(200, "application/xml"): str, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> HttpResponse:
        deployment = _get_deployment(key, request.user)
        return HttpResponse(deployment.xml, content_type="application/xml; charset=utf-8")


class DeploymentDiagram(ApiView):
    renderer_classes = SVG_RENDERERS

    @extend_schema(
        operation_id="deployments_diagram_svg",
        parameters=[DeploymentDiagramQuerySerializer],
        responses=diagram_responses(400),
        description="The diagram of one process of the deployment as a standalone SVG document (no script).",
    )
    def get(self, request: Request, key: str) -> HttpResponse:
        deployment = _get_deployment(key)
        params = query(request, DeploymentDiagramQuerySerializer)
        return deployment_svg(deployment, params.get("processId"), hidden=access.hidden_processes(request.user))
