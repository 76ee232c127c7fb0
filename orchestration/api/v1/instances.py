"""Process instances: start, search (Operate's filters, keyset pages), get, cancel,
suspend/resume, variables, migrate, modify, and the audit history.

Per-process rules (orchestration.access) apply on top of the role: a rule that takes
"view" away hides the process's instances (left out of the search, 404 by key); one that
takes "repair" away refuses every change to them (403); one that takes "start" away
refuses starting the process (403). A search condition on a variable masked for the
caller is refused (400 invalid_filter).
"""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, selectors, services
from ...exceptions import NotFound
from ...instance_search import check_masked_conditions, filter_instances, open_incident_exists, order_instances
from ...models import AuditEvent, ElementInstance, Incident, ProcessInstance, Variable
from ...selectors import INSTANCE_STATES, Cursor, InstanceFilter
from ...services.modification import KINDS
from .base import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiView,
    PageQuerySerializer,
    ReasonSerializer,
    body,
    decode_cursor,
    encode_cursor,
    errors,
    page,
    page_serializer,
    parse_key,
    query,
    variables_field,
)
from .definitions import get_definition


class InstanceSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    processId = serializers.CharField(source="bpmn_process_id")
    definitionKey = serializers.UUIDField(source="definition_id")
    version = serializers.IntegerField(source="definition.version")
    businessKey = serializers.CharField(source="business_key")
    state = serializers.CharField()
    suspended = serializers.BooleanField()
    hasOpenIncident = serializers.SerializerMethodField()
    parentKey = serializers.UUIDField(source="parent_id", allow_null=True)
    rootKey = serializers.UUIDField(source="root_key", allow_null=True)
    startedBy = serializers.CharField(source="started_by")
    startedAt = serializers.DateTimeField(source="started_at")
    endedAt = serializers.DateTimeField(source="ended_at", allow_null=True)

    def get_hasOpenIncident(self, obj: ProcessInstance) -> bool:
        value = getattr(obj, "has_open_incident", None)
        if value is None:
            value = obj.incidents.filter(state=Incident.State.OPEN).exists()
        return bool(value)


class ActiveElementSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    elementId = serializers.CharField(source="element_id")
    elementType = serializers.CharField(source="element_type")
    scopeKey = serializers.UUIDField(source="scope_key", allow_null=True)
    startedAt = serializers.DateTimeField(source="started_at")


class InstanceDetailSerializer(InstanceSerializer):
    activeElements = serializers.SerializerMethodField()

    @extend_schema_field(ActiveElementSerializer(many=True))
    def get_activeElements(self, obj: ProcessInstance) -> list:
        rows = obj.element_instances.filter(state=ElementInstance.State.ACTIVE).order_by("started_at", "key")
        return ActiveElementSerializer(rows, many=True).data


InstancePage = page_serializer(InstanceSerializer, "InstancePage")


class InstanceFilterSerializer(serializers.Serializer):
    """The instance search's filters (also the selection of a batch operation)."""

    processId = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)
    state = serializers.ChoiceField(choices=INSTANCE_STATES, required=False, default="", allow_blank=True)
    businessKey = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=255, help_text="prefix"
    )
    q = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=500,
        help_text="name=value on variables, an instance key, or a business key prefix",
    )
    fingerprint = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=255,
        help_text="with an open incident of this fingerprint",
    )


class InstanceQuerySerializer(PageQuerySerializer, InstanceFilterSerializer):
    pass


class StartSerializer(serializers.Serializer):
    processId = serializers.CharField(required=False, max_length=255, help_text="latest version of this process")
    definitionKey = serializers.UUIDField(required=False, help_text="or this exact version")
    businessKey = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)
    variables = variables_field()

    def validate(self, attrs):
        if bool(attrs.get("processId")) == bool(attrs.get("definitionKey")):
            raise serializers.ValidationError({"processId": ["give exactly one of processId and definitionKey"]})
        return attrs


def get_instance(key: str, user) -> ProcessInstance:
    """The instance, or 404 (also when a rule hides its process from ``user``)."""
    instance = selectors.get_instance(parse_key(key, "process instance"))
    if instance is None or access.hides_process(user, instance.bpmn_process_id):
        raise NotFound(f"process instance {key} not found")
    return instance


def instance_for_change(request: Request, key: str) -> ProcessInstance:
    """The instance the caller may repair: 404 unknown or hidden, 403 when a rule takes repair away."""
    return access.instance_for_change(request.user, parse_key(key, "process instance"))


