"""/process-instance (query, get, delete, suspend, variables, activity tree), /message, /signal.

Per-process rules (orchestration.access): instances of a process a rule hides from the
caller are left out of queries and do not exist by id; a write needs its capability on the
instance's process (403 AuthorizationException when a rule takes it away). A variable
filter on a variable masked for the caller is refused (400): its count would reveal the value.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpResponse
from rest_framework.response import Response

from ... import access, services
from ...exceptions import AmbiguousCorrelation, NoSubscription
from ...models import ElementInstance, Incident, MessageSubscription, ProcessInstance, Variable
from . import dto
from .base import (
    READ,
    CamundaError,
    CamundaView,
    Params,
    as_bool,
    as_list,
    definition_keys_of,
    invalid,
    maybe_uuid,
    not_implemented,
    paginate,
    without_hidden,
)
from .reads import element_names, process_variables
from .variables import masked_typed, to_native, typed, variables_in, variables_out

WORK = ("work_jobs",)
_OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "like", "notLike")


# -- variable conditions ---------------------------------------------------------------


def _guess(text: str) -> Any:
    """A query-string value as JSON if it reads as a number or boolean (Camunda compares typed values)."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return json.loads(text) if text[:1] in "-0123456789" else text
    except ValueError:
        return text


def variable_condition(name: str, operator: str, value: Any, *, from_text: bool) -> Q:
    """Rows of Variable matching one Camunda condition (name_operator_value)."""
    if operator not in _OPERATORS:
        raise invalid(f"Invalid variable comparator specified: {operator}")
    q = Q(name=name)
    if from_text and isinstance(value, str):
        value = _guess(value)
    if operator in ("eq", "neq"):
        match = Q(value=value)
        if isinstance(value, str):
            match |= Q(value_text=value)
        return q & (match if operator == "eq" else ~match)
    if operator in ("like", "notLike"):
        pattern = str(value)
        match = Q(value_text__iregex="^" + _like_regex(pattern) + "$")
        return q & (match if operator == "like" else ~match)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise invalid(f"Invalid variable comparator '{operator}' for value '{value}'")
    lookup = {"gt": "gt", "gteq": "gte", "lt": "lt", "lteq": "lte"}[operator]
    return q & Q(**{f"value__{lookup}": value})


def _like_regex(pattern: str) -> str:
    import re

    return "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)


def parse_conditions(params: Params, name: str) -> list[tuple[str, str, Any, bool]]:
    """GET: "a_eq_1,b_like_x%" (repeated or comma-separated); POST: [{name, operator, value}]."""
    raw = params.source.get(name)
    out: list[tuple[str, str, Any, bool]] = []
    if raw in (None, "", []):
        return out
    if params.is_query:
        for item in as_list(raw):
            parts = item.split("_")
            if len(parts) < 3:
                raise invalid(f"Invalid variable filter '{item}': use name_operator_value")
            out.append((parts[0], parts[1], "_".join(parts[2:]), True))
        return out
    if not isinstance(raw, list):
        raise invalid(f"'{name}' must be a list of {{name, operator, value}}")
    for item in raw:
        if not isinstance(item, dict) or "name" not in item or "operator" not in item:
            raise invalid(f"each entry of '{name}' needs name, operator and value")
        out.append((str(item["name"]), str(item["operator"]), item.get("value"), False))
    return out


def with_variables(instances, conditions: list[tuple[str, str, Any, bool]], *, user: Any, field: str = "key"):
    for name, operator, value, from_text in conditions:
        if access.masked_anywhere(user, name):
            raise invalid(f"Variable '{name}' is protected: it cannot be a filter (its value would show in the count)")
        rows = Variable.objects.filter(variable_condition(name, operator, value, from_text=from_text))
        rows = rows.filter(instance_id=OuterRef(field), scope_key=OuterRef(field))
        instances = instances.filter(Exists(rows))
    return instances


# -- process instances ---------------------------------------------------------------


