"""Incidents: search (keyset pages), get, resolve (optionally with variable fixes).

Incidents of a process a rule hides from the caller are left out and not found (404);
resolving needs "repair" on the incident's process (403 when a rule takes it away).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, services
from ...exceptions import NotFound
from ...models import Incident
from .base import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiView,
    PageQuerySerializer,
    body,
    errors,
    keyset_page,
    page,
    page_serializer,
    parse_key,
    query,
    variables_field,
)


class IncidentSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    processInstanceKey = serializers.UUIDField(source="instance_id")
    processId = serializers.CharField(source="bpmn_process_id")
    elementId = serializers.CharField(source="element_id")
    elementInstanceKey = serializers.UUIDField(source="element_instance_key")
    jobKey = serializers.UUIDField(source="job_id", allow_null=True)
    type = serializers.CharField()
    message = serializers.CharField()
    details = serializers.CharField()
    fingerprint = serializers.CharField()
    state = serializers.CharField()
    createdAt = serializers.DateTimeField(source="created_at")
    resolvedAt = serializers.DateTimeField(source="resolved_at", allow_null=True)
    resolvedBy = serializers.CharField(source="resolved_by")


IncidentPage = page_serializer(IncidentSerializer, "IncidentPage")


class IncidentQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(choices=Incident.State.choices, required=False)
    processId = serializers.CharField(required=False, max_length=255)
    processInstanceKey = serializers.UUIDField(required=False)
    elementId = serializers.CharField(required=False, max_length=255)
    fingerprint = serializers.CharField(required=False, max_length=255)
    type = serializers.ChoiceField(choices=Incident.Type.choices, required=False)


class ResolveSerializer(serializers.Serializer):
    variables = variables_field(help_text="set on the process scope before the retry")
    retries = serializers.IntegerField(
        required=False, default=1, min_value=1, max_value=100, help_text="retries the job gets again"
    )


class IncidentList(ApiView):
    @extend_schema(
        operation_id="incidents_search",
        parameters=[IncidentQuerySerializer],
        responses={200: IncidentPage, **errors(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        params = query(request, IncidentQuerySerializer)
        incidents = Incident.objects.all()
        hidden = access.processes_denied(request.user, "view")
        if hidden:
            incidents = incidents.exclude(bpmn_process_id__in=hidden)
        for name, column in (
            ("state", "state"),
            ("processId", "bpmn_process_id"),
            ("processInstanceKey", "instance_id"),
            ("elementId", "element_id"),
            ("fingerprint", "fingerprint"),
            ("type", "type"),
        ):
            if params.get(name):
                incidents = incidents.filter(**{column: params[name]})
        rows, cursor = keyset_page(incidents, field="created_at", cursor=params.get("cursor"), limit=params["limit"])
        return Response(page(rows, cursor, IncidentSerializer))


def _get_incident(key: str, user) -> Incident:
    incident = Incident.objects.filter(key=parse_key(key, "incident")).first()
    if incident is None or access.hides_process(user, incident.bpmn_process_id):
        raise NotFound(f"incident {key} not found")
    return incident


class IncidentDetail(ApiView):
    @extend_schema(responses={200: IncidentSerializer, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> Response:
        return Response(IncidentSerializer(_get_incident(key, request.user)).data)


class IncidentResolve(ApiView):
    @extend_schema(
        request=ResolveSerializer,
        responses={200: IncidentSerializer, **errors(*WRITE_ERRORS)},
        description="Retry the job (with retries again) or re-run the failed step; 409 when already resolved.",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, ResolveSerializer)
        incident = access.incident_for_change(request.user, parse_key(key, "incident"))
        incident = services.resolve_incident(
            incident.key, variables=data["variables"], retries=data["retries"], actor=request.user
        )
        return Response(IncidentSerializer(incident).data)
