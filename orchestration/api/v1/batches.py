"""Batch operations: submit one command over the instances a filter selects, follow it, steer it.

The selection is frozen at submit time (services.batches.create_batch) and worked
through in chunks by Celery; every endpoint here needs the repair capability
(operator, admin), reads included: a batch names what was done to whom.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from ... import access, reports
from ...exceptions import NotFound
from ...models import BatchItem, BatchOperation
from ...services import batch_modify
from ...services import batches as batch_service
from .base import (
    READ_ERRORS,
    WRITE_ERRORS,
    ApiView,
    PageQuerySerializer,
    body,
    decode_cursor,
    encode_cursor,
    errors,
    keyset_page,
    page,
    page_serializer,
    parse_key,
    query,
)
from .instances import InstanceFilterSerializer

Kind = BatchOperation.Kind


class BatchCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    skipped = serializers.IntegerField()


class BatchSerializer(serializers.Serializer):
    key = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=Kind.choices)
    state = serializers.ChoiceField(choices=BatchOperation.State.choices)
    filter = serializers.CharField(source="filter_query", help_text="the instance-list query string it selected with")
    params = serializers.SerializerMethodField()
    reason = serializers.CharField()
    createdBy = serializers.CharField(source="created_by", help_text="who started it")
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
    finishedAt = serializers.DateTimeField(source="finished_at", allow_null=True)
    total = serializers.IntegerField()
    counts = serializers.SerializerMethodField()
    percent = serializers.IntegerField(help_text="processed items (succeeded, failed, skipped) of the total")

    @extend_schema_field(serializers.DictField(child=serializers.JSONField()))
    def get_params(self, obj: BatchOperation) -> dict:
        """The kind's parameters; variable values masked for the caller are access.MASK."""
        return access.masked_batch_params(self.context.get("user"), obj)

    @extend_schema_field(BatchCountsSerializer)
    def get_counts(self, obj: BatchOperation) -> dict:
        return {"pending": obj.pending, "succeeded": obj.succeeded, "failed": obj.failed, "skipped": obj.skipped}


BatchPage = page_serializer(BatchSerializer, "BatchPage")


class BatchItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    processInstanceKey = serializers.UUIDField(source="instance_key")
    state = serializers.ChoiceField(choices=BatchItem.State.choices)
    message = serializers.CharField()
    processedAt = serializers.DateTimeField(source="processed_at", allow_null=True)


BatchItemPage = page_serializer(BatchItemSerializer, "BatchItemPage")


class BatchItemQuerySerializer(PageQuerySerializer):
    state = serializers.ChoiceField(choices=BatchItem.State.choices, required=False)


class ModifyInstructionSerializer(serializers.Serializer):
    """One step of a modify batch, applied in order to every selected instance (services.batch_modify)."""

    op = serializers.ChoiceField(choices=batch_modify.OPS, help_text="move, cancel, start_before or start_after")
    element = serializers.CharField(
        required=False, max_length=255, help_text="cancel, start_before, start_after: the element id"
    )
    to = serializers.CharField(required=False, max_length=255, help_text="move: the element the tokens go to")
    variables = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="move, start_before, start_after: set on the process scope with the started token",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        # "from" is a Python keyword: it cannot be a class attribute
        fields["from"] = serializers.CharField(
            required=False, max_length=255, help_text="move: the element whose tokens move"
        )
        return fields


class BatchFilterSerializer(InstanceFilterSerializer):
    """The instance search's filters, plus the version (modify needs processId and version)."""

    version = serializers.IntegerField(
        required=False, min_value=1, max_value=2_147_483_647, help_text="with processId: one process version"
    )


class MigrationMappingSerializer(serializers.Serializer):
    """One row of a migrate batch's element mapping (the migration page's table)."""

    source = serializers.CharField(max_length=255, help_text="an element id of the source version")
    target = serializers.CharField(max_length=255, help_text="an element id of the target version, of the same kind")


