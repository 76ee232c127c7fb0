"""Camunda 7 response shapes (DTOs) built from our rows. Every key is present; empty is null."""

from __future__ import annotations

from typing import Any

from ...models import (
    Deployment,
    ElementInstance,
    Incident,
    Job,
    ProcessDefinition,
    ProcessInstance,
    UserTask,
)
from .base import format_date, link

# Our incident types -> Camunda's (failedJob for jobs of Python handlers, failedExternalTask for workers')
_INCIDENT_TYPES = {
    Incident.Type.UNHANDLED_ERROR: "unhandledBpmnError",
    Incident.Type.EXPRESSION: "expressionFailure",
    Incident.Type.CONDITION: "conditionFailure",
    Incident.Type.EXTRACT_VALUE: "extractValueFailure",
    Incident.Type.IO_MAPPING: "ioMappingFailure",
}


def _or_none(value: Any) -> Any:
    return value if value not in ("", None) else None


def deployment(d: Deployment, request) -> dict[str, Any]:
    return {
        "links": [link(request, f"/deployment/{d.key}")],
        "id": str(d.key),
        "name": _or_none(d.name),
        "source": _or_none(d.source),
        "deploymentTime": format_date(d.created_at),
        "tenantId": None,
    }


def process_definition(p: ProcessDefinition) -> dict[str, Any]:
    return {
        "id": p.camunda_id,
        "key": p.bpmn_process_id,
        "category": None,
        "description": None,
        "name": _or_none(p.name),
        "version": p.version,
        "resource": p.deployment.resource_name,
        "deploymentId": str(p.deployment_id),
        "diagram": None,
        "suspended": False,
        "tenantId": None,
        "versionTag": _or_none(p.version_tag),
        "historyTimeToLive": None,
        "startableInTasklist": bool(p.startable_in_tasklist),
    }


def process_instance(i: ProcessInstance, request=None, *, links: bool = False) -> dict[str, Any]:
    return {
        "links": [link(request, f"/process-instance/{i.key}")] if links and request is not None else [],
        "id": str(i.key),
        "definitionId": i.definition.camunda_id,
        "definitionKey": i.bpmn_process_id,
        "businessKey": _or_none(i.business_key),
        "caseInstanceId": None,
        "ended": i.state != ProcessInstance.State.ACTIVE,
        "suspended": bool(i.suspended),
        "tenantId": None,
    }


def external_task(job: Job, *, error_details: bool = False) -> dict[str, Any]:
    data = {
        "activityId": job.element_id,
        "activityInstanceId": str(job.element_instance_key),
        "errorMessage": _or_none(job.error_message),
        "executionId": str(job.element_instance_key),
        "id": str(job.key),
        "lockExpirationTime": format_date(job.lock_expires_at) if job.state == Job.State.LOCKED else None,
        "createTime": format_date(job.created_at),
        "processDefinitionId": job.definition.camunda_id,
        "processDefinitionKey": job.bpmn_process_id,
        "processDefinitionVersionTag": _or_none(job.definition.version_tag),
        "processInstanceId": str(job.instance_id),
        "tenantId": None,
        # Camunda's retries stay null until a worker reports a failure
        "retries": job.retries if (job.error_message or job.state == Job.State.FAILED) else None,
        "suspended": bool(job.instance.suspended),
        "workerId": _or_none(job.lock_owner) if job.state == Job.State.LOCKED else None,
        "priority": job.priority,
        "topicName": job.type,
        "businessKey": _or_none(job.business_key),
    }
    if error_details:
        data["errorDetails"] = _or_none(job.error_details)
    return data


def locked_external_task(job: Job, variables: dict[str, Any], properties: dict[str, str]) -> dict[str, Any]:
    data = external_task(job, error_details=True)
    data["variables"] = variables
    data["extensionProperties"] = properties
    return data


def job(j: Job) -> dict[str, Any]:
    return {
        "id": str(j.key),
        "jobDefinitionId": None,
        "dueDate": format_date(j.retry_at),
        "processInstanceId": str(j.instance_id),
        "executionId": str(j.element_instance_key),
        "processDefinitionId": j.definition.camunda_id,
        "processDefinitionKey": j.bpmn_process_id,
        "retries": j.retries,
        "exceptionMessage": _or_none(j.error_message),
        "failedActivityId": j.element_id if j.error_message else None,
        "suspended": bool(j.instance.suspended),
        "priority": j.priority,
        "tenantId": None,
        "createTime": format_date(j.created_at),
        "batchId": None,
    }


