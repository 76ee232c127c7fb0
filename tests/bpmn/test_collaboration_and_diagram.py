"""Collaborations with several executable processes, and diagram interchange."""

from __future__ import annotations

import pytest

from orchestration.bpmn import parse_bpmn
from orchestration.bpmn.model import Bounds, Definitions, Participant

from .helpers import fixture


@pytest.fixture(scope="module")
def definitions() -> Definitions:
    return parse_bpmn(fixture("collaboration_two_executable_processes.bpmn"))


def test_both_processes_of_the_collaboration_are_executable(
    definitions: Definitions,
) -> None:
    assert [p.id for p in definitions.executable_processes] == ["customer", "shop"]


def test_participants_point_at_their_processes(definitions: Definitions) -> None:
    assert definitions.participants == (
        Participant("Participant_customer", "Customer", "customer"),
        Participant("Participant_shop", "Shop", "shop"),
    )


def test_flavour_without_vendor_extensions_is_plain_bpmn(
    definitions: Definitions,
) -> None:
    assert definitions.flavour == "bpmn"


def test_message_start_event_reads_the_global_message_name(
    definitions: Definitions,
) -> None:
    start = definitions.process("shop").element("shop_start")
    assert start.event is not None and start.event.message_name is not None
    assert start.event.message_name.source == "order-placed"


def test_lanes_text_annotations_and_associations_are_ignored(
    definitions: Definitions,
) -> None:
    assert set(definitions.process("customer").elements) == {
        "customer_start",
        "place",
        "customer_end",
    }


def test_shape_bounds_and_label_bounds_are_kept(definitions: Definitions) -> None:
    shape = definitions.diagram.shapes["customer_start"]
    assert shape.bounds == Bounds(152, 132, 36, 36)
    assert shape.label == Bounds(128, 175, 84, 14)
    assert definitions.diagram.shapes["place"].bounds.width == 100.5


def test_pool_shape_keeps_is_horizontal(definitions: Definitions) -> None:
    assert definitions.diagram.shapes["Participant_customer"].is_horizontal is True


def test_edge_waypoints_and_label_are_kept(definitions: Definitions) -> None:
    edge = definitions.diagram.edges["c1"]
    assert edge.waypoints == ((188, 150), (214, 150), (240, 150))
    assert edge.label == Bounds(205, 132, 12, 14)
    assert definitions.diagram.edges["MessageFlow_1"].waypoints == (
        (290, 190),
        (290, 300),
    )


def test_shapes_are_collected_from_every_diagram(definitions: Definitions) -> None:
    assert definitions.diagram.shapes["shop_start"].bounds.y == 332
