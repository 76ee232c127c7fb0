"""What is refused with a precise reason, and how expression text is classified."""

from __future__ import annotations

import pytest

from orchestration.bpmn import parse_bpmn
from orchestration.bpmn.model import Expr

from .helpers import definitions, parse, problems_of

START = '<bpmn:startEvent id="s" />'


def flow_condition(text: str, language: str | None = None) -> Expr | None:
    lang = f' language="{language}"' if language else ""
    body = (
        f'{START}<bpmn:exclusiveGateway id="g" /><bpmn:endEvent id="e" />'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g" />'
        f'<bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e">'
        f"<bpmn:conditionExpression{lang}>{text}</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
    )
    return parse(body).process("p").flows["f2"].condition


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("= amount &gt; 100", Expr("amount > 100", "feel")),
        ("${amount &gt; 100}", Expr("${amount > 100}", "juel")),
        ("#{approved}", Expr("#{approved}", "juel")),
        ("amount &gt; 100", Expr("amount > 100", "feel")),
    ],
)
def test_condition_text_is_classified_as_feel_or_juel(text: str, expected: Expr) -> None:
    assert flow_condition(text) == expected


def test_condition_in_feel_language_is_accepted() -> None:
    feel = "https://www.omg.org/spec/DMN/20191111/FEEL/"
    assert flow_condition("x = 1", feel) == Expr("x = 1", "feel")


def test_condition_in_a_script_language_is_refused() -> None:
    with pytest.raises(Exception) as caught:
        flow_condition("x == 1", "javascript")
    (problem,) = caught.value.problems  # type: ignore[attr-defined]
    assert problem.message == (
        "expression language 'javascript' of conditionExpression is not supported; use FEEL or ${...} expressions"
    )
    assert problem.element_id == "f2"


def test_definitions_expression_language_applies_to_conditions() -> None:
    doc = definitions(
        f'{START}<bpmn:endEvent id="e" /><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e">'
        "<bpmn:conditionExpression>a = b</bpmn:conditionExpression></bpmn:sequenceFlow>"
    ).replace('id="d"', 'id="d" expressionLanguage="http://www.w3.org/1999/XPath"')
    (problem,) = problems_of(doc)
    assert "'http://www.w3.org/1999/XPath'" in problem.message


@pytest.mark.parametrize("fmt", ["groovy", "javascript", "python"])
def test_script_task_in_a_script_language_is_refused(fmt: str) -> None:
    body = f'{START}<bpmn:scriptTask id="st" scriptFormat="{fmt}"><bpmn:script>x</bpmn:script></bpmn:scriptTask>'
    (problem,) = problems_of(definitions(body))
    assert problem.message == (
        f"scriptFormat '{fmt}' is not supported (no script execution); use a FEEL script or a service task"
    )
    assert problem.element_id == "st"


def test_script_task_in_feel_or_juel_becomes_a_script() -> None:
    body = (
        f'{START}<bpmn:scriptTask id="a" scriptFormat="FEEL" camunda:resultVariable="r">'
        "<bpmn:script>1 + 2</bpmn:script></bpmn:scriptTask>"
        '<bpmn:scriptTask id="b" scriptFormat="juel"><bpmn:script>${x}</bpmn:script></bpmn:scriptTask>'
    )
    process = parse(body).process("p")
    a, b = process.element("a").script, process.element("b").script
    assert a is not None and a.expr == Expr("1 + 2", "feel") and a.result_variable == "r"
    assert b is not None and b.expr == Expr("${x}", "juel")


def test_unsupported_scripts_in_a_non_executable_process_are_not_reported() -> None:
    body = '<bpmn:scriptTask id="st" scriptFormat="groovy"><bpmn:script>x</bpmn:script></bpmn:scriptTask>'
    assert parse(body, executable=False).process("p").element("st").script is None


def test_multiple_event_definitions_on_one_event_are_refused() -> None:
    body = (
        '<bpmn:startEvent id="s"><bpmn:timerEventDefinition>'
        "<bpmn:timeDuration>PT1M</bpmn:timeDuration></bpmn:timerEventDefinition>"
        "<bpmn:signalEventDefinition /></bpmn:startEvent>"
    )
    (problem,) = problems_of(definitions(body))
    assert "startEvent has 2 event definitions" in problem.message
    assert "multiple events are not supported" in problem.message


def test_standard_loop_is_refused() -> None:
    body = f'{START}<bpmn:task id="t"><bpmn:standardLoopCharacteristics /></bpmn:task>'
    (problem,) = problems_of(definitions(body))
    assert problem.message.startswith("standardLoopCharacteristics (loop activity) is not supported")
    assert problem.element_id == "t"


def test_business_rule_task_with_dmn_is_refused_but_a_job_is_accepted() -> None:
    dmn = f'{START}<bpmn:businessRuleTask id="r" camunda:decisionRef="risk" />'
    (problem,) = problems_of(definitions(dmn))
    assert problem.message.startswith("DMN decisions are not supported (decision 'risk')")
    job = f'{START}<bpmn:businessRuleTask id="r" camunda:type="external" camunda:topic="rules" />'
    task = parse(job).process("p").element("r").task
    assert task is not None and task.type == Expr("rules")


@pytest.mark.parametrize(
    ("tag", "reason"),
    [
        ("transaction", "transaction is not supported"),
        ("adHocSubProcess", "adHocSubProcess is not supported"),
        ("callChoreography", "callChoreography is not supported"),
    ],
)
def test_unsupported_flow_nodes_are_refused_by_name(tag: str, reason: str) -> None:
    (problem,) = problems_of(definitions(f'{START}<bpmn:{tag} id="x" />'))
    assert problem.message.startswith(reason)
    assert problem.element_id == "x"