def instance_query(params: Params, *, user: Any, runtime: bool = True):
    instances = without_hidden(ProcessInstance.objects.select_related("definition"), user)
    if runtime:
        instances = instances.filter(state=ProcessInstance.State.ACTIVE)
    ids = params.list("processInstanceIds") + params.list("processInstanceId")
    if ids:
        instances = instances.filter(key__in=[k for k in map(maybe_uuid, ids) if k])
    if params.has("businessKey"):
        instances = instances.filter(business_key=params.str("businessKey"))
    if params.has("businessKeyLike"):
        instances = instances.filter(business_key__iregex="^" + _like_regex(params.str("businessKeyLike")) + "$")
    if params.has("processDefinitionId"):
        instances = instances.filter(definition_id__in=definition_keys_of([params.str("processDefinitionId")]))
    if params.has("processDefinitionKey"):
        instances = instances.filter(bpmn_process_id=params.str("processDefinitionKey"))
    if params.list("processDefinitionKeyIn"):
        instances = instances.filter(bpmn_process_id__in=params.list("processDefinitionKeyIn"))
    if params.list("processDefinitionKeyNotIn"):
        instances = instances.exclude(bpmn_process_id__in=params.list("processDefinitionKeyNotIn"))
    if params.has("deploymentId"):
        instances = instances.filter(definition__deployment_id=maybe_uuid(params.str("deploymentId")))
    if params.has("superProcessInstance"):
        instances = instances.filter(parent_id=maybe_uuid(params.str("superProcessInstance")))
    if params.has("subProcessInstance"):
        child = ProcessInstance.objects.filter(key=maybe_uuid(params.str("subProcessInstance"))).values("parent_id")
        instances = instances.filter(key__in=child)
    if params.bool("active"):
        instances = instances.filter(suspended=False)
    if params.bool("suspended"):
        instances = instances.filter(suspended=True)
    if params.bool("rootProcessInstances"):
        instances = instances.filter(parent__isnull=True)
    if params.bool("leafProcessInstances"):
        instances = instances.exclude(Exists(ProcessInstance.objects.filter(parent_id=OuterRef("key"), state="active")))
    if params.bool("withIncident"):
        instances = instances.filter(incident_count__gt=0)
    if params.has("incidentId"):
        instances = instances.filter(incidents__key=maybe_uuid(params.str("incidentId")))
    if params.has("incidentMessage"):
        instances = instances.filter(incidents__message=params.str("incidentMessage"), incidents__state="open")
    activities = params.list("activityIdIn")
    if activities:
        instances = instances.filter(
            Exists(
                ElementInstance.objects.filter(instance_id=OuterRef("key"), element_id__in=activities, state="active")
            )
        )
    if params.list("tenantIdIn"):
        instances = instances.none()
    instances = with_variables(instances, parse_conditions(params, "variables"), user=user)
    field = {
        "instanceId": "key",
        "definitionKey": "bpmn_process_id",
        "definitionId": "definition_id",
        "businessKey": "business_key",
    }.get(params.str("sortBy") or "", "started_at")
    return instances.order_by(("-" if params.str("sortOrder") == "desc" else "") + field, "key").distinct()


class InstanceList(CamundaView):
    capabilities = {"GET": READ, "POST": READ}

    def get(self, request) -> Response:
        items = paginate(instance_query(Params.of_query(request), user=request.user), request)
        return Response([dto.process_instance(i) for i in items])

    def post(self, request) -> Response:
        items = paginate(instance_query(Params.of_body(self.body()), user=request.user), request)
        return Response([dto.process_instance(i) for i in items])


class InstanceCount(CamundaView):
    capabilities = {"GET": READ, "POST": READ}

    def get(self, request) -> Response:
        return Response({"count": instance_query(Params.of_query(request), user=request.user).count()})

    def post(self, request) -> Response:
        return Response({"count": instance_query(Params.of_body(self.body()), user=request.user).count()})


def running_instance(instance_id: str, user: Any) -> ProcessInstance:
    """The active instance, or 404 (also when a rule hides its process from ``user``)."""
    key = maybe_uuid(instance_id)
    instance = (
        ProcessInstance.objects.select_related("definition").filter(key=key, state=ProcessInstance.State.ACTIVE).first()
        if key
        else None
    )
    if instance is None or access.hides_process(user, instance.bpmn_process_id):
        raise CamundaError(404, "InvalidRequestException", f"Process instance with id {instance_id} does not exist")
    return instance


