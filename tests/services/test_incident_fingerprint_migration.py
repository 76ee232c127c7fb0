"""Migration 0017 recomputes the fingerprints of open incidents with the current rules, so
incidents stored before identifiers became ``<id>`` join the group of new ones; resolved
incidents keep what they had."""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.apps import apps
from django.utils import timezone

from orchestration import services
from orchestration.models import Incident

pytestmark = pytest.mark.django_db

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="pay" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="approve" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

MIGRATION = importlib.import_module("orchestration.migrations.0017_batch_process_ids_and_fingerprints")
NEW = "PaymentDeclined: card declined for order <id>"


@pytest.fixture
def instance(db):
    services.deploy(BPMN, actor="test", resource_name="pay.bpmn")
    return services.start_instance("pay", actor="test", business_key="P-1")


def incident(instance, order: str, *, old_fingerprint: str | None, state: str = "open") -> Incident:
    message = f"PaymentDeclined: card declined for order {order}"
    return Incident.objects.create(
        instance=instance,
        bpmn_process_id="pay",
        element_instance_key=uuid.uuid4(),
        element_id="approve",
        type=Incident.Type.JOB_NO_RETRIES,
        message=message,
        fingerprint=old_fingerprint or "",  # empty: the model computes it with the current rules
        state=state,
        created_at=timezone.now(),
    )


def test_open_incidents_with_an_old_fingerprint_join_the_new_group(instance, monkeypatch):
    old = [
        incident(instance, f"ORD-{n}", old_fingerprint="PaymentDeclined: card declined for order ORD-<n>")
        for n in range(7)
    ]
    new = incident(instance, "BULK-12", old_fingerprint=None)
    resolved = incident(
        instance, "ORD-99", old_fingerprint="PaymentDeclined: card declined for order ORD-<n>", state="resolved"
    )
    assert new.fingerprint == NEW
    monkeypatch.setattr(MIGRATION, "SLICE", 3)  # more changed rows than one slice

    MIGRATION.recompute_open_fingerprints(apps, None)

    prints = dict(Incident.objects.values_list("key", "fingerprint"))
    assert {prints[i.key] for i in [*old, new]} == {NEW}
    assert prints[resolved.key] == "PaymentDeclined: card declined for order ORD-<n>"
    assert Incident.objects.get(key=new.key).message == new.message  # only the fingerprint changes


def test_after_the_migration_the_open_incidents_of_one_failure_are_one_group(instance):
    incident(instance, "ORD-1", old_fingerprint="PaymentDeclined: card declined for order ORD-<n>")
    incident(instance, "BULK-12", old_fingerprint=None)
    before = Incident.objects.filter(state="open").values("fingerprint").distinct().count()

    MIGRATION.recompute_open_fingerprints(apps, None)

    after = Incident.objects.filter(state="open").values("fingerprint").distinct().count()
    assert (before, after) == (2, 1)