def test_vendor_extensions_and_harmless_elements_are_ignored() -> None:
    body = (
        f'{START}<bpmn:task id="t" xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0"'
        ' bioc:fill="#fff"><bpmn:documentation>doc</bpmn:documentation>'
        '<bpmn:extensionElements><other:thing xmlns:other="urn:x" /></bpmn:extensionElements>'
        "</bpmn:task>"
        '<bpmn:dataObject id="do" /><bpmn:dataObjectReference id="dor" dataObjectRef="do" />'
        '<bpmn:group id="grp" /><bpmn:textAnnotation id="ta" />'
        '<other:widget xmlns:other="urn:x" />'
    )
    assert set(parse(body).process("p").elements) == {"s", "t"}


def test_camunda_script_input_parameter_is_refused() -> None:
    body = (
        f'{START}<bpmn:task id="t"><bpmn:extensionElements><camunda:inputOutput>'
        '<camunda:inputParameter name="score"><camunda:script scriptFormat="javascript">1'
        "</camunda:script></camunda:inputParameter></camunda:inputOutput>"
        "</bpmn:extensionElements></bpmn:task>"
    )
    (problem,) = problems_of(definitions(body))
    assert problem.message.startswith("camunda:script in parameter 'score' is not supported")


def test_camunda_listeners_are_refused() -> None:
    body = (
        f'{START}<bpmn:userTask id="u"><bpmn:extensionElements>'
        '<camunda:taskListener class="com.example.Listener" event="create" />'
        "</bpmn:extensionElements></bpmn:userTask>"
    )
    (problem,) = problems_of(definitions(body))
    assert problem.message.startswith("camunda:taskListener is not supported")


def test_http_connector_becomes_an_http_job_with_its_inputs() -> None:
    body = (
        f'{START}<bpmn:serviceTask id="call"><bpmn:extensionElements><camunda:connector>'
        "<camunda:connectorId>http-connector</camunda:connectorId><camunda:inputOutput>"
        '<camunda:inputParameter name="url">https://example.com/api</camunda:inputParameter>'
        '<camunda:inputParameter name="method">POST</camunda:inputParameter>'
        "</camunda:inputOutput></camunda:connector></bpmn:extensionElements></bpmn:serviceTask>"
    )
    element = parse(body).process("p").element("call")
    assert element.task is not None and element.task.type == Expr("http")
    assert [(m.target, m.source.source) for m in element.inputs] == [
        ("url", "https://example.com/api"),
        ("method", "POST"),
    ]


def test_compensation_boundary_event_is_linked_to_its_handler() -> None:
    body = (
        f'{START}<bpmn:task id="book" />'
        '<bpmn:boundaryEvent id="comp" attachedToRef="book"><bpmn:compensateEventDefinition />'
        "</bpmn:boundaryEvent>"
        '<bpmn:task id="cancel" isForCompensation="true" />'
        '<bpmn:association id="a" sourceRef="comp" targetRef="cancel" />'
    )
    process = parse(body).process("p")
    assert process.element("comp").compensation_handler == "cancel"
    assert process.element("cancel").is_for_compensation is True


def test_event_subprocess_children_get_the_subprocess_as_parent() -> None:
    body = (
        f'{START}<bpmn:subProcess id="esp" triggeredByEvent="true">'
        '<bpmn:startEvent id="es" isInterrupting="false"><bpmn:signalEventDefinition signalRef="sig" />'
        '</bpmn:startEvent><bpmn:endEvent id="ee" />'
        '<bpmn:sequenceFlow id="f" sourceRef="es" targetRef="ee" /></bpmn:subProcess>'
    )
    parsed = parse(body, before='<bpmn:signal id="sig" name="alarm" />')
    process = parsed.process("p")
    assert process.element("esp").triggered_by_event is True
    assert process.element("esp").children == ("es", "ee")
    start = process.element("es")
    assert start.parent_id == "esp" and start.is_interrupting is False
    assert start.event is not None and start.event.signal_name == Expr("alarm")


def test_execution_platform_attribute_alone_makes_the_file_camunda8() -> None:
    doc = definitions(START).replace(
        'id="d"',
        'id="d" xmlns:modeler="http://camunda.org/schema/modeler/1.0" modeler:executionPlatform="Camunda Cloud"',
    )
    assert parse_bpmn(doc).flavour == "camunda8"


def test_legacy_activiti_namespace_is_read_as_camunda7() -> None:
    doc = definitions(f'{START}<bpmn:serviceTask id="t" activiti:class="com.example.Legacy" />').replace(
        'id="d"', 'id="d" xmlns:activiti="http://activiti.org/bpmn"'
    )
    parsed = parse_bpmn(doc)
    assert parsed.flavour == "camunda7"
    task = parsed.process("p").element("t").task
    assert task is not None and task.type == Expr("com.example.Legacy")


def test_zeebe_execution_listeners_are_refused() -> None:
    body = (
        f'{START}<bpmn:serviceTask id="t"><bpmn:extensionElements>'
        '<zeebe:taskDefinition type="work" /><zeebe:executionListeners>'
        '<zeebe:executionListener eventType="start" type="audit" /></zeebe:executionListeners>'
        "</bpmn:extensionElements></bpmn:serviceTask>"
    )
    (problem,) = problems_of(definitions(body))
    assert problem.message.startswith("zeebe:executionListeners are not supported")


def test_unknown_element_inside_a_subprocess_is_reported_once() -> None:
    body = f'{START}<bpmn:subProcess id="sub"><bpmn:complexGateway id="cg" /></bpmn:subProcess>'
    (problem,) = problems_of(definitions(body))
    assert problem.message == "complexGateway is not supported"
    assert problem.element_id == "cg"