def search_instances(user, filters: InstanceFilter, *, after: Cursor | None, limit: int) -> tuple[list, Cursor | None]:
    """One page of the search, without the processes a rule hides from ``user``."""
    check_masked_conditions(filters, user)
    instances = ProcessInstance.objects.select_related("definition").annotate(has_open_incident=open_incident_exists())
    # hidden: left out, and a search match among them does not roll up to its visible root case
    hidden = access.hidden_processes(user)
    rows = list(order_instances(filter_instances(filters, instances, hidden=hidden), filters.sort, after)[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, Cursor.after_row(rows[-1], filters.sort)


def _detail(key: uuid.UUID) -> dict:
    return InstanceDetailSerializer(selectors.get_instance(key)).data


class InstanceList(ApiView):
    write_capability = "work_jobs"

    @extend_schema(
        operation_id="process_instances_search",
        parameters=[InstanceQuerySerializer],
        responses={200: InstancePage, **errors(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        params = query(request, InstanceQuerySerializer)
        after = None
        if params.get("cursor"):
            after = Cursor.decode(params["cursor"])
            if after is None:
                raise serializers.ValidationError({"cursor": ["not a cursor this list returned"]})
        filters = InstanceFilter(
            process=params["processId"],
            state=params["state"],
            business_key=params["businessKey"],
            q=params["q"],
            fingerprint=params["fingerprint"],
        )
        rows, next_cursor = search_instances(request.user, filters, after=after, limit=params["limit"])
        return Response(page(rows, next_cursor.encode() if next_cursor else None, InstanceSerializer))

    @extend_schema(request=StartSerializer, responses={201: InstanceDetailSerializer, **errors(*WRITE_ERRORS)})
    def post(self, request: Request) -> Response:
        data = body(request, StartSerializer)
        definition = get_definition(str(data["definitionKey"])) if data.get("definitionKey") else None
        if definition is not None:
            access.check_start(request.user, definition.bpmn_process_id, what=f"process definition {definition.key}")
        else:
            what = f"a process definition with id '{data['processId']}'"
            access.check_start(request.user, data["processId"], what=what)
        instance = services.start_instance(
            data.get("processId"),
            definition=definition,
            variables=data["variables"],
            business_key=data["businessKey"],
            actor=request.user,
        )
        return Response(_detail(instance.key), status=status.HTTP_201_CREATED)


class InstanceDetail(ApiView):
    @extend_schema(responses={200: InstanceDetailSerializer, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> Response:
        return Response(InstanceDetailSerializer(get_instance(key, request.user)).data)


def _action(service, summary: str):
    class InstanceAction(ApiView):
        @extend_schema(
            request=ReasonSerializer,
            responses={200: InstanceDetailSerializer, **errors(*WRITE_ERRORS)},
            summary=summary,
        )
        def post(self, request: Request, key: str) -> Response:
            data = body(request, ReasonSerializer)
            instance = instance_for_change(request, key)
            instance = service(instance.key, actor=request.user, reason=data["reason"])
            return Response(_detail(instance.key))

    InstanceAction.__name__ = InstanceAction.__qualname__ = f"Instance{service.__name__.split('_')[0].title()}"
    return InstanceAction


InstanceCancel = _action(services.cancel_instance, "Cancel the instance (a called child: cancel its root)")
InstanceSuspend = _action(services.suspend_instance, "Suspend: nothing moves it on until it is resumed")
InstanceResume = _action(services.resume_instance, "Resume a suspended instance")


# -- variables ---------------------------------------------------------------------------


class VariablesQuerySerializer(serializers.Serializer):
    scopeKey = serializers.UUIDField(required=False, help_text="an element instance scope; default the process scope")


class SetVariablesSerializer(ReasonSerializer):
    variables = variables_field(required=True, default=serializers.empty)
    scopeKey = serializers.UUIDField(required=False)


MASKED_HELP = "names of the variables the caller may not read (MaskedVariable): their value is null"

VariablesSerializer = inline_serializer(
    "Variables",
    {
        "scopeKey": serializers.UUIDField(),
        "variables": serializers.DictField(child=serializers.JSONField()),
        "masked": serializers.ListField(child=serializers.CharField(), help_text=MASKED_HELP),
    },
)


def masked_values(user, bpmn_process_id: str, values: dict) -> dict:
    """{variables, masked}: the values the user may not read are null and listed in masked."""
    hidden = access.masked_names(user, bpmn_process_id)
    shown = {name: (None if name in hidden else value) for name, value in values.items()}
    return {"variables": shown, "masked": sorted(hidden & values.keys())}


def _variables(user, instance: ProcessInstance, scope_key: uuid.UUID) -> dict:
    rows = Variable.objects.filter(instance_id=instance.key, scope_key=scope_key).order_by("name")
    values = {v.name: v.value for v in rows}
    return {"scopeKey": str(scope_key), **masked_values(user, instance.bpmn_process_id, values)}


class InstanceVariables(ApiView):
    @extend_schema(
        parameters=[VariablesQuerySerializer], responses={200: VariablesSerializer, **errors(400, *READ_ERRORS, 404)}
    )
    def get(self, request: Request, key: str) -> Response:
        instance = get_instance(key, request.user)
        params = query(request, VariablesQuerySerializer)
        return Response(_variables(request.user, instance, params.get("scopeKey") or instance.key))

    @extend_schema(
        request=SetVariablesSerializer,
        responses={200: VariablesSerializer, **errors(*WRITE_ERRORS)},
        description="Merge: the given names are created or overwritten, others are kept. Audited with a diff.",
    )
    def patch(self, request: Request, key: str) -> Response:
        data = body(request, SetVariablesSerializer)
        instance = services.set_variables(
            instance_for_change(request, key).key,
            data["variables"],
            scope_key=data.get("scopeKey"),
            reason=data["reason"],
            actor=request.user,
        )
        return Response(_variables(request.user, instance, data.get("scopeKey") or instance.key))


# -- migrate and modify ----------------------------------------------------------------------


class MappingSerializer(serializers.Serializer):
    source = serializers.CharField(max_length=255)
    target = serializers.CharField(max_length=255)


class MigrateSerializer(serializers.Serializer):
    targetDefinitionKey = serializers.UUIDField()
    mappings = MappingSerializer(many=True, required=False, default=list, help_text="explicit element id mappings")
    auto = serializers.BooleanField(required=False, default=True, help_text="map elements that keep their id and kind")


class InstanceMigrate(ApiView):
    @extend_schema(
        request=MigrateSerializer,
        responses={200: InstanceDetailSerializer, **errors(*WRITE_ERRORS)},
        description="Refused (400 migration_refused, with a report) when an active element or wait cannot be mapped.",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, MigrateSerializer)
        instance = instance_for_change(request, key)
        target = get_definition(str(data["targetDefinitionKey"]))
        access.check_change(request.user, target.bpmn_process_id, what=f"process definition {target.key}")
        plan = services.generate_plan(
            instance.definition_id,
            data["targetDefinitionKey"],
            instructions=[(m["source"], m["target"]) for m in data["mappings"]],
            auto=data["auto"],
        )
        services.migrate_instance(plan, instance.key, actor=request.user)
        return Response(_detail(instance.key))


class InstructionSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    elementId = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)
    elementInstanceKey = serializers.UUIDField(required=False, allow_null=True, default=None)
    targetElementId = serializers.CharField(required=False, default="", allow_blank=True, max_length=255)
    variables = serializers.DictField(child=serializers.JSONField(), required=False, allow_null=True, default=None)
    local = serializers.BooleanField(required=False, default=False)
    ancestorElementInstanceKey = serializers.UUIDField(required=False, allow_null=True, default=None)


class ModifySerializer(ReasonSerializer):
    instructions = InstructionSerializer(many=True, allow_empty=False)


class InstanceModify(ApiView):
    @extend_schema(
        request=ModifySerializer,
        responses={200: InstanceDetailSerializer, **errors(*WRITE_ERRORS)},
        description="Cancel element instances, start before/after elements, move tokens; all or nothing.",
    )
    def post(self, request: Request, key: str) -> Response:
        data = body(request, ModifySerializer)
        instructions = [
            {
                "kind": i["kind"],
                "element_id": i["elementId"],
                "element_instance_key": i["elementInstanceKey"],
                "target_element_id": i["targetElementId"],
                "variables": i["variables"],
                "local": i["local"],
                "ancestor_element_instance_key": i["ancestorElementInstanceKey"],
            }
            for i in data["instructions"]
        ]
        instance = services.modify_instance(
            instance_for_change(request, key).key, instructions=instructions, reason=data["reason"], actor=request.user
        )
        return Response(_detail(instance.key))


# -- history -----------------------------------------------------------------------------------


class AuditEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    elementId = serializers.CharField(source="element_id")
    elementInstanceKey = serializers.UUIDField(source="element_instance_key", allow_null=True)
    actor = serializers.CharField()
    data = serializers.JSONField()
    createdAt = serializers.DateTimeField(source="created_at")


HistoryPage = page_serializer(AuditEventSerializer, "AuditEventPage")


class InstanceHistory(ApiView):
    @extend_schema(
        parameters=[PageQuerySerializer],
        responses={200: HistoryPage, **errors(400, *READ_ERRORS, 404)},
        description=(
            "The audit log of the instance, oldest first: every transition and operator action with its actor. "
            "In a variables_updated diff, the old and new values of a variable the caller may not read "
            "(MaskedVariable) are null, with masked: true."
        ),
    )
    def get(self, request: Request, key: str) -> Response:
        instance = get_instance(key, request.user)
        params = query(request, PageQuerySerializer)
        events = AuditEvent.objects.filter(instance_key=instance.key)
        if params.get("cursor"):
            (last_id,) = decode_cursor(params["cursor"], 1)
            if not last_id.isdigit():
                raise serializers.ValidationError({"cursor": ["not a cursor this list returned"]})
            events = events.filter(id__gt=int(last_id))
        rows = list(events.order_by("id")[: params["limit"] + 1])
        cursor = None
        if len(rows) > params["limit"]:
            rows = rows[: params["limit"]]
            cursor = encode_cursor(rows[-1].id)
        for event in rows:  # not saved: only what this caller may read
            event.data = access.mask_audit_data(request.user, instance.bpmn_process_id, event.data, mask=None)
        return Response(page(rows, cursor, AuditEventSerializer))
