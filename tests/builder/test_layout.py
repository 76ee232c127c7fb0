"""Auto-layout: shapes for everything, no overlaps, edges on borders, left to right."""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest

from orchestration.bpmn import parse_bpmn
from orchestration.bpmn.layout import ensure_diagram, layout
from orchestration.bpmn.model import Diagram, Process
from orchestration.bpmn.parser import parse_definitions
from orchestration.bpmn.xml import load_xml
from orchestration.builder import ProcessBuilder
from tests.bpmn.corpus import CORPUS, corpus_files

from .layout_checks import layout_problems
from .models import ALL, nightly, order, shop

# Executable corpus models with boundary events, subprocesses, loops and joins.
CORPUS_MODELS = [
    "camunda-bpm-examples/clients/java/order-handling/order-handling.bpmn",
    "camunda-bpm-examples/usertask/task-form-embedded-bpmn-events/src/main/resources/invoicePayment.bpmn",
    "camunda-bpm-examples/testing/assert/job-announcement-publication-process/src/test/resources/"
    "camunda-testing-job-announcement.bpmn",
    "camunda-bpm-examples/startevent/message-start/src/main/resources/message_start_process.bpmn",
    "camunda-8-js-sdk/src/__tests__/testdata/Client-ThrowError.bpmn",
    "camunda-bpm-platform/engine/src/test/resources/org/camunda/bpm/engine/test/bpmn/event/compensate/"
    "CompensateEventTest.testCompensationEventSubProcess.bpmn20.xml",
    "bpmn-miwg/Reference/B.2.0.bpmn",  # three pools, boundary events, subprocesses
    "bpmn-miwg/Reference/C.6.0.bpmn",
]
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus is not checked out")


def _bounds(diagram: Diagram, element_id: str):
    return diagram.shapes[element_id].bounds


@pytest.mark.parametrize("name", sorted(ALL))
def test_built_models_keep_every_layout_invariant(name):
    process = ALL[name]().build()
    assert layout_problems(process, layout(process)) == []


@pytest.mark.parametrize("name", sorted(ALL))
def test_layout_is_deterministic(name):
    process = ALL[name]().build()
    reparsed = parse_bpmn(ALL[name]().to_xml()).processes[0]
    assert layout(process) == layout(process) == layout(reparsed)


def test_shapes_have_the_bpmn_sizes_and_a_chain_of_tasks_is_one_row_150_px_apart():
    process = (
        ProcessBuilder("p")
        .start()
        .task("A")
        .task("B")
        .exclusive("g")
        .branch("x", condition="=x")
        .end_branch()
        .branch("y", condition="=y")
        .end_branch()
        .join()
        .end()
        .build()
    )
    diagram = layout(process)
    a, b = _bounds(diagram, "a"), _bounds(diagram, "b")
    assert (a.width, a.height) == (100, 80)
    assert (_bounds(diagram, "start").width, _bounds(diagram, "start").height) == (36, 36)
    assert (_bounds(diagram, "g").width, _bounds(diagram, "g").height) == (50, 50)
    assert b.x - a.x == 150
    assert a.y == b.y
    centre = a.y + a.height / 2
    for element_id in ("start", "g", "g-join", "end"):
        bounds = _bounds(diagram, element_id)
        assert bounds.y + bounds.height / 2 == centre, element_id


def test_branches_of_a_split_are_stacked_without_crossings():
    builder = ProcessBuilder("p").start().parallel("split")
    for name, length in (("a", 1), ("b", 3), ("c", 2)):
        builder = builder.branch(name)
        for i in range(length):
            builder = builder.task(f"{name}{i}")
        builder = builder.end_branch()
    process = builder.join().end().build()
    diagram = layout(process)
    assert layout_problems(process, diagram) == []
    tops = [_bounds(diagram, f"{name}0").y for name in "abc"]
    assert len(set(tops)) == 3
    assert _crossings(diagram) == 0


