"""Who may open Operate pages and who may act: decorators over ``orchestration.access``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from orchestration import access
from orchestration.instance_search import FilterError, check_masked_conditions


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


def masked_search_refused(form: forms.Form, user) -> bool:
    """After a valid instance filter form: a search condition on a variable masked for
    ``user`` would reveal its value by the number of matches, so it becomes an error on the
    form's field (q or v) and the caller shows no results. True when refused."""
    try:
        check_masked_conditions(form.to_filter(), user)
    except FilterError as exc:
        for name, problem in exc.errors.items():
            form.add_error(name if name in form.fields else None, problem)
        return True
    return False
