"""Tasklist: the human tasks a user may work on. One function per page, with its actions.

Every view needs a login and the "work_tasks" capability (approver, admin; or a
ProcessPermission allow row). A task is visible to its assignee, its candidate users
and the members of its candidate groups; admins see every task; a ProcessPermission
deny row hides a process. Anything else is a 404. Who may do what to a visible task is
decided by ``orchestration.access.may_*_task``; every change goes through one service
and is audited with the actor.

POST actions redirect (post/redirect/get) with a message; htmx polls the inbox list
partial. Every page works without JavaScript.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from orchestration import access, services
from orchestration.exceptions import DomainError, InvalidState
from orchestration.forms import build_form, start_form_of
from orchestration.models import ProcessDefinition, SavedTaskFilter, UserTask
from orchestration.services import user_task_assignment as assignment
from orchestration.services.tasklist_settings import set_process_startable

from . import queries
from .forms import AssignForm, CommentForm, DatesForm, InboxFilterForm, SaveFilterForm, criteria_of, parse_criteria


def worker_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged-out users go to the login page; users without a task role get a 403."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not access.has_capability_somewhere(request.user, "work_tasks"):
            raise PermissionDenied("You need the approver or admin role to use Tasklist.")
        return view(request, *args, **kwargs)

    return wrapper


def _get_task_for_user(request: HttpRequest, key: uuid.UUID) -> UserTask:
    """The task, or 404 when it does not exist or is not this user's to see."""
    task = queries.visible_tasks(request.user).filter(key=key).first()
    if task is None or not access.may_see_task(request.user, task):
        raise Http404("No such task, or it is not yours to see.")
    return task


def _masked_check(request: HttpRequest) -> Callable[[str], bool]:
    return lambda name: access.masked_anywhere(request.user, name)


# ---------------------------------------------------------------------------
# Inbox
# ---------------------------------------------------------------------------