def _crossings(diagram: Diagram) -> int:
    segments = []
    for edge in diagram.edges.values():
        for p, q in pairwise(edge.waypoints):
            segments.append((edge.element_id, p, q))
    count = 0
    for i, (e1, (ax, ay), (bx, by)) in enumerate(segments):
        for e2, (cx, cy), (dx, dy) in segments[i + 1 :]:
            if e1 == e2:
                continue
            if ax == bx and cy == dy:  # vertical x horizontal
                vx, (v1, v2), hy, (h1, h2) = ax, sorted((ay, by)), cy, sorted((cx, dx))
            elif ay == by and cx == dx:
                vx, (v1, v2), hy, (h1, h2) = cx, sorted((cy, dy)), ay, sorted((ax, bx))
            else:
                continue
            if h1 < vx < h2 and v1 < hy < v2:
                count += 1
    return count


def test_boundary_events_sit_on_the_bottom_border_and_their_paths_leave_downwards():
    process = shop().build()
    diagram = layout(process)
    for event in (e for e in process.elements.values() if e.type == "boundaryEvent"):
        host, bounds = _bounds(diagram, event.attached_to), _bounds(diagram, event.id)
        assert bounds.y + bounds.height / 2 == host.y + host.height
        assert host.x <= bounds.x and bounds.x + bounds.width <= host.x + host.width
        for flow_id in event.outgoing:
            (x1, y1), (x2, y2) = diagram.edges[flow_id].waypoints[:2]
            assert x1 == x2 and y2 > y1, flow_id
            target = _bounds(diagram, process.flows[flow_id].target)
            if target.x > host.x:
                assert target.y > host.y + host.height, flow_id  # the path runs below its host


def test_several_boundary_events_on_one_host_do_not_overlap():
    process = shop().build()
    diagram = layout(process)
    slow, stock = _bounds(diagram, "too-slow"), _bounds(diagram, "no-stock")
    assert abs(slow.x - stock.x) >= slow.width


def test_back_edges_are_routed_above_the_columns_they_span():
    process = nightly().build()
    diagram = layout(process)
    loop = next(f for f in process.flows.values() if f.source == "again" and f.target == "export")
    lane = min(y for _, y in diagram.edges[loop.id].waypoints)
    export, outer = _bounds(diagram, "export"), _bounds(diagram, "outer")
    assert lane < min(export.y, outer.y)


def test_a_loop_from_a_boundary_path_goes_under_the_columns():
    process = shop().build()
    diagram = layout(process)
    loop = next(f for f in process.flows.values() if f.source == "backorder")
    lane = max(y for _, y in diagram.edges[loop.id].waypoints)
    backorder = _bounds(diagram, "backorder")
    assert lane > backorder.y + backorder.height


def test_subprocess_shapes_contain_their_children_and_are_expanded():
    process = nightly().build()
    diagram = layout(process)
    assert diagram.shapes["outer"].is_expanded and diagram.shapes["inner"].is_expanded
    assert diagram.shapes["export"].is_expanded is None
    outer, inner, deep = (_bounds(diagram, k) for k in ("outer", "inner", "deep"))
    assert outer.x < inner.x < deep.x and deep.x + deep.width < inner.x + inner.width < outer.x + outer.width


def test_event_subprocesses_go_under_their_scope():
    process = shop().build()
    diagram = layout(process)
    cancel = _bounds(diagram, "cancel")
    others = [s.bounds for k, s in diagram.shapes.items() if process.elements[k].parent_id is None and k != "cancel"]
    assert cancel.y > max(b.y + b.height for b in others)


def test_a_process_without_elements_has_an_empty_diagram():
    process = Process(id="p", name=None, is_executable=False, elements={}, flows={})
    assert layout(process) == Diagram()


def test_ensure_diagram_leaves_drawn_models_alone():
    definitions = order().definitions()
    assert ensure_diagram(definitions) is definitions


def test_ensure_diagram_draws_processes_without_shapes():
    definitions = dataclasses.replace(order().definitions(), diagram=Diagram())
    drawn = ensure_diagram(definitions)
    process = drawn.processes[0]
    assert layout_problems(process, drawn.diagram) == []
    assert drawn.processes == definitions.processes


