"""Shared plumbing of the Camunda 7 layer: errors in Camunda's shape, parameters, ids, dates, permissions.

Camunda 7's error body is {"type": "<Java exception class>", "message": "...", "code": null}.
Its statuses: 400 invalid input or state, 401/403 auth, 404 unknown ids, 500 engine errors
(we answer 500 only for bugs, never for bad input), 501 here for the parts we do not implement.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.authentication import BasicAuthentication, SessionAuthentication
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from ... import access
from ...exceptions import AmbiguousCorrelation, DeploymentRefused, DomainError, InvalidState, NoSubscription
from ...exceptions import NotFound as DomainNotFound
from ...models import ProcessDefinition
from ...nul import nul_position


class CamundaError(Exception):
    """An answer in Camunda's error shape."""

    def __init__(self, status: int, type_: str, message: str):
        self.status = status
        self.type = type_
        self.message = message
        super().__init__(message)


def invalid(message: str, type_: str = "InvalidRequestException") -> CamundaError:
    return CamundaError(400, type_, message)


def not_found(message: str) -> CamundaError:
    return CamundaError(404, "InvalidRequestException", message)


def not_implemented(message: str) -> CamundaError:
    return CamundaError(501, "NotImplementedException", message)


def error_response(status: int, type_: str, message: str, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse({"type": type_, "message": message, "code": None}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def domain_to_camunda(exc: DomainError) -> CamundaError:
    if isinstance(exc, DomainNotFound):
        return CamundaError(404, "NotFoundException", exc.message)
    if isinstance(exc, NoSubscription | AmbiguousCorrelation):
        return CamundaError(400, "RestException", exc.message)
    if isinstance(exc, DeploymentRefused):
        return CamundaError(400, "ParseException", "ENGINE-09005 Could not parse BPMN process. Errors: " + exc.message)
    if isinstance(exc, InvalidState):
        return CamundaError(400, "BadUserRequestException", exc.message)
    if exc.status == 403:
        return CamundaError(403, "AuthorizationException", exc.message)
    return CamundaError(400, "InvalidRequestException", exc.message)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, CamundaError):
        return _response(exc.status, exc.type, exc.message)
    if isinstance(exc, DomainError):
        mapped = domain_to_camunda(exc)
        return _response(mapped.status, mapped.type, mapped.message)
    if isinstance(exc, Http404):
        return _response(404, "NotFoundException", str(exc) or "not found")
    if isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied(str(exc) or None)
    if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
        response = _response(401, "AuthenticationException", str(exc.detail))
        response["WWW-Authenticate"] = 'Basic realm="engine-rest"'
        return response
    if isinstance(exc, drf.PermissionDenied):
        return _response(403, "AuthorizationException", str(exc.detail))
    if isinstance(exc, drf.MethodNotAllowed):
        return _response(405, "NotAllowedException", str(exc.detail))
    if isinstance(exc, drf.UnsupportedMediaType):
        return _response(415, "NotSupportedException", str(exc.detail))
    if isinstance(exc, drf.ParseError):
        return _response(400, "InvalidRequestException", f"the request body is not valid JSON: {exc.detail}")
    if isinstance(exc, drf.APIException):
        return _response(exc.status_code, type(exc).__name__, str(exc.detail))
    return None


def _response(status: int, type_: str, message: str) -> Response:
    return Response({"type": type_, "message": message, "code": None}, status=status)


class _LenientJSONParser(JSONParser):
    """Camunda clients send JSON, sometimes without a content type, sometimes an empty body."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        if not raw or not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise drf.ParseError(str(exc)) from None
        where = nul_position(data)  # PostgreSQL text cannot hold NUL: refused here, not a 500 later
        if where is not None:
            raise drf.ParseError(f"JSON strings may not contain NUL (0x00) characters: {where}")
        return data


# -- authentication ------------------------------------------------------------

_CREDENTIALS_TTL = 60.0
_credentials: dict[str, tuple[int, float]] = {}
_credentials_lock = threading.Lock()


class CachedBasicAuthentication(BasicAuthentication):
    """HTTP Basic with the password check remembered for a minute.

    Camunda workers send Basic credentials with every request (a long-polling worker
    several times a minute) and Django's password hash is deliberately slow (~0.3 s of
    CPU). A successful check is remembered per process under an HMAC of the credentials
    (never the password itself) for _CREDENTIALS_TTL seconds; the user is loaded again
    each time, so a deactivated user is refused at once, a changed password within a minute.
    """

    def authenticate_credentials(self, userid, password, request=None):
        digest = hmac.new(settings.SECRET_KEY.encode(), f"{userid}\x00{password}".encode(), hashlib.sha256).hexdigest()
        now = time.monotonic()
        with _credentials_lock:
            hit = _credentials.get(digest)
        if hit is not None and hit[1] > now:
            user = get_user_model().objects.filter(pk=hit[0], is_active=True).first()
            if user is not None:
                return (user, None)
        user, auth = super().authenticate_credentials(userid, password, request)
        with _credentials_lock:
            if len(_credentials) > 10_000:
                _credentials.clear()
            _credentials[digest] = (user.pk, now + _CREDENTIALS_TTL)
        return (user, auth)


# -- permissions ---------------------------------------------------------------

READ = ("view", "work_jobs", "work_tasks")


def require(user, *capabilities: str) -> None:
    """Any one of the capabilities will do; deny by default."""
    if not any(access.has_capability(user, c) for c in capabilities):
        raise drf.PermissionDenied(
            f"user '{access.actor_name(user)}' lacks the permission for this request (needs one of: {', '.join(capabilities)})"
        )


def without_hidden(rows, user, field: str = "bpmn_process_id"):
    """Leave out the rows of processes a rule hides from ``user`` (orchestration.access)."""
    hidden = access.processes_denied(user, "view")
    return rows.exclude(**{f"{field}__in": hidden}) if hidden else rows


class CamundaView(APIView):
    """Base view: Basic or session auth, Camunda's error shape, JSON in and out, GET bodies ignored.

    `capabilities` maps a method to the capabilities any one of which it needs.
    """

    authentication_classes = [CachedBasicAuthentication, SessionAuthentication]
    permission_classes: list = []
    renderer_classes = [JSONRenderer]
    parser_classes = [_LenientJSONParser]
    capabilities: dict[str, tuple[str, ...]] = {"GET": READ}

    def get_exception_handler(self):
        return exception_handler

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.user or not request.user.is_authenticated:
            raise drf.NotAuthenticated("Authentication required: send HTTP Basic credentials")
        needed = self.capabilities.get(request.method) or self.capabilities.get("*")
        if needed is None:
            needed = READ if request.method in ("GET", "HEAD", "OPTIONS") else ("repair",)
        require(request.user, *needed)

    def check_process(self, process_id: str, what: str) -> None:
        """Per-process rules on a write (orchestration.access.check_change): the capabilities
        this method needs, on this process; 404 when a rule hides it, 403 when one refuses."""
        needed = self.capabilities.get(self.request.method) or self.capabilities.get("*") or ("repair",)
        access.check_change(self.request.user, process_id, needed, what=what)

    def body(self) -> dict[str, Any]:
        data = self.request.data
        if data is None or data == {}:
            return {}
        if not isinstance(data, dict):
            raise invalid("the request body must be a JSON object")
        return data


class MultipartCamundaView(CamundaView):
    parser_classes = [MultiPartParser, FormParser, _LenientJSONParser]


# -- parameters ----------------------------------------------------------------


def as_bool(value: Any, name: str) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise invalid(f"Cannot set query parameter '{name}' to value '{value}': not a boolean")


def as_int(value: Any, name: str, *, minimum: int | None = None) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise invalid(f"'{name}' must be a number")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise invalid(f"Cannot set parameter '{name}' to value '{value}': not a number") from None
    if minimum is not None and number < minimum:
        raise invalid(f"'{name}' must be at least {minimum}")
    return number


def as_list(value: Any) -> list[str]:
    """Repeated and comma-separated parameters, and JSON arrays, all give a list of strings."""
    if value is None:
        return []
    items = value if isinstance(value, list | tuple) else [value]
    out: list[str] = []
    for item in items:
        if item is None:
            continue
        if isinstance(item, str):
            out.extend(part.strip() for part in item.split(",") if part.strip())
        else:
            out.append(str(item))
    return out


class Params:
    """Query parameters (GET) or a JSON body (POST queries) under one interface."""

    def __init__(self, source: dict[str, Any], *, is_query: bool):
        self.source = source
        self.is_query = is_query

    @classmethod
    def of_query(cls, request) -> Params:
        return cls({key: request.query_params.getlist(key) for key in request.query_params}, is_query=True)

    @classmethod
    def of_body(cls, body: dict[str, Any]) -> Params:
        return cls(body, is_query=False)

    def scalar(self, name: str) -> Any:
        value = self.source.get(name)
        if self.is_query and isinstance(value, list):
            value = value[-1] if value else None
        return value

    def str(self, name: str) -> str | None:
        value = self.scalar(name)
        return None if value is None or value == "" else str(value)

    def list(self, name: str) -> list[str]:
        return as_list(self.source.get(name))

    def bool(self, name: str) -> bool | None:
        return as_bool(self.scalar(name), name)

    def int(self, name: str, minimum: int | None = None) -> int | None:
        return as_int(self.scalar(name), name, minimum=minimum)

    def has(self, name: str) -> bool:
        return self.source.get(name) not in (None, "", [])


def paginate(items, request) -> Any:
    """firstResult / maxResults from the query string (Camunda pages lists, GET or POST, this way)."""
    first = as_int(request.query_params.get("firstResult"), "firstResult", minimum=0) or 0
    size = as_int(request.query_params.get("maxResults"), "maxResults", minimum=0)
    if size is None:
        return items[first:]
    return items[first : first + size]


# -- ids and dates -------------------------------------------------------------


def parse_uuid(value: Any, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise not_found(f"{what} with id '{value}' does not exist") from None


def maybe_uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def definition_from_id(definition_id: str, user=None) -> ProcessDefinition:
    """'key:version:uuid' (what we hand out) or a bare uuid; with ``user``, a definition whose
    process a rule hides from that user is unknown too."""
    key = maybe_uuid(str(definition_id).rsplit(":", 1)[-1])
    definition = ProcessDefinition.objects.select_related("deployment").filter(key=key).first() if key else None
    if definition is not None and user is not None and access.hides_process(user, definition.bpmn_process_id):
        definition = None
    if definition is None:
        raise CamundaError(404, "RestException", f"No matching definition with id {definition_id}")
    return definition


def definition_keys_of(ids: Iterable[str]) -> list[uuid.UUID]:
    return [k for k in (maybe_uuid(str(i).rsplit(":", 1)[-1]) for i in ids) if k is not None]


def latest_definition_by_key(key: str) -> ProcessDefinition:
    definition = (
        ProcessDefinition.objects.select_related("deployment").filter(bpmn_process_id=key).order_by("-version").first()
    )
    if definition is None:
        raise CamundaError(404, "RestException", f"No matching process definition with key: {key} and no tenant-id")
    return definition


def format_date(value: datetime | None) -> str | None:
    """Camunda 7's default date format: yyyy-MM-dd'T'HH:mm:ss.SSSZ (2026-11-21T10:00:00.000+0000)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def parse_date(value: Any, name: str) -> datetime:
    """Camunda's format, with or without milliseconds, offsets as +0200 or +02:00, or Z."""
    if isinstance(value, datetime):
        return value
    text = str(value or "").strip()
    if not text:
        raise invalid(f"Cannot convert value '{value}' of '{name}' to a date")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if len(text) >= 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"Cannot convert value '{value}' of '{name}' to a date: use yyyy-MM-dd'T'HH:mm:ss.SSSZ") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def link(request, path: str, rel: str = "self") -> dict[str, str]:
    base = request.build_absolute_uri("/engine-rest")
    return {"method": "GET", "href": f"{base}{path}", "rel": rel}
