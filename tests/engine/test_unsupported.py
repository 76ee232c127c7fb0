"""What the engine cannot run yet is refused at deploy with every element id and line."""

from __future__ import annotations

import pytest

from orchestration.exceptions import DeploymentRefused
from orchestration.models import Deployment, MessageSubscription, ProcessDefinition, Timer

from .harness import bpmn

EXPECTED = [
    ("on-error", 9, "boundaryEvent is not supported by this engine yet"),
    ("call", 14, "callActivity is not supported by this engine yet"),
    ("inclusive", 16, "inclusiveGateway is not supported by this engine yet"),
    ("event-based", 18, "eventBasedGateway is not supported by this engine yet"),
    ("wait-alarm", 20, "signal intermediateCatchEvent is not supported by this engine yet"),
    ("each", 24, "multi-instance activities are not supported by this engine yet"),
    ("raise-alarm", 28, "signal intermediateThrowEvent is not supported by this engine yet"),
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


def test_a_signal_start_event_is_refused(driver):
    xml = (
        bpmn("none_start")
        .replace(
            '<bpmn:startEvent id="start" />',
            '<bpmn:startEvent id="start"><bpmn:signalEventDefinition signalRef="sig" /></bpmn:startEvent>',
        )
        .replace("<bpmn:process ", '<bpmn:signal id="sig" name="go" />\n  <bpmn:process ')
    )

    with pytest.raises(DeploymentRefused) as refused:
        driver.deploy(xml)

    messages = [(p.element_id, p.message) for p in refused.value.problems]
    assert ("start", "signal startEvent is not supported by this engine yet") in messages
