"""Who may open Operate pages and who may act: decorators over ``orchestration.access``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from orchestration import access


def viewer_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-out users go to the login page; users without the view role get a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.can_view(request.user):
            raise PermissionDenied("You need the support, operator or admin role to use Operate.")
        return view(request, *args, **kwargs)

    return wrapper


def repair_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-out users go to the login page; users who may not repair (support, no role) get a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.can_repair(request.user):
            raise PermissionDenied("You need the operator or admin role to change instances.")
        return view(request, *args, **kwargs)

    return wrapper


def deploy_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-out users go to the login page; users who may not deploy (all but admins) get a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.can_deploy(request.user):
            raise PermissionDenied("You need the admin role to deploy processes.")
        return view(request, *args, **kwargs)

    return wrapper
