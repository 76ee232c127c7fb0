"""The audit trail: every transition in order, with its actor; append-only."""

from __future__ import annotations

import pytest
from django.db import transaction

from orchestration.models import AuditEvent, Deployment, ProcessDefinition
from orchestration.models.audit import AppendOnlyError

from .harness import bpmn

STRAIGHT_THROUGH = [
    "instance_started",
    "variables_set",
    "element_activated",  # start
    "element_completed",
    "sequence_flow_taken",
    "element_activated",  # work
    "job_created",
    # -- complete_job
    "job_completed",
    "variables_set",
    "element_completed",
    "sequence_flow_taken",
    "element_activated",  # end
    "element_completed",
    "instance_completed",
]


def test_the_audit_trail_of_a_straight_through_run_is_in_order(driver):
    driver.deploy(bpmn("none_start"))
    driver.start("none-start", {"orderId": "ORD-1"})
    driver.complete_job(driver.jobs()[0].key, {"ok": True})

    types = driver.audit_types()
    if driver.name == "memory":
        # the in-memory host has no job rows: job_completed is written by the service
        types.insert(STRAIGHT_THROUGH.index("job_completed"), "job_completed")
    assert types == STRAIGHT_THROUGH


def test_every_audit_event_of_a_run_names_its_actor(reloaded):
    reloaded.deploy(bpmn("none_start"))
    reloaded.start("none-start")
    reloaded.complete_job(reloaded.jobs()[0].key)

    events = AuditEvent.objects.filter(instance_key=reloaded.instance_key)
    assert [e.type for e in events] == [t for t in STRAIGHT_THROUGH if t != "variables_set"]
    assert set(events.values_list("actor", flat=True)) == {"test"}
    deployed = AuditEvent.objects.get(type="process_deployed")
    assert deployed.actor == "test"
    assert deployed.data["process"] == "none-start"


def _event() -> AuditEvent:
    return AuditEvent.objects.create(type="instance_started", actor="test", created_at="2024-01-01T00:00:00Z")


def test_an_audit_event_cannot_be_saved_again(db):
    event = _event()
    event.type = "tampered"

    with pytest.raises(AppendOnlyError):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).type == "instance_started"


def test_an_audit_event_cannot_be_deleted(db):
    event = _event()

    with pytest.raises(AppendOnlyError):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_audit_events_cannot_be_updated_through_a_queryset(db):
    event = _event()

    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(actor="mallory")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(actor="mallory")

    assert AuditEvent.objects.get(pk=event.pk).actor == "test"


def test_audit_events_cannot_be_deleted_through_a_queryset(db):
    event = _event()

    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.count() == 1


def test_audit_events_cannot_be_bulk_updated(db):
    event = _event()
    event.actor = "mallory"

    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["actor"])

    assert AuditEvent.objects.get(pk=event.pk).actor == "test"


def test_deploying_writes_no_audit_event_for_a_refused_model(db):
    from orchestration import services
    from orchestration.exceptions import DeploymentRefused

    with pytest.raises(DeploymentRefused):
        services.deploy(bpmn("unsupported_elements"), actor="test")

    assert AuditEvent.objects.count() == 0
    assert Deployment.objects.count() == 0 and ProcessDefinition.objects.count() == 0
