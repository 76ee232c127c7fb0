"""/task: query (GET and POST), get, claim, unclaim, assignee, complete, submit-form, variables,
form-variables, identity links.

Who sees which task: users who may view (support, operator, admin) or work jobs (operator,
admin, worker: service accounts acting for people) see every task; approvers see the tasks
they are assignee or candidate of (the Tasklist rule), anything else is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from rest_framework.response import Response

from ... import access, services
from ...exceptions import InvalidState
from ...models import UserTask, Variable
from . import dto
from .base import (
    CamundaError,
    CamundaView,
    Params,
    definition_keys_of,
    invalid,
    maybe_uuid,
    not_implemented,
    paginate,
    parse_date,
)
from .instances import _like_regex, parse_conditions, with_variables
from .reads import scope_chain, visible_variables
from .variables import masked_typed, to_native, typed, variables_in, variables_out

TASK_READ = ("view", "work_jobs", "work_tasks")
TASK_WORK = ("work_tasks", "work_jobs")


def _sees_all(user) -> bool:
    return access.has_capability(user, "view") or access.has_capability(user, "work_jobs")


def _groups_of(username: str) -> list[str]:
    user = get_user_model().objects.filter(username=username).first()
    return list(user.groups.values_list("name", flat=True)) if user else []


def _visible_to(user, tasks):
    if _sees_all(user):
        return tasks
    username = user.get_username()
    visible = Q(assignee=username) | Q(candidate_users__contains=[username])
    for group in user.groups.values_list("name", flat=True):
        visible |= Q(candidate_groups__contains=[group])
    return tasks.filter(visible)


def _candidate_q(groups: list[str]) -> Q:
    q = Q(pk__in=[])
    for group in groups:
        q |= Q(candidate_groups__contains=[group])
    return q


def task_query(params: Params, user):
    tasks = _visible_to(user, UserTask.objects.select_related("instance", "instance__definition")).filter(
        state=UserTask.State.CREATED
    )
    ids = params.list("taskIdIn") + params.list("taskId")
    if ids:
        tasks = tasks.filter(key__in=[k for k in map(maybe_uuid, ids) if k])
    instances = params.list("processInstanceIdIn") + params.list("processInstanceId")
    if instances:
        tasks = tasks.filter(instance_id__in=[k for k in map(maybe_uuid, instances) if k])
    business_keys = params.list("processInstanceBusinessKeyIn") + params.list("processInstanceBusinessKey")
    if business_keys:
        tasks = tasks.filter(business_key__in=business_keys)
    if params.has("processInstanceBusinessKeyLike"):
        pattern = _like_regex(params.str("processInstanceBusinessKeyLike"))
        tasks = tasks.filter(business_key__iregex="^" + pattern + "$")
    definition_keys = params.list("processDefinitionKeyIn") + params.list("processDefinitionKey")
    if definition_keys:
        tasks = tasks.filter(bpmn_process_id__in=definition_keys)
    if params.has("processDefinitionId"):
        tasks = tasks.filter(instance__definition_id__in=definition_keys_of([params.str("processDefinitionId")]))
    if params.has("executionId"):
        tasks = tasks.filter(element_instance_key=maybe_uuid(params.str("executionId")))
    if params.has("assignee"):
        tasks = tasks.filter(assignee=params.str("assignee"))
    if params.list("assigneeIn"):
        tasks = tasks.filter(assignee__in=params.list("assigneeIn"))
    if params.has("assigneeLike"):
        tasks = tasks.filter(assignee__iregex="^" + _like_regex(params.str("assigneeLike")) + "$")
    if params.bool("assigned"):
        tasks = tasks.exclude(assignee="")
    if params.bool("unassigned"):
        tasks = tasks.filter(assignee="")
    include_assigned = bool(params.bool("includeAssignedTasks"))
    candidate_groups = params.list("candidateGroups") + params.list("candidateGroup")
    if candidate_groups:
        tasks = tasks.filter(_candidate_q(candidate_groups))
        if not include_assigned:
            tasks = tasks.filter(assignee="")
    if params.has("candidateUser"):
        candidate = params.str("candidateUser")
        tasks = tasks.filter(Q(candidate_users__contains=[candidate]) | _candidate_q(_groups_of(candidate)))
        if not include_assigned:
            tasks = tasks.filter(assignee="")
    if params.bool("withCandidateGroups"):
        tasks = tasks.exclude(candidate_groups=[])
    if params.bool("withoutCandidateGroups"):
        tasks = tasks.filter(candidate_groups=[])
    if params.bool("withCandidateUsers"):
        tasks = tasks.exclude(candidate_users=[])
    if params.bool("withoutCandidateUsers"):
        tasks = tasks.filter(candidate_users=[])
    element_ids = params.list("taskDefinitionKeyIn") + params.list("taskDefinitionKey")
    if element_ids:
        tasks = tasks.filter(element_id__in=element_ids)
    if params.has("taskDefinitionKeyLike"):
        tasks = tasks.filter(element_id__iregex="^" + _like_regex(params.str("taskDefinitionKeyLike")) + "$")
    if params.has("name"):
        tasks = tasks.filter(name=params.str("name"))
    if params.has("nameLike"):
        tasks = tasks.filter(name__iregex="^" + _like_regex(params.str("nameLike")) + "$")
    if params.has("priority"):
        tasks = tasks.filter(priority=params.int("priority"))
    if params.has("minPriority"):
        tasks = tasks.filter(priority__gte=params.int("minPriority"))
    if params.has("maxPriority"):
        tasks = tasks.filter(priority__lte=params.int("maxPriority"))
    for name, lookup in (
        ("dueBefore", "due_date__lt"),
        ("dueAfter", "due_date__gt"),
        ("createdBefore", "created_at__lt"),
        ("createdAfter", "created_at__gt"),
    ):
        if params.has(name):
            tasks = tasks.filter(**{lookup: parse_date(params.str(name), name)})
    if params.bool("withoutDueDate"):
        tasks = tasks.filter(due_date__isnull=True)
    if params.bool("active"):
        tasks = tasks.filter(instance__suspended=False)
    if params.bool("suspended"):
        tasks = tasks.filter(instance__suspended=True)
    if params.list("tenantIdIn"):
        tasks = tasks.none()
    tasks = with_variables(tasks, parse_conditions(params, "processVariables"), user=user, field="instance_id")
    sort_by, sort_order = params.str("sortBy"), params.str("sortOrder")
    sorting = params.source.get("sorting") if not params.is_query else None
    if isinstance(sorting, list) and sorting and isinstance(sorting[0], dict):
        sort_by, sort_order = sorting[0].get("sortBy"), sorting[0].get("sortOrder")
    field = {
        "id": "key",
        "name": "name",
        "nameCaseInsensitive": "name",
        "assignee": "assignee",
        "created": "created_at",
        "dueDate": "due_date",
        "followUpDate": "follow_up_date",
        "priority": "priority",
        "instanceId": "instance_id",
        "processInstanceId": "instance_id",
        "executionId": "element_instance_key",
    }.get(sort_by or "", "created_at")
    return tasks.order_by(("-" if sort_order == "desc" else "") + field, "key").distinct()


def open_task(task_id: str, user) -> UserTask:
    key = maybe_uuid(task_id)
    task = task_query(Params.of_body({"taskId": str(key)}), user).first() if key is not None else None
    if task is None:
        raise CamundaError(404, "InvalidRequestException", f"No matching task with id {task_id}")
    return task


class TaskList(CamundaView):
    capabilities = {"GET": TASK_READ, "POST": TASK_READ}

    def get(self, request) -> Response:
        items = paginate(task_query(Params.of_query(request), request.user), request)
        return Response([dto.task(t) for t in items])

    def post(self, request) -> Response:
        items = paginate(task_query(Params.of_body(self.body()), request.user), request)
        return Response([dto.task(t) for t in items])


class TaskCount(CamundaView):
    capabilities = {"GET": TASK_READ, "POST": TASK_READ}

    def get(self, request) -> Response:
        return Response({"count": task_query(Params.of_query(request), request.user).count()})

    def post(self, request) -> Response:
        return Response({"count": task_query(Params.of_body(self.body()), request.user).count()})


class TaskDetail(CamundaView):
    capabilities = {"GET": TASK_READ}

    def get(self, request, task_id: str) -> Response:
        return Response(dto.task(open_task(task_id, request.user)))


def _user_id(body: dict[str, Any], *, required: bool) -> str | None:
    user_id = body.get("userId")
    if user_id is None and not required:
        return None
    if not isinstance(user_id, str) or not user_id:
        raise invalid("userId is required")
    return user_id


class TaskClaim(CamundaView):
    capabilities = {"POST": TASK_WORK}

    def post(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        user_id = _user_id(self.body(), required=True)
        try:
            services.claim_user_task(task.key, user_id, actor=request.user)
        except InvalidState as exc:
            raise CamundaError(400, "TaskAlreadyClaimedException", exc.message) from None
        return Response(status=204)


class TaskUnclaim(CamundaView):
    capabilities = {"POST": TASK_WORK}

    def post(self, request, task_id: str) -> Response:
        services.unclaim_user_task(open_task(task_id, request.user).key, actor=request.user)
        return Response(status=204)


class TaskAssignee(CamundaView):
    capabilities = {"POST": TASK_WORK}

    def post(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        body = self.body()
        if "userId" not in body:
            raise invalid("userId is required (null removes the assignee)")
        user_id = _user_id(body, required=False)
        services.assign_user_task(task.key, user_id, actor=request.user)
        return Response(status=204)


class TaskComplete(CamundaView):
    """POST /task/{id}/complete and /submit-form: 204, or 200 with the variables when asked."""

    capabilities = {"POST": TASK_WORK}

    def post(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        body = self.body()
        services.complete_user_task(task.key, actor=request.user, variables=variables_in(body.get("variables")))
        if body.get("withVariablesInReturn") is True:
            masked = access.masked_names(request.user, task.bpmn_process_id)
            return Response(variables_out(visible_variables(task.instance_id, None), masked=masked))
        return Response(status=204)


def _names(request) -> list[str] | None:
    names = request.query_params.getlist("variableNames")
    if not names:
        return None
    return [n.strip() for item in names for n in item.split(",") if n.strip()]


class TaskVariables(CamundaView):
    capabilities = {"GET": TASK_READ, "POST": TASK_WORK}
    local = False

    def get(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        values = visible_variables(task.instance_id, task.element_instance_key, local=self.local)
        masked = access.masked_names(request.user, task.bpmn_process_id)
        return Response(variables_out(values, _names(request), masked=masked))

    def post(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        body = self.body()
        if body.get("deletions"):
            raise not_implemented("deleting variables is not supported: set them to null instead")
        _set(task, variables_in(body.get("modifications"), "modifications"), request.user, local=self.local)
        return Response(status=204)


class TaskLocalVariables(TaskVariables):
    local = True


def _set(task: UserTask, values: dict[str, Any], actor: Any, *, local: bool) -> None:
    """Set where each name already lives (innermost scope first), else on the process (or the task's scope if local)."""
    if not values:
        return
    if local:
        services.set_variables(task.instance_id, values, actor=actor, scope_key=task.element_instance_key)
        return
    chain = scope_chain(task.instance_id, task.element_instance_key)
    where = dict(
        Variable.objects.filter(instance_id=task.instance_id, scope_key__in=chain, name__in=list(values)).values_list(
            "name", "scope_key"
        )
    )
    by_scope: dict[Any, dict[str, Any]] = {}
    for name, value in values.items():
        by_scope.setdefault(where.get(name, task.instance_id), {})[name] = value
    for scope, chunk in by_scope.items():
        services.set_variables(
            task.instance_id, chunk, actor=actor, scope_key=None if scope == task.instance_id else scope
        )


class TaskVariable(CamundaView):
    capabilities = {"GET": TASK_READ, "PUT": TASK_WORK}
    local = False

    def get(self, request, task_id: str, name: str) -> Response:
        task = open_task(task_id, request.user)
        values = visible_variables(task.instance_id, task.element_instance_key, local=self.local)
        if name not in values:
            raise CamundaError(404, "InvalidRequestException", f"task variable with name {name} does not exist")
        if name in access.masked_names(request.user, task.bpmn_process_id):
            return Response(masked_typed())
        return Response(typed(values[name]))

    def put(self, request, task_id: str, name: str) -> Response:
        task = open_task(task_id, request.user)
        _set(task, {name: to_native(name, self.body())}, request.user, local=self.local)
        return Response(status=204)


class TaskLocalVariable(TaskVariable):
    local = True


class TaskFormVariables(CamundaView):
    capabilities = {"GET": TASK_READ}

    def get(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        values = visible_variables(task.instance_id, task.element_instance_key)
        masked = access.masked_names(request.user, task.bpmn_process_id)
        return Response(variables_out(values, _names(request), masked=masked))


class TaskForm(CamundaView):
    capabilities = {"GET": TASK_READ}

    def get(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        return Response({"key": task.form_key or None, "camundaFormRef": None, "contextPath": None})


class TaskIdentityLinks(CamundaView):
    capabilities = {"GET": TASK_READ}

    def get(self, request, task_id: str) -> Response:
        task = open_task(task_id, request.user)
        links = []
        if task.assignee:
            links.append({"userId": task.assignee, "groupId": None, "type": "assignee"})
        links += [{"userId": u, "groupId": None, "type": "candidate"} for u in task.candidate_users or []]
        links += [{"userId": None, "groupId": g, "type": "candidate"} for g in task.candidate_groups or []]
        return Response(links)
