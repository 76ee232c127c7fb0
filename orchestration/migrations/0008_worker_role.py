"""The "worker" role: external workers and services using the REST APIs (fetch, complete, start, correlate)."""

from __future__ import annotations

from django.db import migrations


def create_worker_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="worker")


def remove_worker_role(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="worker").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orchestration", "0004_signal_subscriptions"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_worker_role, remove_worker_role)]
