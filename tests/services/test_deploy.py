"""Deploy: versioning semantics, and every bad upload refused with a clear reason and no rows."""

from __future__ import annotations

import pytest

from orchestration import services
from orchestration.exceptions import DeploymentRefused
from orchestration.models import AuditEvent, Deployment, MessageSubscription, ProcessDefinition, Timer

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">\n'
)


def process(body: str, process_id: str = "p", name: str = "") -> str:
    return f'<bpmn:process id="{process_id}" name="{name}" isExecutable="true">\n{body}\n</bpmn:process>\n'


def document(*processes: str) -> str:
    return HEAD + "".join(processes) + "</bpmn:definitions>\n"


SIMPLE = (
    '<bpmn:startEvent id="s" />\n<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" />\n<bpmn:endEvent id="e" />'
)


def assert_nothing_written() -> None:
    assert Deployment.objects.count() == 0
    assert ProcessDefinition.objects.count() == 0
    assert Timer.objects.count() == 0
    assert MessageSubscription.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def refused(xml: str | bytes) -> DeploymentRefused:
    with pytest.raises(DeploymentRefused) as caught:
        services.deploy(xml, actor="admin")
    assert_nothing_written()
    return caught.value


def test_deploying_a_process_creates_version_one(db):
    result = services.deploy(document(process(SIMPLE)), actor="admin")

    assert result.created is True
    (definition,) = result.definitions
    assert (definition.bpmn_process_id, definition.version) == ("p", 1)


def test_redeploying_identical_xml_is_a_no_op(db):
    xml = document(process(SIMPLE))
    first = services.deploy(xml, actor="admin")

    again = services.deploy(xml, actor="admin")

    assert again.created is False
    assert again.deployment is None
    assert [d.key for d in again.definitions] == [d.key for d in first.definitions]
    assert ProcessDefinition.objects.get().version == 1
    assert Deployment.objects.count() == 1


def test_deploying_changed_xml_makes_version_two(db):
    services.deploy(document(process(SIMPLE)), actor="admin")

    result = services.deploy(document(process(SIMPLE, name="Renamed")), actor="admin")

    assert result.created is True
    assert [d.version for d in result.definitions] == [2]
    assert sorted(ProcessDefinition.objects.values_list("version", flat=True)) == [1, 2]


def test_a_file_with_two_executable_processes_deploys_both(db):
    second = SIMPLE.replace('"s"', '"s2"').replace('"f"', '"f2"').replace('"e"', '"e2"')
    xml = document(process(SIMPLE, "first"), process(second, "second"))

    result = services.deploy(xml, actor="admin")

    assert sorted(d.bpmn_process_id for d in result.definitions) == ["first", "second"]
    assert Deployment.objects.count() == 1
    assert {d.deployment_id for d in result.definitions} == {result.deployment.key}


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&lol3;" isExecutable="true" />
</bpmn:definitions>
"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE definitions [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&secret;" isExecutable="true" />
</bpmn:definitions>
"""


def test_an_xml_bomb_is_refused_and_nothing_is_written(db):
    error = refused(BILLION_LAUGHS)

    (problem,) = error.problems
    assert problem.message == "DTDs and entities are not allowed (XML bomb / XXE protection)"
    assert problem.line == 2


def test_an_xxe_payload_is_refused_without_reading_the_file(db):
    error = refused(XXE)

    assert "XXE" in error.message
    assert "root:" not in error.message


def test_malformed_xml_is_refused_with_its_line(db):
    error = refused(HEAD + '<bpmn:process id="p" isExecutable="true">\n<bpmn:startEvent id="s">\n</bpmn:process>')

    (problem,) = error.problems
    assert problem.message.startswith("malformed XML:")
    assert problem.line is not None


def test_an_unknown_element_is_refused_with_its_id_and_line(db):
    body = SIMPLE + '\n<bpmn:complexGateway id="cg" />'

    error = refused(document(process(body)))

    assert [(p.element_id, p.line) for p in error.problems] == [("cg", 7)]
    assert "complexGateway" in error.problems[0].message


def test_a_bad_feel_expression_in_a_condition_is_refused_with_the_flow_id_and_line(db):
    body = (
        '<bpmn:startEvent id="s" />\n'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e">\n'
        "  <bpmn:conditionExpression>=amount &gt; </bpmn:conditionExpression>\n"
        "</bpmn:sequenceFlow>\n"
        '<bpmn:endEvent id="e" />'
    )

    error = refused(document(process(body)))

    (problem,) = error.problems
    assert (problem.element_id, problem.line) == ("f", 5)
    assert problem.message.startswith("invalid expression 'amount >'")


def test_every_problem_of_a_file_is_listed_at_once(db):
    body = (
        SIMPLE
        + '\n<bpmn:serviceTask id="no-type" />'
        + '\n<bpmn:scriptTask id="groovy" scriptFormat="groovy"><bpmn:script>x</bpmn:script></bpmn:scriptTask>'
    )

    error = refused(document(process(body)))

    assert {p.element_id for p in error.problems} >= {"no-type", "groovy"}


def test_an_oversized_file_is_refused(db, settings):
    settings.ORCHESTRATION = {**getattr(settings, "ORCHESTRATION", {}), "MAX_XML_BYTES": 2000}
    padding = "<!-- " + "x" * 3000 + " -->\n"

    error = refused(document(process(SIMPLE)).replace("<bpmn:process", padding + "<bpmn:process"))

    assert "2000" in error.message


def test_a_file_without_an_executable_process_is_refused(db):
    error = refused(document(process(SIMPLE)).replace('isExecutable="true"', 'isExecutable="false"'))

    assert "no executable process" in error.message


def test_a_timer_start_event_with_a_bad_cycle_is_refused_and_nothing_is_written(db):
    body = (
        '<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>every tuesday</bpmn:timeCycle>'
        "</bpmn:timerEventDefinition></bpmn:startEvent>\n"
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" />\n'
        '<bpmn:endEvent id="e" />'
    )

    error = refused(document(process(body)))

    assert error.problems[0].element_id == "s"


def test_a_timer_start_event_whose_expression_cannot_be_scheduled_is_refused(db):
    body = (
        '<bpmn:startEvent id="s"><bpmn:timerEventDefinition><bpmn:timeCycle>=startCycle</bpmn:timeCycle>'
        "</bpmn:timerEventDefinition></bpmn:startEvent>\n"
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="e" />\n'
        '<bpmn:endEvent id="e" />'
    )

    error = refused(document(process(body)))

    (problem,) = error.problems
    assert (problem.element_id, problem.line) == ("s", 4)
    assert "a timer cycle must be a string" in problem.message
