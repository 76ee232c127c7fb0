from __future__ import annotations

from django.http import HttpResponse


def inbox(request):
    return HttpResponse("ok")
