"""Tasklist: the human tasks a user may work on. One function per page.

Every view needs a login and the "work_tasks" capability (approver, admin).
A task is visible to its assignee, its candidate users and the members of its
candidate groups; admins see every task. Anything else is a 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orchestration import access, selectors
from orchestration.models import UserTask


def worker_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-out users go to the login page; users without a task role get a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.can_work_tasks(request.user):
            raise PermissionDenied("You need the approver or admin role to use Tasklist.")
        return view(request, *args, **kwargs)

    return wrapper


def _task_audience(request: HttpRequest) -> dict:
    """Who the user is, for the visibility rule: name, groups, and whether they see all."""
    user = request.user
    return {
        "username": user.get_username(),
        "group_names": list(user.groups.values_list("name", flat=True)),
        "see_all": access.ADMIN in access.roles_of(user),
    }


def _get_task_for_user(request: HttpRequest, key: uuid.UUID) -> UserTask:
    if not access.can_work_tasks(request.user):
        raise Http404
    task = selectors.get_task_for(key, **_task_audience(request))
    if task is None:
        raise Http404("No such task, or it is not yours to see.")
    return task


@worker_required
def inbox(request: HttpRequest) -> HttpResponse:
    tasks = selectors.list_inbox_tasks(**_task_audience(request))
    return render(request, "tasklist/inbox.html", {"tasks": tasks})


@worker_required
def task(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    user_task = _get_task_for_user(request, key)
    context = {"task": user_task, "variables": selectors.list_task_variables(user_task)}
    return render(request, "tasklist/task.html", context)
