"""Link events: a link throw jumps to the link catch of the same name in the same scope."""

from __future__ import annotations

import pytest

from orchestration.exceptions import DeploymentRefused

from .harness import bpmn


def test_a_link_throw_continues_at_the_catch_with_its_name_in_the_same_scope(driver):
    driver.deploy(bpmn("link_events"))
    driver.start("link-events")

    # process level: go-to-b lands on from-b (not from-a); inside the subprocess
    # sub-jump lands on sub-land, the "B" of its own scope
    assert [j.element_id for j in driver.jobs()] == ["inside"]
    assert driver.audit_elements("link_followed") == ["go-to-b", "sub-jump"]
    assert "from-a" not in driver.audit_elements("element_activated")

    (job,) = driver.jobs()
    driver.complete_job(job.key)
    assert driver.state == "completed"


def test_a_link_throw_without_a_matching_catch_is_refused_at_deploy(driver):
    xml = bpmn("link_events").replace(
        '<bpmn:linkEventDefinition name="B" /></bpmn:intermediateThrowEvent>\n    <bpmn:intermediateCatchEvent id="from-a">',
        '<bpmn:linkEventDefinition name="C" /></bpmn:intermediateThrowEvent>\n    <bpmn:intermediateCatchEvent id="from-a">',
    )

    with pytest.raises(DeploymentRefused, match="link event 'C' has no matching link catch event"):
        driver.deploy(xml)