def incident(i: Incident) -> dict[str, Any]:
    if i.type == Incident.Type.JOB_NO_RETRIES:
        kind = "failedJob" if (i.job is not None and i.job.internal) else "failedExternalTask"
    else:
        kind = _INCIDENT_TYPES.get(i.type, i.type)
    return {
        "id": str(i.key),
        "processDefinitionId": i.instance.definition.camunda_id,
        "processInstanceId": str(i.instance_id),
        "executionId": str(i.element_instance_key),
        "incidentTimestamp": format_date(i.created_at),
        "incidentType": kind,
        "activityId": i.element_id,
        "failedActivityId": i.element_id,
        "causeIncidentId": str(i.key),
        "rootCauseIncidentId": str(i.key),
        "configuration": str(i.job_id) if i.job_id else None,
        "tenantId": None,
        "incidentMessage": _or_none(i.message),
        "jobDefinitionId": None,
        "annotation": None,
    }


def task(t: UserTask) -> dict[str, Any]:
    instance = t.instance
    return {
        "id": str(t.key),
        "name": _or_none(t.name),
        "assignee": _or_none(t.assignee),
        "owner": None,
        "created": format_date(t.created_at),
        "lastUpdated": None,
        "due": format_date(t.due_date),
        "followUp": format_date(t.follow_up_date),
        "delegationState": None,
        "description": None,
        "executionId": str(t.element_instance_key),
        "parentTaskId": None,
        "priority": t.priority,
        "processDefinitionId": instance.definition.camunda_id,
        "processInstanceId": str(t.instance_id),
        "caseExecutionId": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "taskDefinitionKey": t.element_id,
        "suspended": bool(instance.suspended),
        "formKey": _or_none(t.form_key),
        "camundaFormRef": None,
        "tenantId": None,
        "taskState": "Created" if t.state == UserTask.State.CREATED else t.state.capitalize(),
    }


def _state(i: ProcessInstance) -> str:
    if i.state == ProcessInstance.State.COMPLETED:
        return "COMPLETED"
    if i.state == ProcessInstance.State.CANCELLED:
        return "EXTERNALLY_TERMINATED"
    return "SUSPENDED" if i.suspended else "ACTIVE"


def historic_process_instance(i: ProcessInstance, start_activity_id: str | None) -> dict[str, Any]:
    duration = None
    if i.ended_at is not None:
        duration = int((i.ended_at - i.started_at).total_seconds() * 1000)
    return {
        "id": str(i.key),
        "rootProcessInstanceId": str(i.root_key or i.key),
        "superProcessInstanceId": str(i.parent_id) if i.parent_id else None,
        "superCaseInstanceId": None,
        "caseInstanceId": None,
        "processDefinitionName": _or_none(i.definition.name),
        "processDefinitionKey": i.bpmn_process_id,
        "processDefinitionVersion": i.definition.version,
        "processDefinitionId": i.definition.camunda_id,
        "businessKey": _or_none(i.business_key),
        "startTime": format_date(i.started_at),
        "endTime": format_date(i.ended_at),
        "removalTime": None,
        "durationInMillis": duration,
        "startUserId": _or_none(i.started_by),
        "startActivityId": start_activity_id,
        "deleteReason": "canceled" if i.state == ProcessInstance.State.CANCELLED else None,
        "tenantId": None,
        "state": _state(i),
        "restartedProcessInstanceId": None,
    }


def historic_activity_instance(e: ElementInstance, names: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    instance = e.instance
    duration = None
    if e.ended_at is not None:
        duration = int((e.ended_at - e.started_at).total_seconds() * 1000)
    return {
        "id": str(e.key),
        "parentActivityInstanceId": str(e.scope_key or e.instance_id),
        "activityId": e.element_id,
        "activityName": names.get(e.element_id),
        "activityType": e.element_type,
        "processDefinitionKey": instance.bpmn_process_id,
        "processDefinitionId": instance.definition.camunda_id,
        "processInstanceId": str(e.instance_id),
        "executionId": str(e.key),
        "taskId": extra.get("taskId"),
        "calledProcessInstanceId": extra.get("calledProcessInstanceId"),
        "calledCaseInstanceId": None,
        "assignee": extra.get("assignee"),
        "startTime": format_date(e.started_at),
        "endTime": format_date(e.ended_at),
        "durationInMillis": duration,
        "canceled": e.state == ElementInstance.State.TERMINATED,
        "completeScope": e.element_type == "endEvent",
        "tenantId": None,
        "removalTime": None,
        "rootProcessInstanceId": str(instance.root_key or instance.key),
    }
