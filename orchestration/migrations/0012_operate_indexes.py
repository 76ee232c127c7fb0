"""Indexes for Operate at 1M instances (bench/operate.py, docs/benchmarks.md).

The instance list filtered by process (and state) reads newest-first in index
order instead of sorting every match; "has an open incident" and the open
incidents per definition use a partial index and a covering index on the key.
pi_process_state is a prefix of pi_process_state_started, so it goes.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orchestration", "0010_batches"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="processinstance",
            name="pi_process_state",
        ),
        migrations.AddIndex(
            model_name="incident",
            index=models.Index(
                condition=models.Q(("state", "open")), fields=["instance"], name="incident_open_instance"
            ),
        ),
        migrations.AddIndex(
            model_name="processinstance",
            index=models.Index(
                fields=["bpmn_process_id", "state", "started_at", "key"], name="pi_process_state_started"
            ),
        ),
        migrations.AddIndex(
            model_name="processinstance",
            index=models.Index(fields=["bpmn_process_id", "started_at", "key"], name="pi_process_started"),
        ),
        migrations.AddIndex(
            model_name="processinstance",
            index=models.Index(fields=["key"], include=("definition",), name="pi_key_definition"),
        ),
    ]
