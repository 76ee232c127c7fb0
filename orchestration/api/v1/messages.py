"""Messages: correlate now (404 when nothing waits), or publish with a time-to-live.

Per-process rules: a message never reaches an instance of a process on which a rule takes
"view", "repair" or "work_jobs" away from the caller, nor starts one on which a rule also
takes "start" away (``access.correlation_excluded``): those do not match, as if they did
not wait. A caller with such rules may not publish with a time-to-live (403): a buffered
message would reach whichever instance subscribes later.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, services
from ...exceptions import PermissionDenied
from .base import WRITE_ERRORS, ApiView, body, errors, variables_field


class CorrelationSerializer(serializers.Serializer):
    processInstanceKey = serializers.UUIDField(source="instance_key")
    elementId = serializers.CharField(source="element_id")
    startedInstance = serializers.BooleanField(source="started", help_text="a message start event created the instance")


class CorrelateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    correlationKey = serializers.CharField(required=False, allow_blank=True, max_length=255)
    businessKey = serializers.CharField(required=False, allow_blank=True, max_length=255)
    processInstanceKey = serializers.UUIDField(required=False)
    variables = variables_field()
    all = serializers.BooleanField(required=False, default=False, help_text="deliver to every waiting instance")


class PublishSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    correlationKey = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)
    variables = variables_field()
    ttlSeconds = serializers.FloatField(
        required=False,
        default=0,
        min_value=0,
        max_value=365 * 24 * 3600,
        help_text="keep it this long for a subscription that opens later",
    )
    messageId = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=255, help_text="refuses a duplicate while buffered"
    )


CorrelateResult = inline_serializer("CorrelateResult", {"correlations": CorrelationSerializer(many=True)})
PublishResult = inline_serializer(
    "PublishResult",
    {
        "correlations": CorrelationSerializer(many=True),
        "buffered": inline_serializer(
            "BufferedMessage",
            {"key": serializers.UUIDField(), "expiresAt": serializers.DateTimeField()},
            allow_null=True,
        ),
    },
)


class MessageCorrelate(ApiView):
    write_capability = "work_jobs"

    @extend_schema(
        request=CorrelateSerializer,
        responses={200: CorrelateResult, **errors(*WRITE_ERRORS)},
        description="404 no_subscription when nothing waits; 409 ambiguous_correlation when several wait and all is false.",
    )
    def post(self, request: Request) -> Response:
        data = body(request, CorrelateSerializer)
        correlations = services.correlate_message(
            data["name"],
            correlation_key=data.get("correlationKey") or None,
            business_key=data.get("businessKey") or None,
            process_instance_key=str(data["processInstanceKey"]) if data.get("processInstanceKey") else None,
            variables=data["variables"],
            all=data["all"],
            actor=request.user,
            exclude_process_ids=access.correlation_excluded(request.user),
            exclude_start_process_ids=access.correlation_excluded(request.user, start=True),
        )
        return Response({"correlations": CorrelationSerializer(correlations, many=True).data})


class MessagePublish(ApiView):
    write_capability = "work_jobs"

    @extend_schema(request=PublishSerializer, responses={200: PublishResult, **errors(*WRITE_ERRORS)})
    def post(self, request: Request) -> Response:
        data = body(request, PublishSerializer)
        excluded = access.correlation_excluded(request.user, start=True)
        if excluded and data["ttlSeconds"] > 0:
            raise PermissionDenied(
                "You may not publish a message with a time-to-live: a per-process rule limits which processes "
                "your messages may reach, and a buffered message would reach whichever instance subscribes later."
            )
        correlations, buffered = services.publish_message(
            data["name"],
            correlation_key=data["correlationKey"],
            variables=data["variables"],
            ttl_seconds=data["ttlSeconds"],
            message_id=data["messageId"],
            actor=request.user,
            exclude_process_ids=access.correlation_excluded(request.user),
            exclude_start_process_ids=excluded,
        )
        return Response(
            {
                "correlations": CorrelationSerializer(correlations, many=True).data,
                "buffered": {"key": buffered.key, "expiresAt": buffered.expires_at} if buffered else None,
            }
        )
