"""/deployment and /process-definition: deploy (multipart), list, get, XML, start by id or key."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Q
from django.http import HttpResponse
from rest_framework.response import Response

from ... import access, services
from ...models import Deployment, ProcessDefinition, ProcessInstance
from . import dto
from .base import (
    READ,
    CamundaError,
    CamundaView,
    MultipartCamundaView,
    Params,
    as_bool,
    definition_from_id,
    definition_keys_of,
    invalid,
    latest_definition_by_key,
    maybe_uuid,
    not_implemented,
    paginate,
    parse_date,
    without_hidden,
)
from .reads import process_variables
from .variables import variables_in, variables_out

_FORM_FIELDS = {
    "deployment-name",
    "enable-duplicate-filtering",
    "deploy-changed-only",
    "deployment-source",
    "deployment-activation-time",
    "tenant-id",
}
_BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml", ".xml")
_REFUSED_SUFFIXES = (".dmn", ".dmn11.xml", ".cmmn", ".cmmn11.xml")
DEPLOY = ("deploy",)
START = ("work_jobs",)


# -- deployments -----------------------------------------------------------------


def _resources(request) -> list[tuple[str, bytes]]:
    resources: list[tuple[str, bytes]] = []
    for field, files in request.FILES.lists():
        for upload in files:
            name = upload.name or field
            lower = name.lower()
            if lower.endswith(_REFUSED_SUFFIXES):
                raise not_implemented(f"resource '{name}': only BPMN resources can be deployed here (no DMN or CMMN)")
            if lower.endswith(_BPMN_SUFFIXES) or "." not in lower.rsplit("/", 1)[-1]:
                resources.append((name, upload.read()))
            # other resources (forms, images, scripts) are not stored: BPMN processes do not need them here
    return resources


class DeploymentCreate(MultipartCamundaView):
    capabilities = {"POST": DEPLOY}

    def post(self, request) -> Response:
        data = request.data
        if data.get("tenant-id"):
            raise not_implemented("multi-tenancy is not supported: deploy without a tenant-id")
        name = str(data.get("deployment-name") or "")
        filtering = bool(as_bool(data.get("enable-duplicate-filtering"), "enable-duplicate-filtering"))
        resources = _resources(request)
        if not resources:
            raise invalid("No deployment resources contained in the form upload: add at least one .bpmn file")
        results = services.deploy_resources(resources, actor=request.user, name=name)
        created = [r for r in results if r.created]
        source = str(data.get("deployment-source") or "")
        if created and source:
            Deployment.objects.filter(key__in=[r.deployment.key for r in created]).update(source=source[:255])
        definitions = [d for r in created for d in r.definitions]
        if created:
            deployment = Deployment.objects.get(key=created[0].deployment.key)
        else:
            # identical XML is never deployed again: answer with the deployment that holds it
            deployment = results[0].definitions[0].deployment
            if not filtering:
                definitions = [d for r in results for d in r.definitions]
        body = dto.deployment(deployment, request)
        body.update(
            {
                "deployedProcessDefinitions": {
                    d.camunda_id: dto.process_definition(
                        ProcessDefinition.objects.select_related("deployment").get(key=d.key)
                    )
                    for d in definitions
                }
                or None,
                "deployedCaseDefinitions": None,
                "deployedDecisionDefinitions": None,
                "deployedDecisionRequirementsDefinitions": None,
            }
        )
        return Response(body, status=200)


def _deployment_query(params: Params, user):
    deployments = access.without_hidden_deployments(Deployment.objects.all(), user)
    if params.has("id"):
        deployments = deployments.filter(key=maybe_uuid(params.str("id")))
    if params.has("name"):
        deployments = deployments.filter(name=params.str("name"))
    if params.has("nameLike"):
        deployments = deployments.filter(name__icontains=params.str("nameLike").strip("%"))
    if params.has("source"):
        deployments = deployments.filter(source=params.str("source"))
    if params.bool("withoutSource"):
        deployments = deployments.filter(source="")
    if params.has("after"):
        deployments = deployments.filter(created_at__gt=parse_date(params.str("after"), "after"))
    if params.has("before"):
        deployments = deployments.filter(created_at__lt=parse_date(params.str("before"), "before"))
    if params.list("tenantIdIn"):
        deployments = deployments.none()
    field = {"id": "key", "name": "name", "deploymentTime": "created_at"}.get(params.str("sortBy") or "", "created_at")
    return deployments.order_by(("-" if params.str("sortOrder") == "desc" else "") + field, "key")


def get_deployment(deployment_id: str, user) -> Deployment:
    key = maybe_uuid(deployment_id)
    deployment = (
        access.without_hidden_deployments(Deployment.objects.all(), user).filter(key=key).first() if key else None
    )
    if deployment is None:
        raise CamundaError(404, "InvalidRequestException", f"Deployment with id '{deployment_id}' does not exist")
    return deployment


class DeploymentList(CamundaView):
    def get(self, request) -> Response:
        items = paginate(_deployment_query(Params.of_query(request), request.user), request)
        return Response([dto.deployment(d, request) for d in items])


class DeploymentCount(CamundaView):
    def get(self, request) -> Response:
        return Response({"count": _deployment_query(Params.of_query(request), request.user).count()})


class DeploymentDetail(CamundaView):
    def get(self, request, deployment_id: str) -> Response:
        return Response(dto.deployment(get_deployment(deployment_id, request.user), request))


def _resource(d: Deployment) -> dict[str, Any]:
    return {"id": str(d.key), "name": d.resource_name, "deploymentId": str(d.key)}


class DeploymentResources(CamundaView):
    def get(self, request, deployment_id: str) -> Response:
        return Response([_resource(get_deployment(deployment_id, request.user))])


class DeploymentResource(CamundaView):
    def get(self, request, deployment_id: str, resource_id: str) -> Response:
        deployment = get_deployment(deployment_id, request.user)
        if str(deployment.key) != resource_id:
            raise CamundaError(
                404,
                "InvalidRequestException",
                f"Deployment resource with resource id '{resource_id}' for deployment id '{deployment_id}' does not exist.",
            )
        return Response(_resource(deployment))


class DeploymentResourceData(CamundaView):
    def get(self, request, deployment_id: str, resource_id: str) -> HttpResponse:
        deployment = get_deployment(deployment_id, request.user)
        if str(deployment.key) != resource_id:
            raise CamundaError(
                404,
                "InvalidRequestException",
                f"Deployment resource '{resource_id}' for deployment id '{deployment_id}' does not exist.",
            )
        return HttpResponse(deployment.xml.encode(), content_type="application/octet-stream")


# -- process definitions ------------------------------------------------------------


def _definition_query(params: Params, user):
    definitions = without_hidden(ProcessDefinition.objects.select_related("deployment"), user)
    ids = params.list("processDefinitionIdIn") + params.list("processDefinitionId")
    if ids:
        definitions = definitions.filter(key__in=definition_keys_of(ids))
    if params.has("key"):
        definitions = definitions.filter(bpmn_process_id=params.str("key"))
    keys = params.list("keysIn") + params.list("keyIn")
    if keys:
        definitions = definitions.filter(bpmn_process_id__in=keys)
    if params.has("keyLike"):
        definitions = definitions.filter(bpmn_process_id__icontains=params.str("keyLike").strip("%"))
    if params.has("name"):
        definitions = definitions.filter(name=params.str("name"))
    if params.has("nameLike"):
        definitions = definitions.filter(name__icontains=params.str("nameLike").strip("%"))
    if params.has("deploymentId"):
        definitions = definitions.filter(deployment_id=maybe_uuid(params.str("deploymentId")))
    if params.has("version"):
        definitions = definitions.filter(version=params.int("version"))
    if params.has("versionTag"):
        definitions = definitions.filter(version_tag=params.str("versionTag"))
    if params.bool("withoutVersionTag"):
        definitions = definitions.filter(version_tag="")
    if params.has("resourceName"):
        definitions = definitions.filter(deployment__resource_name=params.str("resourceName"))
    if params.bool("startableInTasklist"):
        definitions = definitions.filter(startable_in_tasklist=True)
    if params.bool("notStartableInTasklist"):
        definitions = definitions.filter(startable_in_tasklist=False)
    if params.bool("suspended"):
        definitions = definitions.none()  # definitions are never suspended here
    if params.list("tenantIdIn"):
        definitions = definitions.none()
    if params.bool("latestVersion"):
        latest = ProcessDefinition.objects.values("bpmn_process_id").annotate(v=Max("version"))
        pairs = Q()
        for row in latest:
            pairs |= Q(bpmn_process_id=row["bpmn_process_id"], version=row["v"])
        definitions = definitions.filter(pairs) if latest else definitions.none()
    field = {
        "id": "key",
        "key": "bpmn_process_id",
        "name": "name",
        "version": "version",
        "deploymentId": "deployment_id",
        "versionTag": "version_tag",
    }.get(params.str("sortBy") or "", None)
    if field is None:
        return definitions.order_by("bpmn_process_id", "version")
    return definitions.order_by(("-" if params.str("sortOrder") == "desc" else "") + field, "version")


class DefinitionList(CamundaView):
    def get(self, request) -> Response:
        items = paginate(_definition_query(Params.of_query(request), request.user), request)
        return Response([dto.process_definition(d) for d in items])


class DefinitionCount(CamundaView):
    def get(self, request) -> Response:
        return Response({"count": _definition_query(Params.of_query(request), request.user).count()})


def _definition(user, definition_id: str | None = None, key: str | None = None) -> ProcessDefinition:
    """By id, or the latest version of a key; 404 as for an unknown one when a rule hides the process."""
    if definition_id is not None:
        return definition_from_id(definition_id, user)
    if access.hides_process(user, key or ""):
        raise CamundaError(404, "RestException", f"No matching process definition with key: {key} and no tenant-id")
    return latest_definition_by_key(key or "")


class DefinitionDetail(CamundaView):
    def get(self, request, definition_id: str | None = None, key: str | None = None) -> Response:
        return Response(dto.process_definition(_definition(request.user, definition_id, key)))


class DefinitionXml(CamundaView):
    def get(self, request, definition_id: str | None = None, key: str | None = None) -> Response:
        definition = _definition(request.user, definition_id, key)
        return Response({"id": definition.camunda_id, "bpmn20Xml": definition.deployment.xml})


def start_response(instance: ProcessInstance, request, *, with_variables: bool) -> dict[str, Any]:
    instance = ProcessInstance.objects.select_related("definition").get(key=instance.key)
    body = dto.process_instance(instance, request, links=True)
    if with_variables:
        masked = access.masked_names(request.user, instance.bpmn_process_id)
        body["variables"] = variables_out(process_variables(instance.key), masked=masked)
    return body


class DefinitionStart(CamundaView):
    """POST .../start and .../submit-form: start the definition (by id, or the latest version of a key)."""

    capabilities = {"POST": START}

    def post(self, request, definition_id: str | None = None, key: str | None = None) -> Response:
        definition = _definition(request.user, definition_id, key)
        body = self.body()
        if body.get("startInstructions"):
            raise not_implemented("startInstructions are not supported: start at the process's start event")
        if body.get("caseInstanceId"):
            raise not_implemented("case instances (CMMN) are not supported")
        business_key = body.get("businessKey")
        if business_key is not None and not isinstance(business_key, str):
            raise invalid("businessKey must be a string")
        access.check_start(request.user, definition.bpmn_process_id, what=f"process definition {definition.camunda_id}")
        instance = services.start_instance(
            definition=definition,
            actor=request.user,
            variables=variables_in(body.get("variables")),
            business_key=business_key or "",
        )
        with_variables = bool(as_bool(body.get("withVariablesInReturn"), "withVariablesInReturn"))
        return Response(start_response(instance, request, with_variables=with_variables))


__all__ = [
    "DefinitionCount",
    "DefinitionDetail",
    "DefinitionList",
    "DefinitionStart",
    "DefinitionXml",
    "DeploymentCount",
    "DeploymentCreate",
    "DeploymentDetail",
    "DeploymentList",
    "DeploymentResource",
    "DeploymentResourceData",
    "DeploymentResources",
    "READ",
]
