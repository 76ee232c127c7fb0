"""/incident, /history/process-instance, /history/activity-instance, /migration.

Per-process rules (orchestration.access): incidents and instances of a process a rule
hides from the caller are left out and not found by id; resolving an incident and
migrating instances need "repair" on their processes (403 when a rule takes it away).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework.response import Response

from ... import access, services
from ...models import ElementInstance, Incident, ProcessInstance, UserTask
from ...services import MigrationRefused
from . import dto
from .base import (
    CamundaError,
    CamundaView,
    Params,
    as_list,
    definition_from_id,
    definition_keys_of,
    invalid,
    maybe_uuid,
    not_implemented,
    paginate,
    parse_date,
    without_hidden,
)
from .instances import _like_regex, instance_query, parse_conditions, with_variables
from .reads import element_names

# -- incidents -----------------------------------------------------------------------

_TYPE_FILTERS = {
    "failedJob": models.Q(type=Incident.Type.JOB_NO_RETRIES, job__internal=True),
    "failedExternalTask": models.Q(type=Incident.Type.JOB_NO_RETRIES, job__internal=False),
    "unhandledBpmnError": models.Q(type=Incident.Type.UNHANDLED_ERROR),
    "expressionFailure": models.Q(type=Incident.Type.EXPRESSION),
    "conditionFailure": models.Q(type=Incident.Type.CONDITION),
    "extractValueFailure": models.Q(type=Incident.Type.EXTRACT_VALUE),
    "ioMappingFailure": models.Q(type=Incident.Type.IO_MAPPING),
}


def incident_query(params: Params, user: Any):
    incidents = Incident.objects.select_related("instance__definition", "job").filter(state=Incident.State.OPEN)
    incidents = without_hidden(incidents, user)
    if params.has("incidentId"):
        incidents = incidents.filter(key=maybe_uuid(params.str("incidentId")))
    if params.has("incidentType"):
        incidents = incidents.filter(_TYPE_FILTERS.get(params.str("incidentType"), models.Q(pk__in=[])))
    if params.has("incidentMessage"):
        incidents = incidents.filter(message=params.str("incidentMessage"))
    if params.has("incidentMessageLike"):
        incidents = incidents.filter(message__iregex="^" + _like_regex(params.str("incidentMessageLike")) + "$")
    if params.has("processDefinitionId"):
        incidents = incidents.filter(
            instance__definition_id__in=definition_keys_of([params.str("processDefinitionId")])
        )
    if params.list("processDefinitionKeyIn"):
        incidents = incidents.filter(bpmn_process_id__in=params.list("processDefinitionKeyIn"))
    if params.has("processInstanceId"):
        incidents = incidents.filter(instance_id=maybe_uuid(params.str("processInstanceId")))
    if params.has("executionId"):
        incidents = incidents.filter(element_instance_key=maybe_uuid(params.str("executionId")))
    activities = params.list("activityId") + params.list("failedActivityId")
    if activities:
        incidents = incidents.filter(element_id__in=activities)
    if params.has("configuration"):
        incidents = incidents.filter(job_id=maybe_uuid(params.str("configuration")))
    if params.list("tenantIdIn"):
        incidents = incidents.none()
    field = {"incidentId": "key", "incidentTimestamp": "created_at", "activityId": "element_id"}.get(
        params.str("sortBy") or "", "created_at"
    )
    return incidents.order_by(("-" if params.str("sortOrder") == "desc" else "") + field, "key")


class IncidentList(CamundaView):
    def get(self, request) -> Response:
        return Response(
            [dto.incident(i) for i in paginate(incident_query(Params.of_query(request), request.user), request)]
        )


class IncidentCount(CamundaView):
    def get(self, request) -> Response:
        return Response({"count": incident_query(Params.of_query(request), request.user).count()})


class IncidentDetail(CamundaView):
    capabilities = {"GET": ("view", "work_jobs", "work_tasks"), "DELETE": ("repair",)}

    def get(self, request, incident_id: str) -> Response:
        incident = (
            incident_query(Params.of_body({"incidentId": incident_id}), request.user).first()
            if maybe_uuid(incident_id)
            else None
        )
        if incident is None:
            raise CamundaError(404, "InvalidRequestException", f"No incident found with id '{incident_id}'")
        return Response(dto.incident(incident))

    def delete(self, request, incident_id: str) -> Response:
        incident = (
            Incident.objects.filter(key=maybe_uuid(incident_id), state=Incident.State.OPEN).first()
            if maybe_uuid(incident_id)
            else None
        )
        if incident is None or access.hides_process(request.user, incident.bpmn_process_id):
            raise CamundaError(404, "InvalidRequestException", f"No incident found with id '{incident_id}'")
        self.check_process(incident.bpmn_process_id, f"incident {incident.key}")
        if incident.job_id:
            raise invalid(
                f"Cannot resolve an incident of type {dto.incident(incident)['incidentType']}: set the retries of its job instead"
            )
        services.resolve_incident(incident.key, actor=request.user)
        return Response(status=204)


# -- history ---------------------------------------------------------------------------


def historic_instance_query(params: Params, user: Any):
    instances = instance_query(Params.of_body({}), user=user, runtime=False)
    ids = params.list("processInstanceIds") + params.list("processInstanceId")
    if ids:
        instances = instances.filter(key__in=[k for k in map(maybe_uuid, ids) if k])
    if params.has("processDefinitionId"):
        instances = instances.filter(definition_id__in=definition_keys_of([params.str("processDefinitionId")]))
    keys = params.list("processDefinitionKeyIn") + params.list("processDefinitionKey")
    if keys:
        instances = instances.filter(bpmn_process_id__in=keys)
    if params.list("processDefinitionKeyNotIn"):
        instances = instances.exclude(bpmn_process_id__in=params.list("processDefinitionKeyNotIn"))
    business = params.list("processInstanceBusinessKeyIn") + params.list("processInstanceBusinessKey")
    if business:
        instances = instances.filter(business_key__in=business)
    if params.has("processInstanceBusinessKeyLike"):
        pattern = _like_regex(params.str("processInstanceBusinessKeyLike"))
        instances = instances.filter(business_key__iregex="^" + pattern + "$")
    if params.bool("finished"):
        instances = instances.exclude(state=ProcessInstance.State.ACTIVE)
    if params.bool("unfinished"):
        instances = instances.filter(state=ProcessInstance.State.ACTIVE)
    if params.bool("active"):
        instances = instances.filter(state=ProcessInstance.State.ACTIVE, suspended=False)
    if params.bool("suspended"):
        instances = instances.filter(state=ProcessInstance.State.ACTIVE, suspended=True)
    if params.bool("completed"):
        instances = instances.filter(state=ProcessInstance.State.COMPLETED)
    if params.bool("externallyTerminated"):
        instances = instances.filter(state=ProcessInstance.State.CANCELLED)
    if params.bool("internallyTerminated"):
        instances = instances.none()
    if params.bool("withIncidents"):
        instances = instances.filter(incidents__isnull=False)
    if params.has("startedBy"):
        instances = instances.filter(started_by=params.str("startedBy"))
    if params.has("superProcessInstanceId"):
        instances = instances.filter(parent_id=maybe_uuid(params.str("superProcessInstanceId")))
    if params.bool("rootProcessInstances"):
        instances = instances.filter(parent__isnull=True)
    for name, lookup in (
        ("startedBefore", "started_at__lt"),
        ("startedAfter", "started_at__gt"),
        ("finishedBefore", "ended_at__lt"),
        ("finishedAfter", "ended_at__gt"),
    ):
        if params.has(name):
            instances = instances.filter(**{lookup: parse_date(params.str(name), name)})
    if params.list("tenantIdIn"):
        instances = instances.none()
    instances = with_variables(instances, parse_conditions(params, "variables"), user=user)
    sort_by, sort_order = params.str("sortBy"), params.str("sortOrder")
    sorting = params.source.get("sorting") if not params.is_query else None
    if isinstance(sorting, list) and sorting and isinstance(sorting[0], dict):
        sort_by, sort_order = sorting[0].get("sortBy"), sorting[0].get("sortOrder")
    field = {
        "instanceId": "key",
        "definitionId": "definition_id",
        "definitionKey": "bpmn_process_id",
        "businessKey": "business_key",
        "startTime": "started_at",
        "endTime": "ended_at",
    }.get(sort_by or "", "started_at")
    return instances.order_by(("-" if sort_order == "desc" else "") + field, "key").distinct()


def _historic_instances(items: list[ProcessInstance]) -> list[dict[str, Any]]:
    starts: dict[Any, str] = {}
    rows = (
        ElementInstance.objects.filter(instance_id__in=[i.key for i in items], element_type="startEvent")
        .order_by("started_at")
        .values_list("instance_id", "element_id")
    )
    for instance_key, element_id in rows:
        starts.setdefault(instance_key, element_id)
    return [dto.historic_process_instance(i, starts.get(i.key)) for i in items]


class HistoricInstanceList(CamundaView):
    capabilities = {"GET": ("view", "work_jobs", "work_tasks"), "POST": ("view", "work_jobs", "work_tasks")}

    def get(self, request) -> Response:
        return Response(
            _historic_instances(
                list(paginate(historic_instance_query(Params.of_query(request), request.user), request))
            )
        )

    def post(self, request) -> Response:
        return Response(
            _historic_instances(
                list(paginate(historic_instance_query(Params.of_body(self.body()), request.user), request))
            )
        )


class HistoricInstanceCount(CamundaView):
    capabilities = {"GET": ("view", "work_jobs", "work_tasks"), "POST": ("view", "work_jobs", "work_tasks")}

    def get(self, request) -> Response:
        return Response({"count": historic_instance_query(Params.of_query(request), request.user).count()})

    def post(self, request) -> Response:
        return Response({"count": historic_instance_query(Params.of_body(self.body()), request.user).count()})


class HistoricInstanceDetail(CamundaView):
    def get(self, request, instance_id: str) -> Response:
        key = maybe_uuid(instance_id)
        instance = ProcessInstance.objects.select_related("definition").filter(key=key).first() if key else None
        if instance is None or access.hides_process(request.user, instance.bpmn_process_id):
            raise CamundaError(
                404, "InvalidRequestException", f"Historic process instance with id {instance_id} does not exist"
            )
        return Response(_historic_instances([instance])[0])


def historic_activity_query(params: Params, user):
    rows = without_hidden(
        ElementInstance.objects.select_related("instance__definition"), user, "instance__bpmn_process_id"
    )
    if params.has("activityInstanceId"):
        rows = rows.filter(key=maybe_uuid(params.str("activityInstanceId")))
    if params.has("processInstanceId"):
        rows = rows.filter(instance_id=maybe_uuid(params.str("processInstanceId")))
    if params.has("processDefinitionId"):
        rows = rows.filter(instance__definition_id__in=definition_keys_of([params.str("processDefinitionId")]))
    if params.has("executionId"):
        rows = rows.filter(key=maybe_uuid(params.str("executionId")))
    activities = params.list("activityIdIn") + params.list("activityId")
    if activities:
        rows = rows.filter(element_id__in=activities)
    if params.has("activityType"):
        rows = rows.filter(element_type=params.str("activityType"))
    if params.has("taskAssignee"):
        keys = UserTask.objects.filter(assignee=params.str("taskAssignee")).values("element_instance_key")
        rows = rows.filter(key__in=keys)
    if params.bool("finished"):
        rows = rows.exclude(state=ElementInstance.State.ACTIVE)
    if params.bool("unfinished"):
        rows = rows.filter(state=ElementInstance.State.ACTIVE)
    if params.bool("canceled"):
        rows = rows.filter(state=ElementInstance.State.TERMINATED)
    if params.bool("completeScope"):
        rows = rows.filter(element_type="endEvent")
    for name, lookup in (
        ("startedBefore", "started_at__lt"),
        ("startedAfter", "started_at__gt"),
        ("finishedBefore", "ended_at__lt"),
        ("finishedAfter", "ended_at__gt"),
    ):
        if params.has(name):
            rows = rows.filter(**{lookup: parse_date(params.str(name), name)})
    if params.list("tenantIdIn"):
        rows = rows.none()
    sort_by, sort_order = params.str("sortBy"), params.str("sortOrder")
    sorting = params.source.get("sorting") if not params.is_query else None
    if isinstance(sorting, list) and sorting and isinstance(sorting[0], dict):
        sort_by, sort_order = sorting[0].get("sortBy"), sorting[0].get("sortOrder")
    field = {
        "activityInstanceId": "key",
        "instanceId": "instance_id",
        "executionId": "key",
        "activityId": "element_id",
        "activityType": "element_type",
        "startTime": "started_at",
        "endTime": "ended_at",
        "occurrence": "started_at",
    }.get(sort_by or "", "started_at")
    descending = sort_order == "desc"
    # elements a command passed through share its start time: the one that ended first came first
    ended = models.F("ended_at").desc(nulls_first=True) if descending else models.F("ended_at").asc(nulls_last=True)
    return rows.order_by(("-" if descending else "") + field, ended, "key")


def _historic_activities(rows: list[ElementInstance], names_name: str = "") -> list[dict[str, Any]]:
    keys = [r.key for r in rows]
    tasks = {t.element_instance_key: t for t in UserTask.objects.filter(element_instance_key__in=keys)}
    called = dict(
        ProcessInstance.objects.filter(parent_element_instance_key__in=keys).values_list(
            "parent_element_instance_key", "key"
        )
    )
    names: dict[Any, dict[str, str]] = {}
    out = []
    for row in rows:
        definition = row.instance.definition
        if definition.key not in names:
            names[definition.key] = element_names(definition)
        task = tasks.get(row.key)
        extra = {
            "taskId": str(task.key) if task else None,
            "assignee": (task.assignee or None) if task else None,
            "calledProcessInstanceId": str(called[row.key]) if row.key in called else None,
        }
        out.append(dto.historic_activity_instance(row, names[definition.key], extra))
    return out


class HistoricActivityList(CamundaView):
    capabilities = {"GET": ("view", "work_jobs", "work_tasks"), "POST": ("view", "work_jobs", "work_tasks")}

    def get(self, request) -> Response:
        return Response(
            _historic_activities(
                list(paginate(historic_activity_query(Params.of_query(request), request.user), request))
            )
        )

    def post(self, request) -> Response:
        return Response(
            _historic_activities(
                list(paginate(historic_activity_query(Params.of_body(self.body()), request.user), request))
            )
        )


class HistoricActivityCount(CamundaView):
    capabilities = {"GET": ("view", "work_jobs", "work_tasks"), "POST": ("view", "work_jobs", "work_tasks")}

    def get(self, request) -> Response:
        return Response({"count": historic_activity_query(Params.of_query(request), request.user).count()})

    def post(self, request) -> Response:
        return Response({"count": historic_activity_query(Params.of_body(self.body()), request.user).count()})


class HistoricActivityDetail(CamundaView):
    def get(self, request, activity_instance_id: str) -> Response:
        key = maybe_uuid(activity_instance_id)
        row = ElementInstance.objects.select_related("instance__definition").filter(key=key).first() if key else None
        if row is None or access.hides_process(request.user, row.instance.bpmn_process_id):
            raise CamundaError(
                404,
                "InvalidRequestException",
                f"Historic activity instance with id {activity_instance_id} does not exist",
            )
        return Response(_historic_activities([row])[0])


# -- migration ---------------------------------------------------------------------------


def _plan_dto(plan, source_id: str, target_id: str) -> dict[str, Any]:
    return {
        "sourceProcessDefinitionId": source_id,
        "targetProcessDefinitionId": target_id,
        "instructions": [
            {"sourceActivityIds": [s], "targetActivityIds": [t], "updateEventTrigger": False}
            for s, t in plan.instructions
        ],
        "variables": None,
    }


def _require_definitions(body: dict[str, Any]) -> None:
    if not body.get("sourceProcessDefinitionId") or not body.get("targetProcessDefinitionId"):
        raise invalid("sourceProcessDefinitionId and targetProcessDefinitionId are required")


def _plan_from(body: Any, user):
    if not isinstance(body, dict):
        raise invalid("migrationPlan must be a JSON object")
    _require_definitions(body)
    source = definition_from_id(str(body.get("sourceProcessDefinitionId") or ""), user)
    target = definition_from_id(str(body.get("targetProcessDefinitionId") or ""), user)
    if body.get("variables"):
        raise not_implemented("variables on a migration plan are not supported")
    pairs = []
    for instruction in body.get("instructions") or []:
        sources = as_list(instruction.get("sourceActivityIds")) if isinstance(instruction, dict) else []
        targets = as_list(instruction.get("targetActivityIds")) if isinstance(instruction, dict) else []
        if len(sources) != 1 or len(targets) != 1:
            raise invalid("each migration instruction maps exactly one source activity to one target activity")
        pairs.append((sources[0], targets[0]))
    plan = services.generate_plan(source, target, instructions=pairs, auto=False)
    return plan, source, target


class MigrationGenerate(CamundaView):
    capabilities = {"POST": ("repair",)}

    def post(self, request) -> Response:
        user = request.user
        body = self.body()
        source = definition_from_id(str(body.get("sourceProcessDefinitionId") or ""), user)
        target = definition_from_id(str(body.get("targetProcessDefinitionId") or ""), user)
        plan = services.generate_plan(source, target)
        return Response(_plan_dto(plan, source.camunda_id, target.camunda_id))


class MigrationValidate(CamundaView):
    capabilities = {"POST": ("repair",)}

    def post(self, request) -> Response:
        user = request.user
        body = self.body()
        definition_from_id(str(body.get("sourceProcessDefinitionId") or ""), user)
        definition_from_id(str(body.get("targetProcessDefinitionId") or ""), user)
        try:
            _plan_from(body, user)
        except CamundaError:
            raise
        except Exception as exc:  # noqa: BLE001 - an invalid plan is reported, not raised
            message = getattr(exc, "message", str(exc))
            return Response(
                {"instructionReports": [{"instruction": None, "failures": [message]}], "variableReports": {}}
            )
        return Response({"instructionReports": [], "variableReports": {}})


class MigrationExecute(CamundaView):
    capabilities = {"POST": ("repair",)}

    def post(self, request) -> Response:
        body = self.body()
        plan, source, target = _plan_from(body.get("migrationPlan"), request.user)
        keys = [k for k in map(maybe_uuid, as_list(body.get("processInstanceIds"))) if k]
        query = body.get("processInstanceQuery")
        if isinstance(query, dict):
            keys += list(instance_query(Params.of_body(query), user=request.user).values_list("key", flat=True))
        keys = list(dict.fromkeys(keys))
        if not keys:
            raise invalid("process instance ids cannot be empty")
        self.check_process(target.bpmn_process_id, f"process definition {target.camunda_id}")
        access.check_selection(request.user, ProcessInstance.objects.filter(key__in=keys))
        try:
            services.migrate_instances(plan, keys, actor=request.user)
        except MigrationRefused as exc:
            raise CamundaError(400, "MigratingProcessInstanceValidationException", exc.message) from None
        return Response(status=204)
