"""Routes of /engine-rest/. Anything else answers 501 with what is supported."""

from __future__ import annotations

from django.urls import path, re_path
from rest_framework.response import Response

from . import definitions, external_tasks, instances, operations, tasks
from .base import CamundaView, not_implemented

app_name = "camunda7"


class Unsupported(CamundaView):
    """The catch-all: a clear 501 instead of a 404 for paths outside the subset."""

    capabilities = {"*": ("view", "work_jobs", "work_tasks", "deploy")}

    def _answer(self, request, rest: str = "") -> Response:
        raise not_implemented(
            f"{request.method} /engine-rest/{rest} is not part of the supported Camunda 7 REST subset "
            "(see docs/camunda7-migration.md)"
        )

    get = post = put = delete = patch = _answer


class Engines(CamundaView):
    def get(self, request) -> Response:
        return Response([{"name": "default"}])


class Version(CamundaView):
    def get(self, request) -> Response:
        return Response({"version": "7.22.0"})


urlpatterns = [
    path("engine", Engines.as_view()),
    path("version", Version.as_view()),
    # external tasks
    path("external-task/fetchAndLock", external_tasks.fetch_and_lock),
    path("external-task", external_tasks.ExternalTaskList.as_view()),
    path("external-task/count", external_tasks.ExternalTaskCount.as_view()),
    path("external-task/retries", external_tasks.ExternalTaskRetriesBulk.as_view()),
    path("external-task/<str:task_id>", external_tasks.ExternalTaskDetail.as_view()),
    path("external-task/<str:task_id>/errorDetails", external_tasks.ExternalTaskErrorDetails.as_view()),
    path("external-task/<str:task_id>/complete", external_tasks.ExternalTaskComplete.as_view()),
    path("external-task/<str:task_id>/failure", external_tasks.ExternalTaskFailure.as_view()),
    path("external-task/<str:task_id>/bpmnError", external_tasks.ExternalTaskBpmnError.as_view()),
    path("external-task/<str:task_id>/extendLock", external_tasks.ExternalTaskExtendLock.as_view()),
    path("external-task/<str:task_id>/unlock", external_tasks.ExternalTaskUnlock.as_view()),
    path("external-task/<str:task_id>/retries", external_tasks.ExternalTaskRetries.as_view()),
    # jobs (of Python handlers)
    path("job", external_tasks.JobList.as_view()),
    path("job/count", external_tasks.JobCount.as_view()),
    path("job/<str:job_id>", external_tasks.JobDetail.as_view()),
    path("job/<str:job_id>/retries", external_tasks.JobRetries.as_view()),
    # deployments
    path("deployment/create", definitions.DeploymentCreate.as_view()),
    path("deployment", definitions.DeploymentList.as_view()),
    path("deployment/count", definitions.DeploymentCount.as_view()),
    path("deployment/<str:deployment_id>", definitions.DeploymentDetail.as_view()),
    path("deployment/<str:deployment_id>/resources", definitions.DeploymentResources.as_view()),
    path("deployment/<str:deployment_id>/resources/<str:resource_id>", definitions.DeploymentResource.as_view()),
    path(
        "deployment/<str:deployment_id>/resources/<str:resource_id>/data", definitions.DeploymentResourceData.as_view()
    ),
    # process definitions
    path("process-definition", definitions.DefinitionList.as_view()),
    path("process-definition/count", definitions.DefinitionCount.as_view()),
    path("process-definition/key/<str:key>", definitions.DefinitionDetail.as_view()),
    path("process-definition/key/<str:key>/xml", definitions.DefinitionXml.as_view()),
    path("process-definition/key/<str:key>/start", definitions.DefinitionStart.as_view()),
    path("process-definition/key/<str:key>/submit-form", definitions.DefinitionStart.as_view()),
    path("process-definition/<str:definition_id>", definitions.DefinitionDetail.as_view()),
    path("process-definition/<str:definition_id>/xml", definitions.DefinitionXml.as_view()),
    path("process-definition/<str:definition_id>/start", definitions.DefinitionStart.as_view()),
    path("process-definition/<str:definition_id>/submit-form", definitions.DefinitionStart.as_view()),
    # process instances, messages, signals
    path("process-instance", instances.InstanceList.as_view()),
    path("process-instance/count", instances.InstanceCount.as_view()),
    path("process-instance/<str:instance_id>", instances.InstanceDetail.as_view()),
    path("process-instance/<str:instance_id>/suspended", instances.InstanceSuspended.as_view()),
    path("process-instance/<str:instance_id>/variables", instances.InstanceVariables.as_view()),
    path("process-instance/<str:instance_id>/variables/<str:name>", instances.InstanceVariable.as_view()),
    path("process-instance/<str:instance_id>/variables/<str:name>/data", instances.InstanceVariableData.as_view()),
    path("process-instance/<str:instance_id>/activity-instances", instances.InstanceActivityTree.as_view()),
    path("message", instances.MessageCorrelate.as_view()),
    path("signal", instances.SignalThrow.as_view()),
    # user tasks
    path("task", tasks.TaskList.as_view()),
    path("task/count", tasks.TaskCount.as_view()),
    path("task/<str:task_id>", tasks.TaskDetail.as_view()),
    path("task/<str:task_id>/claim", tasks.TaskClaim.as_view()),
    path("task/<str:task_id>/unclaim", tasks.TaskUnclaim.as_view()),
    path("task/<str:task_id>/assignee", tasks.TaskAssignee.as_view()),
    path("task/<str:task_id>/complete", tasks.TaskComplete.as_view()),
    path("task/<str:task_id>/submit-form", tasks.TaskComplete.as_view()),
    path("task/<str:task_id>/form", tasks.TaskForm.as_view()),
    path("task/<str:task_id>/form-variables", tasks.TaskFormVariables.as_view()),
    path("task/<str:task_id>/identity-links", tasks.TaskIdentityLinks.as_view()),
    path("task/<str:task_id>/variables", tasks.TaskVariables.as_view()),
    path("task/<str:task_id>/variables/<str:name>", tasks.TaskVariable.as_view()),
    path("task/<str:task_id>/localVariables", tasks.TaskLocalVariables.as_view()),
    path("task/<str:task_id>/localVariables/<str:name>", tasks.TaskLocalVariable.as_view()),
    # incidents, history, migration
    path("incident", operations.IncidentList.as_view()),
    path("incident/count", operations.IncidentCount.as_view()),
    path("incident/<str:incident_id>", operations.IncidentDetail.as_view()),
    path("history/process-instance", operations.HistoricInstanceList.as_view()),
    path("history/process-instance/count", operations.HistoricInstanceCount.as_view()),
    path("history/process-instance/<str:instance_id>", operations.HistoricInstanceDetail.as_view()),
    path("history/activity-instance", operations.HistoricActivityList.as_view()),
    path("history/activity-instance/count", operations.HistoricActivityCount.as_view()),
    path("history/activity-instance/<str:activity_instance_id>", operations.HistoricActivityDetail.as_view()),
    path("migration/generate", operations.MigrationGenerate.as_view()),
    path("migration/validate", operations.MigrationValidate.as_view()),
    path("migration/execute", operations.MigrationExecute.as_view()),
    # everything else
    re_path(r"^(?P<rest>.*)$", Unsupported.as_view()),
]
