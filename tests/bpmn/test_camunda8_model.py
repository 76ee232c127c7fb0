"""Camunda 8 (zeebe:) extensions read from a hand-drawn order fulfilment model."""

from __future__ import annotations

import pytest

from orchestration.bpmn import parse_bpmn
from orchestration.bpmn.model import Definitions, Expr, IoMapping, Process

from .helpers import fixture


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    return parse_bpmn(fixture("c8_order_fulfilment.bpmn"))


@pytest.fixture(scope="module")
def process(definitions: Definitions) -> Process:
    return definitions.process("order")


def test_flavour_is_camunda8(definitions: Definitions) -> None:
    assert definitions.flavour == "camunda8"
    assert definitions.exporter == "Camunda Modeler"


def test_task_definition_type_and_retries_expression(process: Process) -> None:
    task = process.element("reserve").task
    assert task is not None
    assert task.type == Expr("reserve-stock", "static")
    assert task.retries == Expr("retryCount", "feel")


def test_task_headers_keep_their_order(process: Process) -> None:
    task = process.element("reserve").task
    assert task is not None
    assert task.headers == (("warehouse", "north"), ("mode", "strict"))


def test_io_mapping_inputs_and_outputs(process: Process) -> None:
    element = process.element("reserve")
    assert element.inputs == (
        IoMapping(Expr("order.items", "feel"), "items"),
        IoMapping(Expr("static-text", "static"), "note"),
    )
    assert element.outputs == (IoMapping(Expr("reservation.id", "feel"), "order.reservationId"),)
    assert ("sla", "5m") in element.properties


def test_message_subscription_correlation_key_reaches_the_receive_task(
    process: Process,
) -> None:
    event = process.element("wait_payment").event
    assert event is not None and event.kind == "message"
    assert event.message_name == Expr("payment-received")
    assert event.correlation_key == Expr("order.id", "feel")


def test_error_boundary_event_reads_the_global_error(definitions: Definitions, process: Process) -> None:
    boundary = process.element("no_stock")
    assert boundary.attached_to == "reserve"
    assert boundary.event is not None
    assert boundary.event.error_code == Expr("OUT_OF_STOCK")
    assert boundary.event.error_name == "Out of stock"
    assert definitions.errors["Error_stock"] == ("OUT_OF_STOCK", "Out of stock")


def test_user_task_form_assignment_schedule_and_priority(process: Process) -> None:
    element = process.element("check")
    user_task = element.user_task
    assert user_task is not None
    assert user_task.form_key == "camunda-forms:bpmn:userTaskForm_check"
    assert user_task.form_json == '{"components": [{"key": "ok", "type": "checkbox"}]}'
    assert user_task.assignee == Expr("order.owner", "feel")
    assert user_task.candidate_groups == Expr("sales, support")
    assert user_task.due_date == Expr('now() + duration("P1D")', "feel")
    assert user_task.priority == Expr("75")
    assert ("zeebe:userTask", "true") in element.properties


def test_zeebe_script_becomes_a_feel_script(process: Process) -> None:
    script = process.element("total").script
    assert script is not None
    assert script.expr == Expr("sum(order.items.price)", "feel")
    assert script.result_variable == "total"


def test_called_element_with_binding_and_propagation(process: Process) -> None:
    called = process.element("ship").called_element
    assert called is not None
    assert called.process_id == Expr("shippingProcessId", "feel")
    assert called.binding == "deployment"
    assert called.propagate_all_child_variables is False
    assert called.propagate_all_parent_variables is True


def test_loop_characteristics_fill_the_multi_instance(process: Process) -> None:
    mi = process.element("ship").multi_instance
    assert mi is not None
    assert mi.sequential is False
    assert mi.input_collection == Expr("order.parcels", "feel")
    assert mi.input_element == "parcel"
    assert mi.output_collection == "results"
    assert mi.output_element == Expr("tracking", "feel")
    assert mi.completion_condition == Expr("count(results) > 2", "feel")


def test_timer_value_with_equals_sign_is_feel(process: Process) -> None:
    event = process.element("cool_down").event
    assert event is not None and event.timer is not None
    assert event.timer.kind == "duration"
    assert event.timer.expr == Expr("coolDown", "feel")