class InstanceDetail(CamundaView):
    capabilities = {"GET": READ, "DELETE": ("repair",)}

    def get(self, request, instance_id: str) -> Response:
        return Response(dto.process_instance(running_instance(instance_id, request.user)))

    def delete(self, request, instance_id: str) -> Response:
        fail = as_bool(request.query_params.get("failIfNotExists"), "failIfNotExists")
        try:
            instance = running_instance(instance_id, request.user)
        except CamundaError:
            if fail is False:
                return Response(status=204)
            raise CamundaError(
                404, "InvalidRequestException", f"Process instance with id {instance_id} does not exist"
            ) from None
        self.check_process(instance.bpmn_process_id, f"process instance {instance.key}")
        services.cancel_instance(instance.key, actor=request.user, reason="deleted through the Camunda 7 REST API")
        return Response(status=204)


class InstanceSuspended(CamundaView):
    capabilities = {"PUT": ("repair",)}

    def put(self, request, instance_id: str) -> Response:
        instance = running_instance(instance_id, request.user)
        suspended = as_bool(self.body().get("suspended"), "suspended")
        if suspended is None:
            raise invalid("suspended (true or false) is required")
        self.check_process(instance.bpmn_process_id, f"process instance {instance.key}")
        if suspended and not instance.suspended:
            services.suspend_instance(instance.key, actor=request.user)
        elif not suspended and instance.suspended:
            services.resume_instance(instance.key, actor=request.user)
        return Response(status=204)


class InstanceVariables(CamundaView):
    capabilities = {"GET": READ, "POST": ("repair", "work_jobs")}

    def get(self, request, instance_id: str) -> Response:
        instance = running_instance(instance_id, request.user)
        masked = access.masked_names(request.user, instance.bpmn_process_id)
        return Response(variables_out(process_variables(instance.key), masked=masked))

    def post(self, request, instance_id: str) -> Response:
        """Modify: {modifications: {...typed}, deletions: [...]}."""
        instance = running_instance(instance_id, request.user)
        body = self.body()
        if as_list(body.get("deletions")):
            raise not_implemented("deleting variables is not supported: set them to null instead")
        modifications = variables_in(body.get("modifications"), "modifications")
        self.check_process(instance.bpmn_process_id, f"process instance {instance.key}")
        if modifications:
            services.set_variables(instance.key, modifications, actor=request.user)
        return Response(status=204)


class InstanceVariable(CamundaView):
    capabilities = {"GET": READ, "PUT": ("repair", "work_jobs"), "DELETE": ("repair",)}

    def get(self, request, instance_id: str, name: str) -> Response:
        instance = running_instance(instance_id, request.user)
        values = process_variables(instance.key)
        if name not in values:
            raise CamundaError(
                404, "InvalidRequestException", f"process instance variable with name {name} does not exist"
            )
        if name in access.masked_names(request.user, instance.bpmn_process_id):
            return Response(masked_typed())
        return Response(typed(values[name]))

    def put(self, request, instance_id: str, name: str) -> Response:
        instance = running_instance(instance_id, request.user)
        value = to_native(name, self.body())
        self.check_process(instance.bpmn_process_id, f"process instance {instance.key}")
        services.set_variables(instance.key, {name: value}, actor=request.user)
        return Response(status=204)

    def delete(self, request, instance_id: str, name: str) -> Response:
        running_instance(instance_id, request.user)
        raise not_implemented("deleting variables is not supported: set them to null instead")


class InstanceVariableData(CamundaView):
    def get(self, request, instance_id: str, name: str) -> HttpResponse:
        instance = running_instance(instance_id, request.user)
        values = process_variables(instance.key)
        if name not in values:
            raise CamundaError(
                404, "InvalidRequestException", f"process instance variable with name {name} does not exist"
            )
        value = values[name]
        if name in access.masked_names(request.user, instance.bpmn_process_id):
            value = None  # masked: no bytes, the same answer as for a value that is not binary
        try:
            data = base64.b64decode(value, validate=True) if isinstance(value, str) else None
        except (binascii.Error, ValueError):
            data = None
        if data is None:
            raise invalid(f"Value of variable with id {name} is not a binary value")
        return HttpResponse(data, content_type="application/octet-stream")


