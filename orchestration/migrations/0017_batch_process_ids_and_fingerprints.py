"""BatchOperation.process_ids (the processes of its items, frozen at creation: the batch list
hides a batch from a user without access to one of them without reading its items), filled
for the batches that exist; and the fingerprints of open incidents recomputed with the
current rules (identifier-like words became ``<id>``), so that old and new incidents of one
failure fall into one group. Resolved incidents keep theirs: nothing groups them.

Both data steps go in slices (``iterator`` + ``bulk_update``), so tens of thousands of open
incidents or batches take bounded memory."""

from django.db import migrations, models

SLICE = 2000


def fill_process_ids(apps, schema_editor):  # noqa: ANN001, ANN201 (Django's signature)
    BatchOperation = apps.get_model("orchestration", "BatchOperation")
    BatchItem = apps.get_model("orchestration", "BatchItem")
    ProcessInstance = apps.get_model("orchestration", "ProcessInstance")
    pending = []
    for batch in BatchOperation.objects.only("key").order_by("key").iterator(chunk_size=SLICE):
        items = BatchItem.objects.filter(batch_id=batch.key).values("instance_key")
        processes = (
            ProcessInstance.objects.filter(key__in=items)
            .order_by("bpmn_process_id")
            .values_list("bpmn_process_id", flat=True)
            .distinct()
        )
        batch.process_ids = list(processes)
        pending.append(batch)
        if len(pending) >= SLICE:
            BatchOperation.objects.bulk_update(pending, ["process_ids"])
            pending = []
    if pending:
        BatchOperation.objects.bulk_update(pending, ["process_ids"])


def recompute_open_fingerprints(apps, schema_editor):  # noqa: ANN001, ANN201 (Django's signature)
    # the current rules on purpose: the point is to agree with what new incidents get
    from orchestration.models.incidents import fingerprint

    Incident = apps.get_model("orchestration", "Incident")
    changed = []
    rows = Incident.objects.filter(state="open").only("key", "message", "fingerprint").order_by("key")
    for incident in rows.iterator(chunk_size=SLICE):
        new = fingerprint(incident.message)
        if new != incident.fingerprint:
            incident.fingerprint = new
            changed.append(incident)
        if len(changed) >= SLICE:
            Incident.objects.bulk_update(changed, ["fingerprint"])
            changed = []
    if changed:
        Incident.objects.bulk_update(changed, ["fingerprint"])


class Migration(migrations.Migration):
    dependencies = [
        ("orchestration", "0016_work_jobs_capability"),
    ]

    operations = [
        migrations.AddField(
            model_name="batchoperation",
            name="process_ids",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.RunPython(fill_process_ids, migrations.RunPython.noop),
        migrations.RunPython(recompute_open_fingerprints, migrations.RunPython.noop),
    ]
