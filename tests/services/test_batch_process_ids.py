"""BatchOperation.process_ids: the processes of a batch's items, stored when the batch is
created, so the batch list hides a batch from a user without access to one of them without
reading its items; migration 0017 fills it for the batches that existed before."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from orchestration import reports, services
from orchestration.models import BatchOperation
from orchestration.services import batches

pytestmark = pytest.mark.django_db

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="approve" />
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>"""

MIGRATION = importlib.import_module("orchestration.migrations.0017_batch_process_ids_and_fingerprints")


@pytest.fixture
def processes(db):
    for pid in ("pay", "payment", "kyc"):
        services.deploy(BPMN.format(pid=pid), actor="test", resource_name=f"{pid}.bpmn")
    for pid, business_key in (("pay", "P-1"), ("payment", "PM-1"), ("kyc", "K-1"), ("kyc", "K-2")):
        services.start_instance(pid, actor="test", business_key=business_key)


def cancel(filters: dict) -> BatchOperation:
    return batches.create_batch("cancel", filters, actor="test", reason="clean up", dispatch=False)


def test_a_batch_stores_the_sorted_processes_of_its_items(processes):
    everything = cancel({})
    only_kyc = cancel({"process": "kyc"})
    nothing = cancel({"process": "kyc", "business_key": "nope"})

    assert BatchOperation.objects.get(key=everything.key).process_ids == ["kyc", "pay", "payment"]
    assert BatchOperation.objects.get(key=only_kyc.key).process_ids == ["kyc"]
    assert (nothing.total, BatchOperation.objects.get(key=nothing.key).process_ids) == (0, [])


def test_the_list_leaves_out_batches_with_a_hidden_process_and_only_those(processes):
    everything, only_kyc, only_payment = cancel({}), cancel({"process": "kyc"}), cancel({"process": "payment"})

    def listed(hidden):
        return {batch.key for batch in reports.list_batches(hidden=hidden)}

    assert listed(()) == {everything.key, only_kyc.key, only_payment.key}
    assert listed({"kyc"}) == {only_payment.key}
    # "pay" is a prefix of "payment": hiding it hides the batch that has a "pay" item, not the other
    assert listed({"pay"}) == {only_kyc.key, only_payment.key}
    assert reports.get_batch(only_kyc.key, hidden={"kyc"}) is None
    assert reports.get_batch(only_kyc.key, hidden={"pay"}).key == only_kyc.key


def test_the_list_reads_the_stored_processes_not_the_items(processes, django_assert_max_num_queries):
    only_kyc = cancel({"process": "kyc"})
    BatchOperation.objects.filter(key=only_kyc.key).update(process_ids=["pay"])  # what the filter reads

    with django_assert_max_num_queries(1):
        listed = {batch.key for batch in reports.list_batches(hidden={"pay"})}

    assert only_kyc.key not in listed


def test_the_data_migration_fills_the_processes_of_batches_made_before(processes, monkeypatch):
    everything, only_kyc, nothing = cancel({}), cancel({"process": "kyc"}), cancel({"process": "nope"})
    BatchOperation.objects.update(process_ids=[])
    monkeypatch.setattr(MIGRATION, "SLICE", 2)  # more batches than one slice

    MIGRATION.fill_process_ids(apps, None)

    stored = dict(BatchOperation.objects.values_list("key", "process_ids"))
    assert stored == {everything.key: ["kyc", "pay", "payment"], only_kyc.key: ["kyc"], nothing.key: []}
