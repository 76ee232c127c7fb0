"""Structural validation: every problem at once, with element id and line."""

from __future__ import annotations

from orchestration.bpmn import validate
from orchestration.bpmn.model import Definitions, Element, Process, SequenceFlow

from .helpers import definitions, messages, parse, problems_of

START = '<bpmn:startEvent id="s" />'


def test_duplicate_ids_are_reported_with_the_first_line() -> None:
    body = f'{START}\n<bpmn:task id="t" />\n<bpmn:task id="t" />'
    (problem,) = problems_of(definitions(body))
    assert problem.message == "duplicate id 't' (first used on line 5)"
    assert problem.line == 6


def test_flow_to_a_missing_element_is_reported_on_the_flow() -> None:
    body = f'{START}\n<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="nowhere" />'
    (problem,) = problems_of(definitions(body))
    assert problem.message == "sequenceFlow target 'nowhere' does not exist"
    assert problem.element_id == "f"


def test_flow_crossing_a_subprocess_boundary_is_refused() -> None:
    body = (
        f"{START}\n"
        '<bpmn:subProcess id="sub"><bpmn:task id="inner" /></bpmn:subProcess>\n'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="inner" />'
    )
    (problem,) = problems_of(definitions(body))
    assert "crosses a scope boundary" in problem.message
    assert "subprocess 'sub'" in problem.message


def test_executable_process_needs_a_top_level_start_event() -> None:
    body = '<bpmn:subProcess id="sub"><bpmn:startEvent id="inner" /></bpmn:subProcess>'
    (problem,) = problems_of(definitions(body))
    assert problem.message == "executable process has no start event at the top level"
    assert problem.element_id == "p"


def test_non_executable_process_is_parsed_leniently() -> None:
    body = '<bpmn:complexGateway id="cg" /><bpmn:serviceTask id="t" />'
    parsed = parse(body, executable=False)
    assert parsed.executable_processes == ()
    assert parsed.process("p").element("cg").type == "complexGateway"


def test_default_flow_must_leave_the_gateway() -> None:
    body = (
        f'{START}<bpmn:exclusiveGateway id="g" default="elsewhere" />'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="g" />'
        '<bpmn:sequenceFlow id="elsewhere" sourceRef="s" targetRef="g" />'
    )
    (problem,) = problems_of(definitions(body))
    assert problem.message == ("default flow 'elsewhere' is not an outgoing sequence flow of this exclusiveGateway")


def test_conditions_after_a_parallel_gateway_are_refused() -> None:
    body = (
        f'{START}<bpmn:parallelGateway id="g" /><bpmn:endEvent id="e" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" />'
        '<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e">'
        "<bpmn:conditionExpression>=x</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )
    (problem,) = problems_of(definitions(body))
    assert problem.element_id == "f2"
    assert "conditions are not allowed after a parallelGateway" in problem.message


def test_service_task_without_implementation_is_refused() -> None:
    (problem,) = problems_of(definitions(f'{START}<bpmn:serviceTask id="t" />'))
    assert problem.message == (
        "serviceTask has no implementation (zeebe:taskDefinition type or camunda topic/class/expression)"
    )


def test_timer_without_value_and_message_without_name_are_refused() -> None:
    body = (
        f"{START}"
        '<bpmn:intermediateCatchEvent id="timer"><bpmn:timerEventDefinition />'
        "</bpmn:intermediateCatchEvent>"
        '<bpmn:intermediateCatchEvent id="msg"><bpmn:messageEventDefinition />'
        "</bpmn:intermediateCatchEvent>"
    )
    assert messages(problems_of(definitions(body))) == [
        "timer event has no timeDate, timeDuration or timeCycle value",
        "message event has no message name (messageRef to a named bpmn:message)",
    ]


def test_static_timer_value_must_look_like_iso_8601() -> None:
    body = (
        f"{START}"
        '<bpmn:intermediateCatchEvent id="timer"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>five minutes</bpmn:timeDuration>"
        "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>"
    )
    (problem,) = problems_of(definitions(body))
    assert problem.message == "timeDuration 'five minutes' is not an ISO 8601 duration"


def test_boundary_event_on_a_missing_or_non_activity_element_is_refused() -> None:
    body = (
        f'{START}<bpmn:exclusiveGateway id="g" />'
        '<bpmn:boundaryEvent id="b1" attachedToRef="ghost" />'
        '<bpmn:boundaryEvent id="b2" attachedToRef="g" />'
    )
    assert messages(problems_of(definitions(body))) == [
        "boundaryEvent is attached to 'ghost', which does not exist",
        "boundaryEvent is attached to 'g' (exclusiveGateway), which is not an activity",
    ]


def test_unresolved_message_reference_names_the_reference() -> None:
    body = '<bpmn:startEvent id="s"><bpmn:messageEventDefinition messageRef="Nope" /></bpmn:startEvent>'
    (problem,) = problems_of(definitions(body))
    assert problem.message == "messageRef 'Nope' does not name a bpmn:message in this file"


def test_every_problem_is_reported_at_once_in_line_order() -> None:
    body = (
        '<bpmn:serviceTask id="t1" />\n'
        '<bpmn:complexGateway id="cg" />\n'
        '<bpmn:sendTask id="t2" />\n'
        '<bpmn:sequenceFlow id="f" sourceRef="t1" targetRef="ghost" />'
    )
    problems = problems_of(definitions(body))
    assert [p.element_id for p in problems] == ["p", "t1", "cg", "t2", "f"]
    assert [p.line for p in problems] == [3, 4, 5, 6, 7]


def test_validate_works_on_a_model_built_in_code() -> None:
    start = Element(id="s", type="startEvent", outgoing=("f",))
    flow = SequenceFlow(id="f", source="s", target="missing")
    process = Process(id="p", name=None, is_executable=True, elements={"s": start}, flows={"f": flow})
    built = Definitions(
        id=None,
        target_namespace=None,
        exporter=None,
        exporter_version=None,
        flavour="bpmn",
        processes=(process,),
    )
    assert messages(tuple(validate(built))) == ["sequenceFlow target 'missing' does not exist"]


def test_validate_skips_processes_that_are_not_executable() -> None:
    process = Process(
        id="p",
        name=None,
        is_executable=False,
        elements={},
        flows={"f": SequenceFlow(id="f", source="a", target="b")},
    )
    built = Definitions(None, None, None, None, "bpmn", (process,))
    assert validate(built) == []
