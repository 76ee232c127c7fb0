"""What no engine executes is refused at deploy with every element id and line."""

from __future__ import annotations

import pytest

from orchestration.exceptions import DeploymentRefused
from orchestration.models import Deployment, MessageSubscription, ProcessDefinition, Timer

from .harness import bpmn

EXPECTED = [
    ("complex", 8, "complexGateway is not supported"),
    ("loop", 10, "standardLoopCharacteristics (loop activity) is not supported; use multi-instance or a gateway loop"),
    (
        "multiple",
        14,
        "intermediateCatchEvent has 2 event definitions (messageEventDefinition, signalEventDefinition):"
        " multiple events are not supported",
    ),
    ("tx", 19, "transaction is not supported (use a subProcess with error boundary events and compensation)"),
]


def test_deploying_unsupported_elements_is_refused_listing_each_element_and_line(driver):
    with pytest.raises(DeploymentRefused) as refused:
        driver.deploy(bpmn("unsupported_elements"))

    assert sorted((p.element_id, p.line, p.message) for p in refused.value.problems) == sorted(EXPECTED)
    for element_id, line, _ in EXPECTED:
        assert f"element '{element_id}', line {line}" in refused.value.message


def test_a_refused_deployment_writes_nothing(reloaded):
    with pytest.raises(DeploymentRefused):
        reloaded.deploy(bpmn("unsupported_elements"))

    assert Deployment.objects.count() == 0
    assert ProcessDefinition.objects.count() == 0
    assert Timer.objects.count() == 0 and MessageSubscription.objects.count() == 0


def _refusals(driver, xml: str) -> list[tuple[str, str]]:
    with pytest.raises(DeploymentRefused) as refused:
        driver.deploy(xml)
    return [(p.element_id, p.message) for p in refused.value.problems]


def test_a_cancel_boundary_event_is_refused(driver):
    xml = bpmn("none_start").replace(
        '<bpmn:endEvent id="end" />',
        '<bpmn:endEvent id="end" />\n    <bpmn:boundaryEvent id="on-cancel" attachedToRef="work">'
        "<bpmn:cancelEventDefinition /></bpmn:boundaryEvent>",
    )

    assert ("on-cancel", "cancel boundaryEvent is not supported by this engine yet") in _refusals(driver, xml)


def test_an_error_start_event_outside_an_event_subprocess_is_refused(driver):
    xml = bpmn("none_start").replace(
        '<bpmn:startEvent id="start" />',
        '<bpmn:startEvent id="start" />\n    <bpmn:startEvent id="on-error"><bpmn:errorEventDefinition /></bpmn:startEvent>',
    )

    assert ("on-error", "an error start event is only allowed in an event subprocess") in _refusals(driver, xml)


def test_a_non_interrupting_error_boundary_event_is_refused(driver):
    xml = bpmn("none_start").replace(
        '<bpmn:endEvent id="end" />',
        '<bpmn:endEvent id="end" />\n    <bpmn:boundaryEvent id="on-error" attachedToRef="work" cancelActivity="false">'
        "<bpmn:errorEventDefinition /></bpmn:boundaryEvent>",
    )

    assert (
        "on-error",
        "an error boundary event is always interrupting (cancelActivity must not be false)",
    ) in _refusals(driver, xml)
