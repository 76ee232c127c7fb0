"""/api/v1: the native REST API. Schema at schema/, Swagger UI at docs/, Redoc at redoc/."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from . import batches, definitions, deployments, health, incidents, instances, jobs, messages, signals, user_tasks

app_name = "api-v1"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-v1:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-v1:schema"), name="redoc"),
    path("health", health.Health.as_view(), name="health"),
    # deployments and definitions
    path("deployments", deployments.DeploymentList.as_view(), name="deployments"),
    path("deployments/<str:key>", deployments.DeploymentDetail.as_view(), name="deployment"),
    path("deployments/<str:key>/xml", deployments.DeploymentXml.as_view(), name="deployment-xml"),
    path("deployments/<str:key>/diagram.svg", deployments.DeploymentDiagram.as_view(), name="deployment-diagram"),
    path("process-definitions", definitions.DefinitionList.as_view(), name="definitions"),
    path("process-definitions/<str:key>", definitions.DefinitionDetail.as_view(), name="definition"),
    path("process-definitions/<str:key>/xml", definitions.DefinitionXml.as_view(), name="definition-xml"),
    path(
        "process-definitions/<str:key>/diagram.svg", definitions.DefinitionDiagram.as_view(), name="definition-diagram"
    ),
    # instances
    path("process-instances", instances.InstanceList.as_view(), name="instances"),
    path("process-instances/<str:key>", instances.InstanceDetail.as_view(), name="instance"),
    path("process-instances/<str:key>/cancel", instances.InstanceCancel.as_view(), name="instance-cancel"),
    path("process-instances/<str:key>/suspend", instances.InstanceSuspend.as_view(), name="instance-suspend"),
    path("process-instances/<str:key>/resume", instances.InstanceResume.as_view(), name="instance-resume"),
    path("process-instances/<str:key>/variables", instances.InstanceVariables.as_view(), name="instance-variables"),
    path("process-instances/<str:key>/migrate", instances.InstanceMigrate.as_view(), name="instance-migrate"),
    path("process-instances/<str:key>/modify", instances.InstanceModify.as_view(), name="instance-modify"),
    path("process-instances/<str:key>/history", instances.InstanceHistory.as_view(), name="instance-history"),
    # messages and signals
    path("messages/correlate", messages.MessageCorrelate.as_view(), name="message-correlate"),
    path("messages/publish", messages.MessagePublish.as_view(), name="message-publish"),
    path("signals/broadcast", signals.SignalBroadcast.as_view(), name="signal-broadcast"),
    # jobs (activation is an async view: long polling costs no thread under ASGI)
    path("jobs/activate", jobs.activate_jobs, name="jobs-activate"),
    path("jobs/<str:key>/complete", jobs.JobComplete.as_view(), name="job-complete"),
    path("jobs/<str:key>/fail", jobs.JobFail.as_view(), name="job-fail"),
    path("jobs/<str:key>/error", jobs.JobThrowError.as_view(), name="job-error"),
    path("jobs/<str:key>/extend-lock", jobs.JobExtendLock.as_view(), name="job-extend-lock"),
    # incidents
    path("incidents", incidents.IncidentList.as_view(), name="incidents"),
    path("incidents/<str:key>", incidents.IncidentDetail.as_view(), name="incident"),
    path("incidents/<str:key>/resolve", incidents.IncidentResolve.as_view(), name="incident-resolve"),
    # batch operations
    path("batches", batches.BatchList.as_view(), name="batches"),
    path("batches/<str:key>", batches.BatchDetail.as_view(), name="batch"),
    path("batches/<str:key>/items", batches.BatchItems.as_view(), name="batch-items"),
    path("batches/<str:key>/pause", batches.BatchPause.as_view(), name="batch-pause"),
    path("batches/<str:key>/resume", batches.BatchResume.as_view(), name="batch-resume"),
    path("batches/<str:key>/cancel", batches.BatchCancel.as_view(), name="batch-cancel"),
    path("batches/<str:key>/retry-failed", batches.BatchRetryFailed.as_view(), name="batch-retry-failed"),
    # user tasks
    path("user-tasks", user_tasks.UserTaskList.as_view(), name="user-tasks"),
    path("user-tasks/<str:key>", user_tasks.UserTaskDetail.as_view(), name="user-task"),
    path("user-tasks/<str:key>/form", user_tasks.UserTaskForm.as_view(), name="user-task-form"),
    path("user-tasks/<str:key>/claim", user_tasks.UserTaskClaim.as_view(), name="user-task-claim"),
    path("user-tasks/<str:key>/unclaim", user_tasks.UserTaskUnclaim.as_view(), name="user-task-unclaim"),
    path("user-tasks/<str:key>/assign", user_tasks.UserTaskAssign.as_view(), name="user-task-assign"),
    path("user-tasks/<str:key>/complete", user_tasks.UserTaskComplete.as_view(), name="user-task-complete"),
]
