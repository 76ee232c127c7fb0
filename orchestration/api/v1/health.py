"""Health: is the database reachable, is the Celery broker reachable. No authentication."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from .base import ApiView

HealthSerializer = inline_serializer(
    "Health",
    {
        "status": serializers.ChoiceField(choices=["ok", "unavailable"]),
        "database": serializers.CharField(),
        "broker": serializers.CharField(),
    },
)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"error: {exc.__class__.__name__}"
    return "ok"


def check_broker() -> str:
    from kombu import Connection

    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            connect_timeout=2,
            transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return f"error: {exc.__class__.__name__}"
    return "ok"


class Health(ApiView):
    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(auth=[], responses={200: HealthSerializer, 503: HealthSerializer})
    def get(self, request: Request) -> Response:
        database, broker = check_database(), check_broker()
        healthy = database == "ok" and broker == "ok"
        body = {"status": "ok" if healthy else "unavailable", "database": database, "broker": broker}
        return Response(body, status=200 if healthy else 503)
