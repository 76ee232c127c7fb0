"""What every /api/v1 view shares: authentication, capabilities, errors, keyset pages.

Views are small APIViews: an input serializer, one service call (or a
selector for reads), an output serializer. Permissions are the console's
(orchestration.access) by HTTP method: each view names the capability its
reads and its writes need.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import uuid
from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import OpenApiResponse
from rest_framework import authentication, permissions, renderers, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from ... import access
from ..errors import exception_handler

AUTHENTICATION_CLASSES = [
    # Token first: an anonymous request gets 401 with "WWW-Authenticate: Token" (no browser prompt).
    authentication.TokenAuthentication,
    authentication.BasicAuthentication,
    authentication.SessionAuthentication,
]


def has_capability(user, capability: str) -> bool:
    """The console's capabilities (orchestration.access); "work_jobs" is what a service
    account does: start instances, correlate messages, activate and complete jobs."""
    return access.has_capability(user, capability)


class HasCapability(permissions.BasePermission):
    message = "You do not have the role this action needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not hasattr(view, request.method.lower()):
            return True  # the view answers 405
        capability = view.read_capability if request.method in permissions.SAFE_METHODS else view.write_capability
        if capability is None:
            return True
        allowed = has_capability(request.user, capability)
        if not allowed:
            self.message = f"You need the '{capability}' capability for this action ({_roles_for(capability)})."
        return allowed


def _roles_for(capability: str) -> str:
    roles = sorted(access.CAPABILITIES[capability])
    return " or ".join(roles) + " role"


class ApiView(APIView):
    authentication_classes = AUTHENTICATION_CLASSES
    permission_classes = [permissions.IsAuthenticated, HasCapability]
    read_capability: str | None = "view"
    write_capability: str | None = "repair"

    def get_exception_handler(self):
        return exception_handler


# -- serializers every resource uses ------------------------------------------------


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(required=False, help_text="invalid_input: the message per field")
    problems = serializers.ListField(
        child=serializers.DictField(),
        required=False,
        help_text="deployment_refused: every problem with element id and line",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    text = {
        400: "Invalid input",
        401: "Not authenticated",
        403: "Missing role",
        404: "Not found",
        409: "Not in a state that allows this",
    }
    return {status: OpenApiResponse(ErrorSerializer, description=text.get(status, "")) for status in statuses}


READ_ERRORS = (401, 403)
WRITE_ERRORS = (400, 401, 403, 404, 409)


def variables_field(**kwargs: Any) -> serializers.DictField:
    kwargs.setdefault("required", False)
    kwargs.setdefault("default", dict)
    kwargs.setdefault("help_text", "name -> JSON value")
    return serializers.DictField(child=serializers.JSONField(), **kwargs)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)


# -- keyset pagination -------------------------------------------------------------------

MAX_LIMIT = 200


class PageQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, help_text="nextCursor of the previous page")
    limit = serializers.IntegerField(required=False, default=50, min_value=1, max_value=MAX_LIMIT)


def page_serializer(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """A {items, nextCursor} response type for the schema."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "items": item(many=True),
            "nextCursor": serializers.CharField(
                allow_null=True, help_text="pass as cursor for the next page; null on the last"
            ),
        },
    )


def encode_cursor(*values: Any) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, dt.datetime) else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, count: int) -> list[str]:
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != count or not all(isinstance(v, str) for v in values):
        raise serializers.ValidationError({"cursor": ["not a cursor this list returned"]})
    return values


def keyset_page(queryset: QuerySet, *, field: str, cursor: str | None, limit: int) -> tuple[list, str | None]:
    """Newest first on (field, key): one indexed range query per page, stable under inserts."""
    if cursor:
        stamp, key = decode_cursor(cursor, 2)
        try:
            moment = dt.datetime.fromisoformat(stamp)
            key_value = uuid.UUID(key)
        except ValueError:
            raise serializers.ValidationError({"cursor": ["not a cursor this list returned"]}) from None
        if moment.tzinfo is None:
            raise serializers.ValidationError({"cursor": ["not a cursor this list returned"]})
        queryset = queryset.filter(Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "key__lt": key_value}))
    rows = list(queryset.order_by(f"-{field}", "-key")[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(getattr(last, field), last.key)


def page(items: list, next_cursor: str | None, serializer: type[serializers.Serializer], **context: Any) -> dict:
    return {"items": serializer(items, many=True, context=context).data, "nextCursor": next_cursor}


def parse_key(value: str, what: str) -> uuid.UUID:
    """Path keys are UUIDs; anything else is a 404 (the object cannot exist)."""
    from ...exceptions import NotFound

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"{what} {value} not found") from None


def query(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def body(request: Request, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
    data = request.data
    if not isinstance(data, dict) and not hasattr(data, "getlist"):
        raise serializers.ValidationError({"non_field_errors": ["the body must be a JSON object"]})
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class XmlRenderer(renderers.BaseRenderer):
    """Lets clients ask for application/xml on the XML endpoints (errors stay JSON text)."""

    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str | bytes):
            return data
        return json.dumps(data)


XML_RENDERERS = [renderers.JSONRenderer, XmlRenderer]


class SvgRenderer(renderers.BaseRenderer):
    """Lets clients ask for image/svg+xml on the diagram endpoints (errors stay JSON text)."""

    media_type = "image/svg+xml"
    format = "svg"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, str | bytes):
            return data
        return json.dumps(data)


SVG_RENDERERS = [renderers.JSONRenderer, SvgRenderer]