class BatchParamsSerializer(serializers.Serializer):
    variables = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text="set_variables (required): the variables to set; retry_incidents: set once before the retry",
    )
    fingerprint = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="retry_incidents: only incidents of this fingerprint (default: the filter's fingerprint)",
    )
    targetDefinitionKey = serializers.UUIDField(required=False, help_text="migrate (required): the target version")
    sourceDefinitionKey = serializers.UUIDField(
        required=False, help_text="migrate with mappings (required then): the version the mappings map from"
    )
    mappings = serializers.ListField(
        child=MigrationMappingSerializer(),
        required=False,
        max_length=10_000,
        help_text=(
            "migrate: the whole element mapping, used exactly as given (nothing automatic is added; a source "
            "element left out is unmapped); every row is checked first (both elements exist, same kind)"
        ),
    )
    instructions = serializers.ListField(
        child=ModifyInstructionSerializer(),
        required=False,
        max_length=batch_modify.MAX_INSTRUCTIONS,
        help_text=(
            "modify (required): token instructions on elements of the one version the filter pins "
            '(processId and version), e.g. [{"op": "move", "from": "Task_A", "to": "Task_B"}]'
        ),
    )


class BatchCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    filter = BatchFilterSerializer(
        required=False, help_text="the instance search's filters; the instances they select now are frozen"
    )
    params = BatchParamsSerializer(required=False)
    reason = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        max_length=2000,
        help_text="required for cancel, set_variables, modify",
    )


def _filter_params(data: dict) -> dict[str, str]:
    """The API's filter names -> the instance-list query-string names (orchestration.instance_search)."""
    names = {
        "processId": "process",
        "state": "state",
        "businessKey": "business_key",
        "q": "q",
        "fingerprint": "fingerprint",
        "version": "version",
    }
    return {names[name]: str(value) for name, value in data.items() if name in names and value}


def _service_params(kind: str, data: dict, filters: dict[str, str]) -> dict:
    params: dict = {}
    if "variables" in data:
        params["variables"] = data["variables"]
    if data.get("fingerprint"):
        params["fingerprint"] = data["fingerprint"]
    elif kind == Kind.RETRY_INCIDENTS and filters.get("fingerprint"):
        params["fingerprint"] = filters["fingerprint"]  # as Operate does
    if data.get("targetDefinitionKey"):
        params["target_definition"] = str(data["targetDefinitionKey"])
    if kind == Kind.MIGRATE and data.get("sourceDefinitionKey"):
        params["source_definition"] = str(data["sourceDefinitionKey"])
    if kind == Kind.MIGRATE and "mappings" in data:
        params["instructions"] = [[row["source"], row["target"]] for row in data["mappings"]]
    if kind == Kind.MODIFY and "instructions" in data:
        params["instructions"] = [dict(step) for step in data["instructions"]]
    return params


def _get_batch(key: str, user) -> BatchOperation:
    """The batch, or 404: also when one of its items is an instance of a process a rule hides
    from ``user`` (whoever created it), as Operate answers."""
    batch = reports.get_batch(parse_key(key, "batch"), hidden=access.hidden_processes(user))
    if batch is None:
        raise NotFound(f"batch {key} not found")
    return batch


