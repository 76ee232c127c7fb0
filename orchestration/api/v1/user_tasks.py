"""User tasks: search what the caller may see, get, claim, unclaim, assign, complete, form.

Needs the work_tasks capability (approver, admin). A task the caller may not
see (not its assignee, candidate user or in a candidate group; admins see all)
is a 404, as in Tasklist.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, selectors, services
from ...exceptions import InvalidInput, NotFound, PermissionDenied
from ...models import UserTask
from .base import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiView,
    PageQuerySerializer,
    body,
    errors,
    keyset_page,
    page_serializer,
    parse_key,
    query,
    variables_field,
)
from .instances import MASKED_HELP, masked_values


class UserTaskSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    name = serializers.CharField()
    elementId = serializers.CharField(source="element_id")
    elementInstanceKey = serializers.UUIDField(source="element_instance_key")
    processInstanceKey = serializers.UUIDField(source="instance_id")
    processId = serializers.CharField(source="bpmn_process_id")
    businessKey = serializers.CharField(source="business_key")
    state = serializers.CharField()
    assignee = serializers.CharField()
    candidateUsers = serializers.ListField(child=serializers.CharField(), source="candidate_users")
    candidateGroups = serializers.ListField(child=serializers.CharField(), source="candidate_groups")
    priority = serializers.IntegerField()
    dueDate = serializers.DateTimeField(source="due_date", allow_null=True)
    followUpDate = serializers.DateTimeField(source="follow_up_date", allow_null=True)
    formKey = serializers.CharField(source="form_key")
    createdAt = serializers.DateTimeField(source="created_at")
    completedAt = serializers.DateTimeField(source="completed_at", allow_null=True)
    completedBy = serializers.CharField(source="completed_by")


UserTaskPage = page_serializer(UserTaskSerializer, "UserTaskPage")


class UserTaskQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(choices=UserTask.State.choices, required=False, default=UserTask.State.CREATED)
    assignee = serializers.CharField(required=False, max_length=150)
    unassigned = serializers.BooleanField(required=False, default=False)
    candidateGroup = serializers.CharField(required=False, max_length=150)
    processId = serializers.CharField(required=False, max_length=255)
    businessKey = serializers.CharField(required=False, max_length=255)
    processInstanceKey = serializers.UUIDField(required=False)


class AssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(allow_blank=True, max_length=150, help_text="a username; empty unassigns")


class CompleteSerializer(serializers.Serializer):
    variables = variables_field()


FormSerializer = inline_serializer(
    "UserTaskForm",
    {
        "formKey": serializers.CharField(),
        "schema": serializers.JSONField(allow_null=True, help_text="the form fields of the BPMN model, or null"),
        "variables": serializers.DictField(child=serializers.JSONField(), help_text="the variables the task sees"),
        "masked": serializers.ListField(child=serializers.CharField(), help_text=MASKED_HELP),
    },
)


def _audience(request: Request) -> dict:
    user = request.user
    return {
        "username": user.get_username(),
        "group_names": list(access.group_names_of(user)),
        "see_all": access.sees_all_tasks(user),
    }


def _get_task_for_user(request: Request, key: str) -> UserTask:
    """The task, or 404 when it does not exist or the caller may not see it (as in Tasklist)."""
    task = UserTask.objects.select_related("instance").filter(key=parse_key(key, "user task")).first()
    if task is None or not access.may_see_task(request.user, task):
        raise NotFound(f"user task {key} not found, or it is not yours to see")
    return task


def _label(task: UserTask) -> str:
    return task.name or task.element_id


class TaskView(ApiView):
    read_capability = "work_tasks"
    write_capability = "work_tasks"


class UserTaskList(TaskView):
    @extend_schema(
        operation_id="user_tasks_search",
        parameters=[UserTaskQuerySerializer],
        responses={200: UserTaskPage, **errors(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        params = query(request, UserTaskQuerySerializer)
        audience = _audience(request)
        tasks = selectors.list_visible_tasks(**audience).filter(state=params["state"])
        if params.get("assignee"):
            tasks = tasks.filter(assignee=params["assignee"])
        if params["unassigned"]:
            tasks = tasks.filter(assignee="")
        for name, column in (
            ("processId", "bpmn_process_id"),
            ("businessKey", "business_key"),
            ("processInstanceKey", "instance_id"),
        ):
            if params.get(name):
                tasks = tasks.filter(**{column: params[name]})
        rows, cursor = keyset_page(tasks, field="created_at", cursor=params.get("cursor"), limit=params["limit"])
        rows = [t for t in rows if access.may_see_task(request.user, t)]
        if params.get("candidateGroup"):
            rows = [t for t in rows if params["candidateGroup"] in (t.candidate_groups or [])]
        return Response({"items": UserTaskSerializer(rows, many=True).data, "nextCursor": cursor})


class UserTaskDetail(TaskView):
    @extend_schema(responses={200: UserTaskSerializer, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> Response:
        return Response(UserTaskSerializer(_get_task_for_user(request, key)).data)


class UserTaskForm(TaskView):
    @extend_schema(responses={200: FormSerializer, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> Response:
        task = _get_task_for_user(request, key)
        variables = {v.name: v.value for v in selectors.list_task_variables(task)}
        shown = masked_values(request.user, task.bpmn_process_id, variables)
        return Response({"formKey": task.form_key, "schema": task.form, **shown})


class UserTaskClaim(TaskView):
    @extend_schema(
        request=None,
        responses={200: UserTaskSerializer, **errors(*WRITE_ERRORS)},
        description="409 when someone else holds it.",
    )
    def post(self, request: Request, key: str) -> Response:
        task = _get_task_for_user(request, key)
        return Response(UserTaskSerializer(services.claim_user_task(task.key, actor=request.user)).data)


class UserTaskUnclaim(TaskView):
    @extend_schema(
        request=None,
        responses={200: UserTaskSerializer, **errors(*WRITE_ERRORS)},
        description="The assignee, a lead or an admin.",
    )
    def post(self, request: Request, key: str) -> Response:
        task = _get_task_for_user(request, key)
        if task.state == UserTask.State.CREATED and task.assignee and not access.may_unclaim_task(request.user, task):
            raise PermissionDenied(
                f"task '{_label(task)}' is claimed by {task.assignee}; only they or a lead may unclaim it"
            )
        return Response(UserTaskSerializer(services.unclaim_user_task(task.key, actor=request.user)).data)


class UserTaskAssign(TaskView):
    @extend_schema(
        request=AssignSerializer,
        responses={200: UserTaskSerializer, **errors(*WRITE_ERRORS)},
        description="The assignee or a lead hands the task to an eligible user (a candidate who works on tasks).",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, AssignSerializer)
        task = _get_task_for_user(request, key)
        if task.state == UserTask.State.CREATED and not access.may_assign_task(request.user, task):
            raise PermissionDenied(f"only the assignee of task '{_label(task)}' or a lead may assign it")
        if data["assignee"]:
            target = get_user_model().objects.filter(username=data["assignee"], is_active=True).first()
            if target is None or not access.is_eligible_assignee(task, target):
                raise InvalidInput(f"'{data['assignee']}' may not work on task '{_label(task)}'")
        return Response(
            UserTaskSerializer(services.assign_user_task(task.key, data["assignee"], actor=request.user)).data
        )


class UserTaskComplete(TaskView):
    @extend_schema(
        request=CompleteSerializer,
        responses={200: UserTaskSerializer, **errors(*WRITE_ERRORS)},
        description="Claim first: only the assignee completes (403 otherwise); 409 when already completed.",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, CompleteSerializer)
        task = _get_task_for_user(request, key)
        if task.state == UserTask.State.CREATED and not access.may_complete_task(request.user, task):
            holder = f"claimed by {task.assignee}" if task.assignee else "not claimed by you; claim it first"
            raise PermissionDenied(f"task '{_label(task)}' is {holder}")
        task = services.complete_assigned_user_task(
            task.key, assignee=request.user.get_username(), variables=data["variables"], actor=request.user
        )
        return Response(UserTaskSerializer(task).data)
