from __future__ import annotations

from django.urls import path

from . import actions, bulk, instance_list, migration, views

app_name = "operate"

urlpatterns = [
    path("", views.home, name="home"),
    path("processes/", views.processes, name="processes"),
    path("processes/deploy/", views.process_deploy, name="process_deploy"),
    path("processes/<uuid:key>/", views.process, name="process"),
    path("processes/<uuid:key>/diff/", views.process_diff, name="process_diff"),
    path("processes/<uuid:key>/migrate/", migration.process_migrate, name="process_migrate"),
    path("instances/", views.instances, name="instances"),
    path("instances/<uuid:key>/", views.instance, name="instance"),
    path("instances/export.csv", instance_list.instances_export, name="instances_export"),
    path("instances/views/", instance_list.saved_view_create, name="saved_view_create"),
    path("instances/views/<int:view_id>/delete/", instance_list.saved_view_delete, name="saved_view_delete"),
    path("instances/<uuid:key>/cancel/", actions.instance_cancel, name="instance_cancel"),
    path("instances/<uuid:key>/suspend/", actions.instance_suspend, name="instance_suspend"),
    path("instances/<uuid:key>/resume/", actions.instance_resume, name="instance_resume"),
    path("instances/<uuid:key>/retry/", actions.instance_retry, name="instance_retry"),
    path("instances/<uuid:key>/variables/", actions.instance_variable, name="instance_variable"),
    path("instances/<uuid:key>/modify/", actions.instance_modify, name="instance_modify"),
    path("instances/<uuid:key>/migrate/", actions.instance_migrate, name="instance_migrate"),
    path("incidents/", views.incidents, name="incidents"),
    path("batches/", bulk.batches, name="batches"),
    path("batches/new/", bulk.batch_new, name="batch_new"),
    path("batches/<uuid:key>/", bulk.batch, name="batch"),
    path("batches/<uuid:key>/pause/", bulk.batch_pause, name="batch_pause"),
    path("batches/<uuid:key>/resume/", bulk.batch_resume, name="batch_resume"),
    path("batches/<uuid:key>/cancel/", bulk.batch_cancel, name="batch_cancel"),
    path("batches/<uuid:key>/retry-failed/", bulk.batch_retry_failed, name="batch_retry_failed"),
    path("batches/<uuid:key>/migrate-rest/", migration.batch_migrate_rest, name="batch_migrate_rest"),
]
