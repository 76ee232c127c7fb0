"""Jobs for external workers: activate with long polling, complete, fail, throw a BPMN error, extend the lock.

Activation is an async Django view (DRF has no async views): under an ASGI
server (uvicorn) a waiting request costs no thread, only a coroutine that
checks the database when a job of its type is announced (orchestration.notify)
and at least every second, and answers as soon as it has jobs or the timeout
passes. It authenticates and validates exactly like the DRF views and answers
errors in the same shape. The other job commands are ordinary DRF views; each needs
"work_jobs" on the job's process (a rule that takes it away: 403; one that hides the
process: 404).
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import exceptions as drf_exceptions
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, notify, services
from ...exceptions import DomainError
from ..errors import domain_error_response, error_body, validation_body
from .base import (
    AUTHENTICATION_CLASSES,
    WRITE_ERRORS,
    ApiView,
    body,
    errors,
    has_capability,
    parse_key,
    variables_field,
)

MAX_TIMEOUT_MS = 300_000
MAX_LOCK_SECONDS = 7 * 24 * 3600


class ActivateSerializer(serializers.Serializer):
    type = serializers.CharField(max_length=255, help_text="the job type (Camunda 7: the topic)")
    worker = serializers.CharField(max_length=255, help_text="a name for this worker; it owns the locks")
    maxJobs = serializers.IntegerField(required=False, default=10, min_value=1, max_value=1000)
    lockSeconds = serializers.IntegerField(
        required=False, default=None, allow_null=True, min_value=1, max_value=MAX_LOCK_SECONDS
    )
    timeoutMs = serializers.IntegerField(
        required=False,
        default=0,
        min_value=0,
        max_value=MAX_TIMEOUT_MS,
        help_text="long polling: wait up to this long for a job",
    )
    businessKey = serializers.CharField(required=False, allow_null=True, default=None, max_length=255)
    processIds = serializers.ListField(
        child=serializers.CharField(max_length=255), required=False, default=list, max_length=100
    )


class ActivatedJobSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    type = serializers.CharField()
    processInstanceKey = serializers.UUIDField(source="instance_id")
    processDefinitionKey = serializers.UUIDField(source="definition_id")
    processId = serializers.CharField(source="bpmn_process_id")
    businessKey = serializers.CharField(source="business_key")
    elementId = serializers.CharField(source="element_id")
    elementInstanceKey = serializers.UUIDField(source="element_instance_key")
    retries = serializers.IntegerField()
    attempt = serializers.IntegerField(source="attempts")
    headers = serializers.DictField(child=serializers.JSONField())
    worker = serializers.CharField(source="lock_owner")
    lockExpiresAt = serializers.DateTimeField(source="lock_expires_at")
    variables = serializers.DictField(child=serializers.JSONField())


ActivateResult = inline_serializer("ActivateResult", {"jobs": ActivatedJobSerializer(many=True)})


class JobActivate(ApiView):
    """Documents POST /jobs/activate for the schema; the URL serves `activate_jobs` below."""

    write_capability = "work_jobs"

    @extend_schema(
        request=ActivateSerializer,
        responses={200: ActivateResult, **errors(400, 401, 403)},
        description=(
            "Fetch and lock up to maxJobs activatable jobs of a type. With timeoutMs the request is held until a job "
            "is available (answered at once) or the timeout passes (answered with no jobs)."
        ),
    )
    def post(self, request: Request) -> Response:  # pragma: no cover - never routed
        raise NotImplementedError


def _authenticate(request: HttpRequest) -> tuple[object | None, JsonResponse | None]:
    """DRF's authenticators and the "work_jobs" capability, on a plain Django request."""
    drf_request = Request(request, authenticators=[cls() for cls in AUTHENTICATION_CLASSES])
    try:
        user = drf_request.user
    except drf_exceptions.AuthenticationFailed as exc:
        return None, _unauthenticated("authentication_failed", str(exc.detail))
    except drf_exceptions.APIException as exc:  # a session without a CSRF token
        return None, JsonResponse(error_body("permission_denied", str(exc.detail)), status=exc.status_code)
    if not user or not user.is_authenticated:
        return None, _unauthenticated("not_authenticated", "Authentication credentials were not provided.")
    if not has_capability(user, "work_jobs"):
        message = "You need the 'work_jobs' capability for this action (operator, admin or worker role)."
        return None, JsonResponse(error_body("permission_denied", message), status=403)
    return user, None


def _unauthenticated(code: str, message: str) -> JsonResponse:
    response = JsonResponse(error_body(code, message), status=401)
    response["WWW-Authenticate"] = 'Token realm="api"'
    return response


def _activate_once(data: dict, excluded: frozenset[str] = frozenset()) -> list[dict]:
    from ...tasks import job_variables

    jobs = services.activate_jobs(
        data["type"],
        worker=data["worker"],
        max_jobs=data["maxJobs"],
        lock_seconds=data["lockSeconds"],
        business_key=data["businessKey"],
        bpmn_process_ids=data["processIds"] or None,
        exclude_process_ids=excluded,
    )
    for job in jobs:
        job.variables = job_variables(job)
    result = ActivatedJobSerializer(jobs, many=True).data
    if not jobs and not connection.in_atomic_block:
        # A waiting request must not hold a database connection: there may be hundreds.
        connection.close()
    return result


