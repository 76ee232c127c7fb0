"""Refuse a query string with a NUL character before any view sees it.

PostgreSQL text cannot hold NUL (0x00): a filter value with one reached the database and
failed there (a 500). Forms and DRF serializers already refuse NUL in what they validate,
but several pages and API lists read ``request.GET`` directly (audit filters, variable
previews, list filters), so the check sits here, once, for every URL. The answer is a 400
in the caller's language: the native API's and Camunda 7's JSON error shapes, plain text
for the console."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from .nul import nul_position

MESSAGE = "Request parameters may not contain NUL (0x00) characters."


class RejectNulInQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "%00" in request.META.get("QUERY_STRING", "") and nul_position(dict(request.GET.lists())) is not None:
            if request.path.startswith("/engine-rest/"):
                return JsonResponse({"type": "InvalidRequestException", "message": MESSAGE}, status=400)
            if request.path.startswith("/api/"):
                return JsonResponse({"error": {"code": "invalid_input", "message": MESSAGE}}, status=400)
            return HttpResponseBadRequest(MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
