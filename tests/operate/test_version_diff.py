"""The diff of two process versions: elements and flows added, removed and changed."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from orchestration import services
from orchestration.bpmn import parse_bpmn
from orchestration.bpmn.diff import diff_processes

pytestmark = pytest.mark.django_db

V1 = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
  <bpmn:process id="claim" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:serviceTask id="check" name="Check claim">
      <bpmn:extensionElements><zeebe:taskDefinition type="claims.check" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="late" attachedToRef="check">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="end" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_no" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="pay">
      <bpmn:conditionExpression>=amount &lt; 100</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end" />
    <bpmn:serviceTask id="pay" name="Pay">
      <bpmn:extensionElements><zeebe:taskDefinition type="claims.pay" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f3" sourceRef="pay" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""

# v2: 'check' calls another job type and maps a variable; the timer is 2 hours; the
# condition changed; 'pay' is replaced by 'pay_out' (+ 'notify'); the XML moved lines.
V2 = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">

  <bpmn:process id="claim" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:serviceTask id="check" name="Check claim">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="claims.check.v2" />
        <zeebe:ioMapping><zeebe:output source="=result.ok" target="approved" /></zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:boundaryEvent id="late" attachedToRef="check">
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT2H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f_late" sourceRef="late" targetRef="end" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="gw" />
    <bpmn:exclusiveGateway id="gw" default="f_no" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="gw" targetRef="pay_out">
      <bpmn:conditionExpression>=amount &lt; 500</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gw" targetRef="end" />
    <bpmn:serviceTask id="pay_out" name="Pay out">
      <bpmn:extensionElements><zeebe:taskDefinition type="claims.pay" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f4" sourceRef="pay_out" targetRef="notify" />
    <bpmn:serviceTask id="notify" name="Notify">
      <bpmn:extensionElements><zeebe:taskDefinition type="claims.notify" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f5" sourceRef="notify" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def model(xml: str):
    return parse_bpmn(xml.encode()).process("claim")


def changes_of(diff, element_id: str) -> dict[str, tuple[str, str]]:
    (item,) = [i for i in (*diff.changed, *diff.flows_changed) if i.id == element_id]
    return {c.attribute: (c.before, c.after) for c in item.changes}


def test_diff_lists_added_removed_and_changed_elements_ignoring_line_numbers():
    diff = diff_processes(model(V1), model(V2))
    assert [(e.id, e.type, e.name) for e in diff.added] == [
        ("notify", "serviceTask", "Notify"),
        ("pay_out", "serviceTask", "Pay out"),
    ]
    assert [(e.id, e.name) for e in diff.removed] == [("pay", "Pay")]
    assert sorted(e.id for e in diff.changed) == ["check", "late"]  # 'start', 'gw', 'end' only moved lines
    check = changes_of(diff, "check")
    assert check == {"task.type": ("claims.check", "claims.check.v2"), "outputs": ("", "=result.ok → approved")}
    assert changes_of(diff, "late") == {"event.timer.expr": ("PT1H", "PT2H")}


def test_diff_lists_flows_added_removed_and_conditions_changed():
    diff = diff_processes(model(V1), model(V2))
    assert [f.id for f in diff.flows_added] == ["f4", "f5"]
    assert [f.id for f in diff.flows_removed] == ["f3"]
    f_yes = changes_of(diff, "f_yes")
    assert f_yes["condition"] == ("=amount < 100", "=amount < 500")
    assert f_yes["target"] == ("pay", "pay_out")


def test_same_model_has_an_empty_diff():
    assert diff_processes(model(V1), model(V1)).is_empty


@pytest.fixture
def versions():
    v1 = services.deploy(V1, actor="test").definitions[0]
    v2 = services.deploy(V2, actor="test").definitions[0]
    return v1, v2


def url(definition, against=None) -> str:
    base = reverse("operate:process_diff", args=[definition.key])
    return f"{base}?against={against.key}" if against is not None else base


def test_diff_page_shows_the_changes_from_the_older_to_the_newer_version(client, bob, versions):
    v1, v2 = versions
    client.force_login(bob)
    for response in (client.get(url(v2, v1)), client.get(url(v1, v2))):
        assert response.status_code == 200
        assert (response.context["old"], response.context["new"]) == (v1, v2)
        body = response.content.decode()
        assert "Changes from v1 to v2" in body
        assert "<code>notify</code>" in body and "<code>pay</code>" in body
        assert "claims.check.v2" in body
        assert "=amount &lt; 500" in body


def test_process_page_links_each_other_version_to_its_diff(client, bob, versions):
    v1, v2 = versions
    client.force_login(bob)
    body = client.get(reverse("operate:process", args=[v2.key])).content.decode()
    assert url(v2, v1) in body


def test_diff_page_without_against_compares_with_the_previous_version(client, bob, versions):
    v1, v2 = versions
    client.force_login(bob)
    response = client.get(url(v2))
    assert response.status_code == 200
    assert (response.context["old"], response.context["new"]) == (v1, v2)
    assert response.context["diff"] is not None and not response.context["diff"].is_empty
    body = response.content.decode()
    assert "Changes from v1 to v2" in body
    assert f'<option value="{v1.key}" selected>' in body


def test_diff_page_of_the_first_version_without_against_compares_with_the_next(client, bob, versions):
    v1, v2 = versions
    services.deploy(V1.replace("PT1H", "PT3H"), actor="test")  # a v3 that must not be picked
    client.force_login(bob)
    response = client.get(url(v1))
    assert (response.context["old"], response.context["new"]) == (v1, v2)


def test_diff_page_of_the_middle_version_compares_with_the_one_before(client, bob, versions):
    v1, v2 = versions
    services.deploy(V1.replace("PT1H", "PT3H"), actor="test")
    client.force_login(bob)
    response = client.get(url(v2))
    assert (response.context["old"], response.context["new"]) == (v1, v2)


def test_diff_page_of_a_single_version_offers_nothing_to_compare(client, bob):
    (only,) = services.deploy(V1, actor="test").definitions
    client.force_login(bob)
    response = client.get(url(only))
    assert response.status_code == 200
    assert response.context["diff"] is None
    assert "Compare versions" in response.content.decode()


def test_unknown_or_malformed_against_is_not_found(client, bob, versions):
    v1, _ = versions
    client.force_login(bob)
    base = reverse("operate:process_diff", args=[v1.key])
    assert client.get(f"{base}?against={uuid.uuid4()}").status_code == 404
    assert client.get(f"{base}?against=nope").status_code == 404


def test_user_without_role_is_forbidden(client, dave, versions):
    v1, v2 = versions
    client.force_login(dave)
    assert client.get(url(v2, v1)).status_code == 403
