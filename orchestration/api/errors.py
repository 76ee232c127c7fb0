"""One exception handler for the native API: every error is {"error": {"code", "message", ...}}.

Domain errors carry their own code and status (orchestration.exceptions);
DRF's validation errors become 400 invalid_input with the offending fields;
authentication and permission failures keep their status (401 with a
WWW-Authenticate header, 403) in the same shape. Anything else is a bug and
stays a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import DeploymentRefused, DomainError

_CODES: dict[type[drf.APIException], str] = {
    drf.NotAuthenticated: "not_authenticated",
    drf.AuthenticationFailed: "authentication_failed",
    drf.PermissionDenied: "permission_denied",
    drf.NotFound: "not_found",
    drf.MethodNotAllowed: "method_not_allowed",
    drf.NotAcceptable: "not_acceptable",
    drf.UnsupportedMediaType: "unsupported_media_type",
    drf.ParseError: "invalid_input",
    drf.Throttled: "throttled",
}


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def domain_error_body(exc: DomainError) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if isinstance(exc, DeploymentRefused):
        extra["problems"] = [{"message": p.message, "elementId": p.element_id, "line": p.line} for p in exc.problems]
    report = getattr(exc, "report", None)
    if isinstance(report, dict):
        extra["report"] = {str(key): list(problems) for key, problems in report.items()}
    return error_body(exc.code, exc.message, **extra)


def domain_error_response(exc: DomainError) -> JsonResponse:
    """For the plain Django (async) views that DRF does not wrap."""
    return JsonResponse(domain_error_body(exc), status=exc.status)


def _flatten(detail: Any) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return "; ".join(_flatten(v) for v in detail)
    return str(detail)


def validation_body(detail: Any) -> dict[str, Any]:
    fields = detail if isinstance(detail, dict) else {"non_field_errors": detail}
    return error_body("invalid_input", f"invalid input: {_flatten(fields)}", fields=fields)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(domain_error_body(exc), status=exc.status)
    if isinstance(exc, drf.ValidationError):
        return Response(validation_body(exc.detail), status=400)
    if isinstance(exc, Http404):
        exc = drf.NotFound(str(exc) or "not found")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied(str(exc) or None)
    # DRF's handler sets the headers (WWW-Authenticate, Allow, Retry-After) and the status.
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf.APIException):
        return response
    code = next((c for cls, c in _CODES.items() if isinstance(exc, cls)), exc.default_code)
    response.data = error_body(code, _flatten(exc.detail))
    return response