@worker_required
def inbox(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _inbox_action(request)
    user = request.user
    data = request.GET.copy()
    data.setdefault("view", "all")  # so the select shows what the list shows
    form = InboxFilterForm(data, masked_check=_masked_check(request))
    if form.is_valid():
        flt = form.to_filter()
        result = queries.inbox(user, flt)
    else:
        flt = queries.InboxFilter()
        result = queries.Inbox(rows=[], total=0, columns=())
    saved = queries.saved_filters_for(user)
    counts = queries.count_saved_filters(
        user, saved, lambda c, cols: parse_criteria(c, cols, masked_check=_masked_check(request))
    )
    query = request.GET.urlencode()
    context = {
        "form": form,
        "filter": flt,
        "view_name": queries.VIEWS.get(flt.view, ""),
        "views": queries.VIEWS,
        "inbox": result,
        "tasks": [row.task for row in result.rows],
        "query": query,
        "saved_filters": [(s, counts[s.key], _saved_url(s)) for s in saved],
        "save_form": SaveFilterForm(groups=sorted(access.group_names_of(user))),
        "process_ids": queries.process_ids_for(user),
        "is_lead": access.is_task_lead(user),
        "filtered": any(
            request.GET.get(name)
            for name in (
                "process",
                "business_key",
                "name",
                "variable",
                "due_after",
                "due_before",
                "follow_up_after",
                "follow_up_before",
                "priority_min",
                "priority_max",
            )
        ),
        "now": timezone.now(),
    }
    template = "tasklist/inbox.html#tasks" if request.htmx else "tasklist/inbox.html"
    return render(request, template, context)


def _saved_url(saved: SavedTaskFilter) -> str:
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    for name, value in saved.criteria.items():
        query[name] = value
    if saved.columns:
        query["columns"] = ",".join(saved.columns)
    query["saved"] = str(saved.key)
    return f"{reverse('tasklist:inbox')}?{query.urlencode()}"


def _back_to_inbox(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("tasklist:inbox")


def _inbox_action(request: HttpRequest) -> HttpResponse:
    action = request.POST.get("action", "")
    if action == "save_filter":
        return _save_filter(request)
    if action == "delete_filter":
        return _delete_filter(request)
    if action in ("bulk_claim", "bulk_assign"):
        return _bulk(request, action)
    messages.error(request, "Unknown action.")
    return _back_to_inbox(request)


def _save_filter(request: HttpRequest) -> HttpResponse:
    user = request.user
    groups = sorted(access.group_names_of(user))
    form = SaveFilterForm(request.POST, groups=groups)
    query = request.POST.get("query", "")
    from django.http import QueryDict

    data = QueryDict(query)
    criteria_form = InboxFilterForm(data, masked_check=_masked_check(request))
    if not form.is_valid() or not criteria_form.is_valid():
        messages.error(request, "The filter could not be saved: give it a name and valid criteria.")
        return redirect(f"{reverse('tasklist:inbox')}?{query}")
    shared = (
        Group.objects.filter(name=form.cleaned_data["share_with"]).first() if form.cleaned_data["share_with"] else None
    )
    saved = SavedTaskFilter.objects.create(
        name=form.cleaned_data["filter_name"],
        owner=user,
        shared_with=shared,
        criteria=criteria_of(data),
        columns=list(criteria_form.cleaned_data["columns"]),
    )
    shared_text = f", shared with {shared.name}" if shared else ""
    messages.success(request, f"Filter '{saved.name}' saved{shared_text}.")
    return redirect(_saved_url(saved))


def _delete_filter(request: HttpRequest) -> HttpResponse:
    try:
        key = uuid.UUID(request.POST.get("filter", ""))
    except ValueError:
        raise Http404 from None
    # only the owner deletes; a filter shared with you is not yours to delete
    deleted, _ = SavedTaskFilter.objects.filter(key=key, owner=request.user).delete()
    if not deleted:
        raise Http404("No such filter of yours.")
    messages.success(request, "Filter deleted.")
    return redirect("tasklist:inbox")


def _bulk(request: HttpRequest, action: str) -> HttpResponse:
    user = request.user
    if not access.is_task_lead(user):
        raise PermissionDenied("Bulk claim and assign are for group leads and admins.")
    keys = []
    for text in request.POST.getlist("task"):
        try:
            keys.append(uuid.UUID(text))
        except ValueError:
            continue
    tasks = [t for t in queries.visible_tasks(user).filter(key__in=keys) if access.may_see_task(user, t)]
    if not tasks:
        messages.error(request, "Select at least one task.")
        return _back_to_inbox(request)
    if action == "bulk_claim":
        assignee = user.get_username()
    else:
        assignee = request.POST.get("assignee", "").strip()
        target = get_user_model().objects.filter(username=assignee, is_active=True).first()
        if target is None:
            messages.error(request, f"No active user '{assignee}'.")
            return _back_to_inbox(request)
        not_eligible = [t for t in tasks if not access.is_eligible_assignee(t, target)]
        if not_eligible:
            names = ", ".join(t.name or t.element_id for t in not_eligible[:5])
            messages.error(request, f"{assignee} may not be assigned: {names}. Nothing was changed.")
            return _back_to_inbox(request)
    result = assignment.bulk_assign_user_tasks(
        [t.key for t in tasks], assignee, actor=user, claim=action == "bulk_claim"
    )
    verb = "claimed" if action == "bulk_claim" else f"assigned to {assignee}"
    if result.done:
        messages.success(request, f"{len(result.done)} task(s) {verb}.")
    for _key, reason in list(result.refused.items())[:5]:
        messages.error(request, reason)
    return _back_to_inbox(request)


# ---------------------------------------------------------------------------
# Task
# ---------------------------------------------------------------------------


def _diagram_svg(user_task: UserTask) -> str | None:
    """The Operate renderer's SVG with the task highlighted, when it exists."""
    try:
        from operate import diagram  # noqa: PLC0415 - optional: built by the Operate issue
    except ImportError:
        return None
    render_svg = getattr(diagram, "render_svg", None)
    if render_svg is None:
        return None
    try:
        return render_svg(user_task.instance.definition, active=[user_task.element_id], compact=True)
    except Exception:  # noqa: BLE001 - a drawing must never break the task page
        return None


def _task_context(request: HttpRequest, user_task: UserTask, *, task_form=None, status_message: str = "") -> dict:
    user = request.user
    shown, raw = queries.task_variables(user, user_task)
    may = {
        "claim": access.may_claim_task(user, user_task),
        "unclaim": access.may_unclaim_task(user, user_task),
        "assign": access.may_assign_task(user, user_task),
        "delegate": access.may_delegate_task(user, user_task),
        "complete": access.may_complete_task(user, user_task),
        "dates": access.may_edit_task_dates(user, user_task),
        "comment": access.may_comment_task(user, user_task),
    }
    delegation = assignment.open_delegation_of(user_task) if user_task.state == UserTask.State.CREATED else None
    may["resolve"] = delegation is not None and delegation.delegate == user.get_username()
    if task_form is None and may["complete"]:
        task_form = build_form(user_task.form, raw, masked=access.masked_names(user, user_task.bpmn_process_id))
    assignees = []
    if may["assign"] or may["delegate"]:
        assignees = [
            u.get_username() for u in access.eligible_assignees(user_task) if u.get_username() != user_task.assignee
        ]
    timers = queries.sla_timers([user_task.element_instance_key]).get(user_task.element_instance_key, [])
    now = timezone.now()
    return {
        "task": user_task,
        "variables": shown,
        "may": may,
        "task_form": task_form,
        "delegation": delegation,
        "assign_form": AssignForm(users=assignees),
        "assignees": assignees,
        "dates_form": DatesForm(initial={"due_date": user_task.due_date, "follow_up_date": user_task.follow_up_date}),
        "comment_form": CommentForm(),
        "history": queries.task_history(user_task),
        "sla_timers": timers,
        "overdue": user_task.state == UserTask.State.CREATED
        and user_task.due_date is not None
        and user_task.due_date < now,
        "now": now,
        "diagram": _diagram_svg(user_task),
        "path": queries.task_path(user_task),
        "status_message": status_message,
        "username": user.get_username(),
    }


@worker_required
def task(request: HttpRequest, key: uuid.UUID) -> HttpResponse:
    user_task = _get_task_for_user(request, key)
    if request.method == "POST":
        return _task_action(request, user_task)
    return render(request, "tasklist/task.html", _task_context(request, user_task))


def _task_action(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    action = request.POST.get("action", "")
    handler = _TASK_ACTIONS.get(action)
    if handler is None:
        messages.error(request, "Unknown action.")
        return redirect("tasklist:task", key=user_task.key)
    try:
        return handler(request, user_task)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("tasklist:task", key=user_task.key)


def _refuse(what: str) -> PermissionDenied:
    return PermissionDenied(f"You may not {what} this task.")


def _claim(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    if not access.may_claim_task(request.user, user_task):
        if user_task.assignee and user_task.state == UserTask.State.CREATED:
            messages.error(request, f"This task is already claimed by {user_task.assignee}.")
            return redirect("tasklist:task", key=user_task.key)
        raise _refuse("claim")
    assignment.claim_user_task(user_task.key, actor=request.user)
    messages.success(request, "You claimed this task.")
    return redirect("tasklist:task", key=user_task.key)


def _unclaim(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    if not access.may_unclaim_task(request.user, user_task):
        raise _refuse("unclaim")
    assignment.unclaim_user_task(user_task.key, actor=request.user)
    messages.success(request, "The task is unassigned again.")
    return redirect("tasklist:task", key=user_task.key)


def _eligible_target(request: HttpRequest, user_task: UserTask) -> str | None:
    username = request.POST.get("assignee", "").strip()
    target = get_user_model().objects.filter(username=username, is_active=True).first()
    if target is None or not access.is_eligible_assignee(user_task, target):
        messages.error(request, f"'{username}' may not be given this task (not a candidate).")
        return None
    return username


def _assign(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    if not access.may_assign_task(request.user, user_task):
        raise _refuse("assign")
    username = _eligible_target(request, user_task)
    if username is not None:
        assignment.assign_user_task(user_task.key, username, actor=request.user)
        messages.success(request, f"Assigned to {username}.")
    return redirect("tasklist:task", key=user_task.key)


def _delegate(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    if not access.may_delegate_task(request.user, user_task):
        raise _refuse("delegate")
    username = _eligible_target(request, user_task)
    if username is not None:
        assignment.delegate_user_task(user_task.key, username, actor=request.user)
        messages.success(request, f"Delegated to {username}; it comes back to you when they return it.")
    return redirect("tasklist:task", key=user_task.key)


def _resolve(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    delegation = assignment.open_delegation_of(user_task)
    if delegation is None or delegation.delegate != request.user.get_username():
        raise _refuse("return")
    assignment.resolve_user_task_delegation(user_task.key, actor=request.user)
    messages.success(request, f"Returned to {delegation.owner}.")
    return redirect("tasklist:task", key=user_task.key)


def _comment(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    if not access.may_comment_task(request.user, user_task):
        raise _refuse("comment on")
    form = CommentForm(request.POST)
    if form.is_valid():
        assignment.comment_on_user_task(user_task.key, form.cleaned_data["text"], actor=request.user)
        messages.success(request, "Comment added.")
    else:
        messages.error(request, "A comment needs text (at most 4000 characters).")
    return redirect(f"{reverse('tasklist:task', args=[user_task.key])}#history")


def _dates(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    if not access.may_edit_task_dates(request.user, user_task):
        raise _refuse("change the dates of")
    form = DatesForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter dates as YYYY-MM-DD HH:MM.")
        return redirect("tasklist:task", key=user_task.key)
    assignment.set_user_task_dates(
        user_task.key,
        due_date=form.cleaned_data["due_date"],
        follow_up_date=form.cleaned_data["follow_up_date"],
        actor=request.user,
    )
    messages.success(request, "Dates saved.")
    return redirect("tasklist:task", key=user_task.key)


def _complete(request: HttpRequest, user_task: UserTask) -> HttpResponse:
    user = request.user
    username = user.get_username()
    held_by = request.POST.get("held_by", "")
    is_open = user_task.state == UserTask.State.CREATED
    if is_open and user_task.assignee != username and held_by != username:
        messages.error(request, "Claim this task before completing it.")
        return redirect("tasklist:task", key=user_task.key)
    shown, raw = queries.task_variables(user, user_task)
    task_form = build_form(user_task.form, raw, masked=access.masked_names(user, user_task.bpmn_process_id))
    values = task_form.validate(request.POST) if is_open else {}
    if values is None:
        context = _task_context(request, user_task, task_form=task_form)
        context["form_invalid"] = True
        return render(request, "tasklist/task.html", context, status=400)
    try:
        assignment.complete_assigned_user_task(user_task.key, actor=user, assignee=username, variables=values)
    except InvalidState as exc:
        # a double submit, or the task was completed/reassigned meanwhile: say so, never complete twice
        user_task.refresh_from_db()
        context = _task_context(request, user_task, status_message=exc.message)
        return render(request, "tasklist/task.html", context, status=409)
    messages.success(request, f"Task '{user_task.name or user_task.element_id}' completed.")
    return redirect("tasklist:inbox")


_TASK_ACTIONS: dict[str, Callable[[HttpRequest, UserTask], HttpResponse]] = {
    "claim": _claim,
    "unclaim": _unclaim,
    "assign": _assign,
    "delegate": _delegate,
    "resolve": _resolve,
    "comment": _comment,
    "dates": _dates,
    "complete": _complete,
}


# ---------------------------------------------------------------------------
# Start forms
# ---------------------------------------------------------------------------


def _startable_latest() -> list[ProcessDefinition]:
    """The latest version of each process any version of which is marked startable."""
    marked = ProcessDefinition.objects.filter(startable_in_tasklist=True).values("bpmn_process_id")
    latest = {}
    for definition in (
        ProcessDefinition.objects.filter(bpmn_process_id__in=marked)
        .select_related("deployment")
        .order_by("bpmn_process_id", "-version")
    ):
        latest.setdefault(definition.bpmn_process_id, definition)
    return list(latest.values())


def _may_start(user, definition: ProcessDefinition) -> bool:
    marked = ProcessDefinition(bpmn_process_id=definition.bpmn_process_id, startable_in_tasklist=True)
    try:
        process = services.process_for(definition)
        starters = (tuple(process.candidate_starter_groups), tuple(process.candidate_starter_users))
    except Exception:  # noqa: BLE001 - an unloadable definition is simply not startable
        return False
    return access.can_start(user, marked, starters=starters)


@worker_required
def start(request: HttpRequest) -> HttpResponse:
    """Processes this user may start; admins also mark processes startable here."""
    user = request.user
    may_mark = access.can_deploy(user)
    if request.method == "POST":
        if not may_mark:
            raise PermissionDenied("Only admins mark processes startable.")
        process_id = request.POST.get("process", "")
        startable = request.POST.get("startable") == "true"
        try:
            set_process_startable(process_id, startable, actor=user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            verb = "can now be started" if startable else "can no longer be started"
            messages.success(request, f"'{process_id}' {verb} from Tasklist.")
        return redirect("tasklist:start")
    startable = [d for d in _startable_latest() if _may_start(user, d)]
    all_processes = []
    if may_mark:
        seen: dict[str, ProcessDefinition] = {}
        for d in ProcessDefinition.objects.order_by("bpmn_process_id", "-version"):
            current = seen.setdefault(d.bpmn_process_id, d)
            current.marked = getattr(current, "marked", False) or d.startable_in_tasklist
        all_processes = list(seen.values())
    context = {"startable": startable, "all_processes": all_processes, "may_mark": may_mark}
    return render(request, "tasklist/start.html", context)


@worker_required
def start_form(request: HttpRequest, process_id: str) -> HttpResponse:
    user = request.user
    definition = next((d for d in _startable_latest() if d.bpmn_process_id == process_id), None)
    if definition is None or not _may_start(user, definition):
        raise Http404("No such process to start, or you may not start it.")
    form_definition = start_form_of(definition)
    task_form = build_form(form_definition, {}, masked=frozenset()) if form_definition else None
    error = ""
    business_key = ""
    variables_text = "{}"
    if request.method == "POST":
        business_key = request.POST.get("business_key", "").strip()
        variables_text = request.POST.get("variables", "{}")
        values = _start_values(request, task_form)
        if isinstance(values, str):
            error = values
        elif values is not None:
            try:
                instance = services.start_instance(
                    definition=definition, variables=values, business_key=business_key, actor=user
                )
            except DomainError as exc:
                error = exc.message
            else:
                return _after_start(request, instance)
    context = {
        "definition": definition,
        "task_form": task_form,
        "error": error,
        "business_key": business_key,
        "variables_text": variables_text,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "tasklist/start_form.html", context, status=status)


def _start_values(request: HttpRequest, task_form) -> dict | str | None:
    """Typed variables from the start form, an error text, or None (field errors shown)."""
    if len(request.POST.get("business_key", "")) > 255:
        return "A business key has at most 255 characters."
    if task_form is not None:
        return task_form.validate(request.POST)
    try:
        values = json.loads(request.POST.get("variables") or "{}")
    except ValueError as exc:
        return f"Variables are not valid JSON: {exc}"
    if not isinstance(values, dict):
        return "Variables must be a JSON object of name -> value."
    return values


def _after_start(request: HttpRequest, instance) -> HttpResponse:
    """Straight to the first task the starter may work on, else the inbox."""
    label = instance.business_key or str(instance.key)
    messages.success(request, f"Started {instance.bpmn_process_id} ({label}).")
    for candidate in queries.visible_tasks(request.user).filter(instance=instance, state=UserTask.State.CREATED):
        if access.may_see_task(request.user, candidate):
            return redirect("tasklist:task", key=candidate.key)
    return redirect("tasklist:inbox")