@needs_corpus
@pytest.mark.parametrize("relative_path", CORPUS_MODELS)
def test_corpus_models_without_di_are_laid_out_cleanly(relative_path):
    definitions = parse_bpmn((CORPUS / relative_path).read_bytes())
    assert definitions.diagram.shapes, "the corpus file should carry DI to begin with"
    stripped = dataclasses.replace(definitions, diagram=Diagram())
    drawn = ensure_diagram(stripped)
    for process in drawn.processes:
        assert layout_problems(process, drawn.diagram) == [], process.id
    for participant in drawn.participants:
        if participant.process_id in {p.id for p in drawn.processes}:
            pool = drawn.diagram.shapes[participant.id].bounds
            process = drawn.process(participant.process_id)
            for element_id in process.elements:
                inner = drawn.diagram.shapes[element_id].bounds
                assert pool.x < inner.x and inner.x + inner.width < pool.x + pool.width
    assert ensure_diagram(stripped) == drawn


@needs_corpus
@pytest.mark.parametrize("relative_path", corpus_files())
def test_every_corpus_process_keeps_the_layout_invariants(relative_path):
    """Refused models too (parsed leniently): the diagram renderer draws them."""
    root = load_xml((CORPUS / relative_path).read_bytes(), max_bytes=10**7, max_depth=500, max_elements=10**5)
    definitions, _ = parse_definitions(root)
    for process in definitions.processes:
        assert layout_problems(process, layout(process)) == [], process.id


def _two_flows_between_split_and_join(name: str | None) -> Process:
    builder = (
        ProcessBuilder("p")
        .start()
        .exclusive(name, id="split", default="small")
        .branch("over 500", condition="=total > 500")
        .end_branch()
        .branch("small")
        .end_branch()
        .join()
        .end()
    )
    return builder.build()


def _twins(process: Process) -> list[str]:
    pairs: dict[tuple[str, str], list[str]] = {}
    for flow in process.flows.values():
        pairs.setdefault((flow.source, flow.target), []).append(flow.id)
    (twins,) = [ids for ids in pairs.values() if len(ids) == 2]
    return twins


@pytest.mark.parametrize(("name", "side"), [(None, "below"), ("Big order?", "above")])
def test_two_flows_between_the_same_pair_get_different_routes(name, side):
    process = _two_flows_between_split_and_join(name)
    twins = _twins(process)
    diagram = layout(process)
    first, second = (diagram.edges[f].waypoints for f in twins)
    assert first != second
    assert len({y for _, y in first}) == 1  # the first stays straight
    split = _bounds(diagram, process.flows[twins[0]].source)
    if side == "below":
        assert max(y for _, y in second) > split.y + split.height
    else:  # a named gateway's label sits below it: the bend goes round the top
        assert min(y for _, y in second) < split.y
    # the labels (drawn above the middle segment) are on different lines
    assert first[len(first) // 2][1] != second[len(second) // 2][1]
    assert layout_problems(process, diagram) == []


def test_the_demo_order_process_draws_its_two_gateway_flows_apart():
    from pathlib import Path

    import orchestration

    xml = (Path(orchestration.__file__).parent / "demo" / "processes" / "order-process.bpmn").read_bytes()
    process = parse_bpmn(xml).process("order-process")
    diagram = layout(process)
    assert diagram.edges["f4-big"].waypoints != diagram.edges["f4-small"].waypoints
    assert layout_problems(process, diagram) == []


TWIN_FLOWS_FROM_A_HOST = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <process id="p" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f0" sourceRef="start" targetRef="work"/>
    <task id="work" default="plain"/>
    <boundaryEvent id="late" attachedToRef="work"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
    <sequenceFlow id="fast" sourceRef="work" targetRef="next"><conditionExpression>=x</conditionExpression></sequenceFlow>
    <sequenceFlow id="plain" sourceRef="work" targetRef="next"/>
    <sequenceFlow id="f-late" sourceRef="late" targetRef="end"/>
    <task id="next"/>
    <sequenceFlow id="f3" sourceRef="next" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def test_a_second_flow_goes_above_when_boundary_events_sit_under_the_pair():
    process = parse_bpmn(TWIN_FLOWS_FROM_A_HOST.encode()).process("p")
    diagram = layout(process)
    assert layout_problems(process, diagram) == []
    straight, bent = diagram.edges["fast"].waypoints, diagram.edges["plain"].waypoints
    assert len({y for _, y in straight}) == 1
    work = _bounds(diagram, "work")
    assert bent[0] == (work.x + work.width / 2, work.y)  # leaves at the top, clear of the timer
    assert min(y for _, y in bent) < work.y
