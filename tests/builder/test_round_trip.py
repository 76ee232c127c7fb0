"""Builder -> XML -> parse_bpmn gives the model the builder builds, diagram included."""

from __future__ import annotations

import dataclasses

import pytest

from orchestration.bpmn import parse_bpmn
from orchestration.bpmn.model import Expr, Process

from .models import ALL, order, shop


def _without_lines(process: Process) -> tuple[dict, dict]:
    elements = {k: dataclasses.replace(e, line=0) for k, e in process.elements.items()}
    flows = {k: dataclasses.replace(f, line=0) for k, f in process.flows.items()}
    return elements, flows


@pytest.mark.parametrize("name", sorted(ALL))
def test_parsed_xml_equals_the_built_process(name):
    builder = ALL[name]()
    built = builder.build()
    parsed = parse_bpmn(builder.to_xml()).process(built.id)
    elements, flows = _without_lines(parsed)
    assert list(elements) == list(built.elements)
    for element_id, element in built.elements.items():
        assert elements[element_id] == element, element_id
    assert flows == dict(built.flows)
    assert (parsed.name, parsed.version_tag, parsed.is_executable) == (built.name, built.version_tag, True)


@pytest.mark.parametrize("name", sorted(ALL))
def test_parsed_definitions_keep_globals_flavour_and_diagram(name):
    definitions = ALL[name]().definitions()
    parsed = parse_bpmn(ALL[name]().to_xml())
    assert parsed.flavour == "camunda8"
    assert dict(parsed.messages) == dict(definitions.messages)
    assert dict(parsed.errors) == dict(definitions.errors)
    assert dict(parsed.diagram.shapes) == dict(definitions.diagram.shapes)
    assert dict(parsed.diagram.edges) == dict(definitions.diagram.edges)


def test_example_of_the_issue_has_its_extensions():
    process = order().build()
    reserve = process.element("reserve")
    assert reserve.task.type == Expr("reserve-stock") and reserve.task.retries == Expr("3")
    assert [(m.target, m.source) for m in reserve.inputs] == [("amount", Expr("total", "feel"))]
    assert [(m.target, m.source) for m in reserve.outputs] == [("reservation", Expr("reservationId", "feel"))]
    gateway = process.element("big")
    assert gateway.name == "big?"
    default = process.flows[gateway.default_flow]
    assert (default.name, default.target, default.condition) == ("small", "big-join", None)
    big = next(process.flows[f] for f in gateway.outgoing if f != gateway.default_flow)
    assert big.condition == Expr("total > 500", "feel")
    assert process.element("approve").user_task.candidate_groups == Expr("approver")
    assert process.element("wait").event.timer.expr == Expr("PT1H")
    paid = process.element("paid").event
    assert (paid.message_name, paid.correlation_key) == (Expr("payment-received"), Expr("orderId", "feel"))


def test_boundary_events_subprocesses_and_multi_instance_are_modelled():
    process = shop().build()
    slow = process.element("too-slow")
    assert (slow.type, slow.attached_to, slow.cancel_activity) == ("boundaryEvent", "reserve-stock", False)
    assert process.element("no-stock").event.error_code == Expr("NO_STOCK")
    assert process.element("pack-failed").event.error_code is None  # catch-all
    pack = process.element("pack-items")
    assert pack.children[0] == "pack-items-start"
    assert all(process.element(c).parent_id == "pack-items" for c in pack.children)
    pick = process.element("pick").multi_instance
    assert (pick.input_collection, pick.input_element, pick.output_collection) == (
        Expr("items", "feel"),
        "item",
        "picked",
    )
    cancel = process.element("cancel")
    assert cancel.triggered_by_event and not cancel.incoming
    assert process.element("ship").called_element.propagate_all_child_variables is False
    loop = [f for f in process.flows.values() if f.source == "backorder"]
    assert [f.target for f in loop] == ["reserve-stock"]


def test_xml_is_deterministic():
    assert ALL["shop"]().to_xml() == ALL["shop"]().to_xml()
