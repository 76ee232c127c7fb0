"""Camunda 7 extensions read from a hand-drawn invoice approval model."""

from __future__ import annotations

import pytest

from orchestration.bpmn import parse_bpmn
from orchestration.bpmn.model import Expr, FormField, IoMapping, Process

from .helpers import fixture


@pytest.fixture(scope="module")
def process() -> Process:
    definitions = parse_bpmn(fixture("c7_invoice_approval.bpmn"))
    assert definitions.flavour == "camunda7"
    return definitions.process("invoice")


def test_process_keeps_version_tag_and_candidate_starter_groups(
    process: Process,
) -> None:
    assert process.version_tag == "v3"
    assert process.candidate_starter_groups == ("accounting", "management")


def test_external_task_topic_becomes_the_job_type(process: Process) -> None:
    task = process.element("fetch_invoice").task
    assert task is not None
    assert task.type == Expr("invoice-fetch")
    assert task.priority == Expr("10")


def test_failed_job_retry_time_cycle_sets_cycle_and_retry_count(
    process: Process,
) -> None:
    task = process.element("fetch_invoice").task
    assert task is not None
    assert task.retry_time_cycle == "R5/PT1M"
    assert task.retries == Expr("5")


def test_async_before_and_async_after_are_flags(process: Process) -> None:
    assert process.element("fetch_invoice").async_before is True
    assert process.element("fetch_invoice").async_after is False
    assert process.element("archive").async_after is True


def test_java_class_and_expression_become_static_job_types(process: Process) -> None:
    archive = process.element("archive").task
    notify = process.element("notify")
    assert archive is not None and archive.type == Expr("com.example.ArchiveDelegate", "static")
    assert notify.task is not None
    assert notify.task.type == Expr("${notifier.send(execution)}", "static")
    assert ("camunda:resultVariable", "notified") in notify.properties


def test_input_output_parameters_become_mappings(process: Process) -> None:
    element = process.element("fetch_invoice")
    inputs = {m.target: m.source for m in element.inputs}
    assert inputs["invoiceId"] == Expr("${invoice.id}", "juel")
    assert inputs["source"] == Expr("erp", "static")
    assert element.outputs == (IoMapping(Expr("${result.amount}", "juel"), "amount"),)


def test_list_and_map_parameters_become_feel_literals(process: Process) -> None:
    inputs = {m.target: m.source for m in process.element("fetch_invoice").inputs}
    assert inputs["approvers"] == Expr('["alice", manager]', "feel")
    assert inputs["limits"] == Expr('{"max": "1000", "currency": "EUR"}', "feel")


def test_camunda_properties_are_kept_on_the_element(process: Process) -> None:
    assert ("team", "finance") in process.element("fetch_invoice").properties


def test_user_task_assignment_and_form_key(process: Process) -> None:
    user_task = process.element("approve").user_task
    assert user_task is not None
    assert user_task.assignee == Expr("${approver}", "juel")
    assert user_task.candidate_groups == Expr("accounting,management")
    assert user_task.due_date == Expr("${dueDate}", "juel")
    assert user_task.priority == Expr("60")
    assert user_task.form_key == "embedded:app:forms/approve.html"


def test_form_data_fields_keep_enum_values_validation_and_properties(
    process: Process,
) -> None:
    user_task = process.element("approve").user_task
    assert user_task is not None
    decision, comment = user_task.form_fields
    assert decision == FormField(
        id="decision",
        label="Decision",
        type="enum",
        default_value="approve",
        values=(("approve", "Approve"), ("reject", "Reject")),
    )
    assert comment.constraints == (("required", None), ("maxlength", "500"))
    assert comment.properties == (("rows", "4"),)


def test_call_activity_in_and_out_mappings(process: Process) -> None:
    called = process.element("pay").called_element
    assert called is not None
    assert called.process_id == Expr("payment")
    assert called.binding == "version"
    assert called.version == "2"
    assert called.business_key == Expr("#{execution.processBusinessKey}", "juel")
    assert called.in_mappings == (
        IoMapping(Expr("amount", "feel"), "paymentAmount"),
        IoMapping(Expr("${invoice.iban}", "juel"), "iban"),
    )
    assert called.propagate_all_parent_variables is False
    assert called.propagate_all_child_variables is True


def test_multi_instance_reads_collection_element_variable_and_completion(
    process: Process,
) -> None:
    mi = process.element("pay").multi_instance
    assert mi is not None
    assert mi.sequential is True
    assert mi.input_collection == Expr("${invoice.lines}", "juel")
    assert mi.input_element == "line"
    assert mi.completion_condition == Expr("${nrOfCompletedInstances >= 2}", "juel")


def test_gateway_default_flow_and_conditions(process: Process) -> None:
    gateway = process.element("paid")
    assert gateway.default_flow == "f_not_paid"
    assert gateway.outgoing == ("f_paid", "f_not_paid")
    assert process.flows["f_paid"].condition == Expr("${paid}", "juel")


def test_incoming_and_outgoing_come_from_the_flows_not_the_tags(
    process: Process,
) -> None:
    # the end event declares no <incoming> tags
    assert process.element("end").incoming == ("f_paid", "f_not_paid")