class InstanceActivityTree(CamundaView):
    def get(self, request, instance_id: str) -> Response:
        instance = running_instance(instance_id, request.user)
        names = element_names(instance.definition)
        rows = list(
            ElementInstance.objects.filter(instance_id=instance.key, state=ElementInstance.State.ACTIVE).order_by(
                "started_at"
            )
        )
        incidents: dict[uuid.UUID, list[str]] = {}
        for key, ei_key in Incident.objects.filter(instance_id=instance.key, state=Incident.State.OPEN).values_list(
            "key", "element_instance_key"
        ):
            incidents.setdefault(ei_key, []).append(str(key))
        children: dict[uuid.UUID | None, list[ElementInstance]] = {}
        for row in rows:
            parent = row.scope_key if row.scope_key != instance.key else None
            children.setdefault(parent, []).append(row)
        definition_id = instance.definition.camunda_id

        def node(row: ElementInstance, parent_id: str) -> dict[str, Any]:
            ids = incidents.get(row.key, [])
            return {
                "id": str(row.key),
                "parentActivityInstanceId": parent_id,
                "activityId": row.element_id,
                "activityType": row.element_type,
                "processInstanceId": str(instance.key),
                "processDefinitionId": definition_id,
                "childActivityInstances": [node(c, str(row.key)) for c in children.get(row.key, [])],
                "childTransitionInstances": [],
                "executionIds": [str(row.key)],
                "activityName": names.get(row.element_id),
                "incidentIds": ids,
                "incidents": [{"id": i, "activityId": row.element_id} for i in ids],
                "name": names.get(row.element_id),
            }

        root_name = instance.definition.name or None
        return Response(
            {
                "id": str(instance.key),
                "parentActivityInstanceId": None,
                "activityId": definition_id,
                "activityType": "processDefinition",
                "processInstanceId": str(instance.key),
                "processDefinitionId": definition_id,
                "childActivityInstances": [node(c, str(instance.key)) for c in children.get(None, [])],
                "childTransitionInstances": [],
                "executionIds": [str(instance.key)],
                "activityName": root_name,
                "incidentIds": [],
                "incidents": [],
                "name": root_name,
            }
        )


# -- messages and signals -------------------------------------------------------------


def _no_match(name: str) -> CamundaError:
    return CamundaError(
        400,
        "RestException",
        f"Cannot correlate message '{name}': No process definition or execution matches the parameters",
    )


def _ambiguous(name: str, count: int, business_key: Any, instance_id: Any, keys: dict[str, Any]) -> CamundaError:
    return CamundaError(
        400,
        "RestException",
        f"Cannot correlate a message '{name}' to a single execution. {count} executions match the correlation keys: "
        f"CorrelationSet [businessKey={business_key}, processInstanceId={instance_id}, processDefinitionId=null, "
        f"correlationKeys={keys or None}, localCorrelationKeys=null, tenantId=null, isTenantIdSet=false, isExecutionsOnly=false]",
    )


def _waiting_instances(
    name: str,
    business_key: str | None,
    instance_key: uuid.UUID | None,
    keys: dict[str, Any],
    excluded: frozenset[str] = frozenset(),
) -> list:
    subs = MessageSubscription.objects.filter(
        message_name=name, state=MessageSubscription.State.OPEN, instance__isnull=False, instance__state="active"
    )
    if excluded:
        subs = subs.exclude(instance__bpmn_process_id__in=sorted(excluded))
    if business_key is not None:
        subs = subs.filter(instance__business_key=business_key)
    if instance_key is not None:
        subs = subs.filter(instance_id=instance_key)
    for var, value in keys.items():
        subs = subs.filter(
            Exists(
                Variable.objects.filter(
                    instance_id=OuterRef("instance_id"), scope_key=OuterRef("instance_id"), name=var, value=value
                )
            )
        )
    return list(subs.order_by("created_at").values_list("instance_id", flat=True))