class BatchList(ApiView):
    read_capability = "repair"
    write_capability = "repair"

    @extend_schema(
        operation_id="batches_list",
        parameters=[PageQuerySerializer],
        responses={200: BatchPage, **errors(400, *READ_ERRORS)},
        description="Newest first. The counts are refreshed after every chunk (the detail counts live).",
    )
    def get(self, request: Request) -> Response:
        params = query(request, PageQuerySerializer)
        rows, cursor = keyset_page(
            reports.visible_batches(hidden=access.hidden_processes(request.user)),
            field="created_at",
            cursor=params.get("cursor"),
            limit=params["limit"],
        )
        return Response(page(rows, cursor, BatchSerializer, user=request.user))

    @extend_schema(
        operation_id="batches_create",
        request=BatchCreateSerializer,
        responses={201: BatchSerializer, 200: BatchSerializer, **errors(400, 401, 403)},
        description=(
            "Freeze the active instances the filter selects now into a batch "
            "that runs in the background. 400 for a bad filter, a missing reason or params; "
            "modify also for a filter that does not pin one version (processId and version) "
            "or an instruction naming an element that version cannot hold or start a token at. "
            "An Idempotency-Key header makes the request safe to resend: the same key again "
            "from the same user returns the batch it created (200) instead of a new one."
        ),
    )
    def post(self, request: Request) -> Response:
        data = body(request, BatchCreateSerializer)
        filters = _filter_params(data.get("filter") or {})
        batch = batch_service.create_batch(
            data["kind"],
            filters,
            actor=request.user,
            params=_service_params(data["kind"], data.get("params") or {}, filters),
            reason=data["reason"],
            submit_token=request.headers.get("Idempotency-Key", ""),
        )
        if getattr(batch, "already_submitted", False):  # the same Idempotency-Key again: the first batch
            return Response(BatchSerializer(batch, context={"user": request.user}).data, status=status.HTTP_200_OK)
        return Response(BatchSerializer(batch, context={"user": request.user}).data, status=status.HTTP_201_CREATED)


class BatchDetail(ApiView):
    read_capability = "repair"

    @extend_schema(responses={200: BatchSerializer, **errors(*READ_ERRORS, 404)})
    def get(self, request: Request, key: str) -> Response:
        return Response(
            BatchSerializer(
                batch_service.refresh_counts(_get_batch(key, request.user)), context={"user": request.user}
            ).data
        )


class BatchItems(ApiView):
    read_capability = "repair"

    @extend_schema(
        parameters=[BatchItemQuerySerializer],
        responses={200: BatchItemPage, **errors(400, *READ_ERRORS, 404)},
        description="The selected instances and what happened to each, in selection order (oldest instance first).",
    )
    def get(self, request: Request, key: str) -> Response:
        batch = _get_batch(key, request.user)
        params = query(request, BatchItemQuerySerializer)
        items = batch.items.all()
        if params.get("state"):
            items = items.filter(state=params["state"])
        if params.get("cursor"):
            (last_id,) = decode_cursor(params["cursor"], 1)
            if not last_id.isdigit():
                raise serializers.ValidationError({"cursor": ["not a cursor this list returned"]})
            items = items.filter(id__gt=int(last_id))
        rows = list(items.order_by("id")[: params["limit"] + 1])
        cursor = None
        if len(rows) > params["limit"]:
            rows = rows[: params["limit"]]
            cursor = encode_cursor(rows[-1].id)
        return Response(page(rows, cursor, BatchItemSerializer))


def _action(service, name: str, summary: str):
    class BatchAction(ApiView):
        @extend_schema(request=None, responses={200: BatchSerializer, **errors(*WRITE_ERRORS)}, summary=summary)
        def post(self, request: Request, key: str) -> Response:
            # 404 when an item's process is hidden, 403 when the user may not change one of them
            access.check_batch(request.user, _get_batch(key, request.user))
            batch = service(parse_key(key, "batch"), actor=request.user)
            return Response(BatchSerializer(batch, context={"user": request.user}).data)

    BatchAction.__name__ = BatchAction.__qualname__ = name
    return BatchAction


BatchPause = _action(batch_service.pause_batch, "BatchPause", "Pause a running batch (between two items)")
BatchResume = _action(batch_service.resume_batch, "BatchResume", "Resume a paused batch")
BatchCancel = _action(
    batch_service.cancel_batch, "BatchCancel", "Cancel a running or paused batch: its pending items are skipped"
)
BatchRetryFailed = _action(
    batch_service.retry_failed_items,
    "BatchRetryFailed",
    "Put the failed items back to pending and run them again (409 when none failed or the batch is cancelled)",
)
