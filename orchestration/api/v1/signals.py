"""Signals: broadcast to every waiting instance and signal start event.

A signal reaches every process, so a caller with a per-process rule that takes "view",
"repair", "work_jobs" or "start" away anywhere may not broadcast (403,
``access.check_broadcast``).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, services
from .base import WRITE_ERRORS, ApiView, body, errors, variables_field


class BroadcastSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=255)
    variables = variables_field()


BroadcastResult = inline_serializer(
    "BroadcastResult",
    {"delivered": serializers.IntegerField(help_text="waiting instances reached plus instances started")},
)


class SignalBroadcast(ApiView):
    write_capability = "work_jobs"

    @extend_schema(request=BroadcastSerializer, responses={200: BroadcastResult, **errors(*WRITE_ERRORS)})
    def post(self, request: Request) -> Response:
        data = body(request, BroadcastSerializer)
        access.check_broadcast(request.user)
        delivered = services.broadcast_signal(data["name"], variables=data["variables"], actor=request.user)
        return Response({"delivered": delivered})