def _result(correlation, request, with_variables: bool) -> dict[str, Any]:
    instance = ProcessInstance.objects.select_related("definition").get(key=correlation.instance_key)
    data: dict[str, Any]
    if correlation.started:
        data = {"resultType": "ProcessDefinition", "execution": None, "processInstance": dto.process_instance(instance)}
    else:
        data = {
            "resultType": "Execution",
            "execution": {
                "id": str(instance.key),
                "processInstanceId": str(instance.key),
                "ended": instance.state != ProcessInstance.State.ACTIVE,
                "tenantId": None,
            },
            "processInstance": None,
        }
    if with_variables:
        masked = access.masked_names(request.user, instance.bpmn_process_id)
        data["variables"] = variables_out(process_variables(instance.key), masked=masked)
    return data


class MessageCorrelate(CamundaView):
    """POST /message: correlationKeys match the waiting instances' process variables (equality)."""

    capabilities = {"POST": WORK}

    def post(self, request) -> Response:
        body = self.body()
        name = body.get("messageName")
        if not isinstance(name, str) or not name:
            raise invalid("No message name supplied")
        if body.get("tenantId") is not None and as_bool(body.get("withoutTenantId"), "withoutTenantId"):
            raise invalid("Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.")
        if body.get("tenantId"):
            raise _no_match(name)  # nothing belongs to a tenant here
        if body.get("localCorrelationKeys"):
            raise not_implemented("localCorrelationKeys are not supported: use correlationKeys (process variables)")
        business_key = body.get("businessKey")
        business_key = str(business_key) if business_key is not None else None
        instance_id = body.get("processInstanceId")
        instance_key = None
        if instance_id is not None:
            instance_key = maybe_uuid(instance_id)
            if instance_key is None:
                raise _no_match(name)
        keys = variables_in(body.get("correlationKeys"), "correlationKeys")
        variables = variables_in(body.get("processVariables"), "processVariables")
        variables.update(variables_in(body.get("processVariablesLocal"), "processVariablesLocal"))
        correlate_all = bool(as_bool(body.get("all"), "all"))
        # per-process rules: instances (and start events) the caller may not change do not match
        excluded = access.correlation_excluded(request.user)
        excluded_starts = access.correlation_excluded(request.user, start=True)
        with transaction.atomic():
            if not keys:
                try:
                    results = services.correlate_message(
                        name,
                        actor=request.user,
                        business_key=business_key,
                        process_instance_key=str(instance_key) if instance_key else None,
                        variables=variables,
                        all=correlate_all,
                        exclude_process_ids=excluded,
                        exclude_start_process_ids=excluded_starts,
                    )
                except NoSubscription:
                    if correlate_all:
                        results = []
                    else:
                        raise _no_match(name) from None
                except AmbiguousCorrelation:
                    count = len(_waiting_instances(name, business_key, instance_key, {}, excluded))
                    raise _ambiguous(name, count, business_key, instance_id, keys) from None
            else:
                waiting = list(dict.fromkeys(_waiting_instances(name, business_key, instance_key, keys, excluded)))
                if not waiting and not correlate_all:
                    raise _no_match(name)
                if len(waiting) > 1 and not correlate_all:
                    raise _ambiguous(name, len(waiting), business_key, instance_id, keys)
                results = []
                for key in waiting:
                    results.extend(
                        services.correlate_message(
                            name,
                            actor=request.user,
                            business_key=business_key,
                            process_instance_key=str(key),
                            variables=variables,
                            all=correlate_all,
                            start_instances=False,
                            exclude_process_ids=excluded,
                        )
                    )
        if not as_bool(body.get("resultEnabled"), "resultEnabled"):
            return Response(status=204)
        with_variables = bool(as_bool(body.get("variablesInResultEnabled"), "variablesInResultEnabled"))
        return Response([_result(r, request, with_variables) for r in results])


class SignalThrow(CamundaView):
    capabilities = {"POST": WORK}

    def post(self, request) -> Response:
        body = self.body()
        name = body.get("name")
        if not isinstance(name, str) or not name:
            raise invalid("No signal name given")
        if body.get("executionId"):
            raise not_implemented("signalling one execution (executionId) is not supported: signals are broadcast")
        if body.get("tenantId"):
            return Response(status=204)  # no tenant here: no subscriber belongs to it
        access.check_broadcast(request.user)  # a signal reaches every process: refused for a user with deny rules
        services.broadcast_signal(name, actor=request.user, variables=variables_in(body.get("variables")))
        return Response(status=204)