@csrf_exempt
async def activate_jobs(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        response = JsonResponse(error_body("method_not_allowed", f'Method "{request.method}" not allowed.'), status=405)
        response["Allow"] = "POST, OPTIONS"
        return response
    user, refusal = await sync_to_async(_authenticate)(request)
    if refusal is not None:
        return refusal
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        return JsonResponse(error_body("invalid_input", f"JSON parse error - {exc}"), status=400)
    if not isinstance(payload, dict):
        return JsonResponse(validation_body({"non_field_errors": ["the body must be a JSON object"]}), status=400)
    serializer = ActivateSerializer(data=payload)
    if not serializer.is_valid():
        return JsonResponse(validation_body(serializer.errors), status=400)
    data = serializer.validated_data
    # jobs of processes a rule takes "work_jobs" (or "view") away on are not handed to this worker
    excluded = await sync_to_async(access.activation_excluded)(user)
    activate = sync_to_async(_activate_once)
    # A deployment may cap the wait below the documented maximum (e.g. under a proxy's idle timeout);
    # clients treat an empty answer as "poll again".
    wait_ms = min(data["timeoutMs"], getattr(settings, "API_LONG_POLL_MAX_MS", MAX_TIMEOUT_MS))
    deadline = time.monotonic() + wait_ms / 1000
    try:
        jobs = await activate(data, excluded)
        if jobs or wait_ms <= 0:
            return JsonResponse({"jobs": jobs})
        async with notify.JobWaiter([data["type"]]) as waiter:
            while True:
                jobs = await activate(data, excluded)
                remaining = deadline - time.monotonic()
                if jobs or remaining <= 0:
                    return JsonResponse({"jobs": jobs})
                await waiter.wait(remaining)
    except DomainError as exc:
        return domain_error_response(exc)
    except asyncio.CancelledError:
        # The client went away (ASGI disconnect): nothing was locked for it in this round.
        raise


activate_jobs.cls = JobActivate  # drf-spectacular documents the async view through this class
activate_jobs.initkwargs = {}


# -- commands on one job ------------------------------------------------------------------------


class CompleteJobSerializer(serializers.Serializer):
    worker = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=255,
        help_text="refused if another worker holds the lock",
    )
    variables = variables_field()


class FailJobSerializer(serializers.Serializer):
    worker = serializers.CharField(required=False, allow_null=True, default=None, max_length=255)
    retries = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=1000,
        help_text="retries left; default: one less",
    )
    errorMessage = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    errorDetails = serializers.CharField(required=False, default="", allow_blank=True, max_length=100000)
    retryBackoffSeconds = serializers.FloatField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=MAX_LOCK_SECONDS,
        help_text="default: exponential backoff",
    )


class ThrowErrorSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=255, help_text="the BPMN error code a boundary event or event subprocess catches"
    )
    message = serializers.CharField(required=False, default="", allow_blank=True, max_length=10000)
    variables = variables_field()


class ExtendLockSerializer(serializers.Serializer):
    worker = serializers.CharField(max_length=255)
    lockSeconds = serializers.IntegerField(
        min_value=1, max_value=MAX_LOCK_SECONDS, help_text="the lock now ends this long from now"
    )


class JobStateSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    state = serializers.CharField()
    retries = serializers.IntegerField()
    retryAt = serializers.DateTimeField(source="retry_at", allow_null=True)
    lockOwner = serializers.CharField(source="lock_owner")
    lockExpiresAt = serializers.DateTimeField(source="lock_expires_at", allow_null=True)


class JobView(ApiView):
    write_capability = "work_jobs"


def job_key(request: Request, key: str):
    """The key of a job the caller may work on (orchestration.access.job_for_change)."""
    return access.job_for_change(request.user, parse_key(key, "job")).key


class JobComplete(JobView):
    @extend_schema(
        request=CompleteJobSerializer,
        responses={204: None, **errors(*WRITE_ERRORS)},
        description="409 when it is already completed or its element no longer waits for it.",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, CompleteJobSerializer)
        services.complete_job(job_key(request, key), data["variables"], worker=data["worker"], actor=request.user)
        return Response(status=204)


class JobFail(JobView):
    @extend_schema(
        request=FailJobSerializer,
        responses={200: JobStateSerializer, **errors(*WRITE_ERRORS)},
        description="Retries left > 0: activatable again after the backoff; 0: an incident is raised.",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, FailJobSerializer)
        backoff = data["retryBackoffSeconds"]
        job = services.fail_job(
            job_key(request, key),
            retries=data["retries"],
            error_message=data["errorMessage"],
            error_details=data["errorDetails"],
            retry_backoff=timedelta(seconds=backoff) if backoff is not None else None,
            worker=data["worker"],
            actor=request.user,
        )
        return Response(JobStateSerializer(job).data)


class JobThrowError(JobView):
    @extend_schema(
        request=ThrowErrorSerializer,
        responses={204: None, **errors(*WRITE_ERRORS)},
        description="Goes to the nearest catching boundary event or event subprocess; unmatched, it becomes an incident.",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, ThrowErrorSerializer)
        services.throw_job_error(
            job_key(request, key),
            data["code"],
            message=data["message"],
            variables=data["variables"],
            actor=request.user,
        )
        return Response(status=204)


class JobExtendLock(JobView):
    @extend_schema(request=ExtendLockSerializer, responses={200: JobStateSerializer, **errors(*WRITE_ERRORS)})
    def post(self, request: Request, key: str) -> Response:
        data = body(request, ExtendLockSerializer)
        job = services.extend_job_lock(job_key(request, key), worker=data["worker"], seconds=data["lockSeconds"])
        return Response(JobStateSerializer(job).data)
