"""The server-rendered BPMN diagram: drawing, escaping, overlays, and the pages that show it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from operate.diagram import render_source, render_svg
from operate.diagram_index import load_source, source_for_definition
from orchestration import selectors, services
from orchestration.bpmn import parse_bpmn
from orchestration.models import AuditEvent, Job, ProcessDefinition

CORPUS = Path("/work/shared/corpus")
SVG_NS = "{http://www.w3.org/2000/svg}"

# start -> fork -> (bill: external job | compute: failing script | pack: multi-instance jobs) -> join -> end
ORDER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="shipping" name="Shipping" isExecutable="true">
    <bpmn:startEvent id="start" name="Order received"/>
    <bpmn:sequenceFlow id="f_start" sourceRef="start" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:sequenceFlow id="f_bill" sourceRef="fork" targetRef="bill"/>
    <bpmn:sequenceFlow id="f_compute" sourceRef="fork" targetRef="compute"/>
    <bpmn:sequenceFlow id="f_pack" sourceRef="fork" targetRef="pack"/>
    <bpmn:serviceTask id="bill" name="Bill &lt;customer&gt;">
      <bpmn:extensionElements><zeebe:taskDefinition type="bill"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:scriptTask id="compute" name="Compute total" scriptFormat="juel" camunda:resultVariable="total">
      <bpmn:script>${price * quantity}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:serviceTask id="pack" name="Pack item">
      <bpmn:extensionElements><zeebe:taskDefinition type="pack"/></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics>
        <bpmn:extensionElements><zeebe:loopCharacteristics inputCollection="=items" inputElement="item"/></bpmn:extensionElements>
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f_bill_done" sourceRef="bill" targetRef="join"/>
    <bpmn:sequenceFlow id="f_compute_done" sourceRef="compute" targetRef="join"/>
    <bpmn:sequenceFlow id="f_pack_done" sourceRef="pack" targetRef="join"/>
    <bpmn:parallelGateway id="join"/>
    <bpmn:sequenceFlow id="f_end" sourceRef="join" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>
"""

# A drawn (DI) model with a boundary event, an expanded subprocess and a hostile name.
DRAWN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI" id="d" targetNamespace="t">
  <process id="p" isExecutable="false">
    <startEvent id="s" name="&lt;script&gt;alert(1)&lt;/script&gt;"/>
    <sequenceFlow id="f1" sourceRef="s" targetRef="sub"/>
    <subProcess id="sub" name="Sub &amp; &quot;quoted&quot;">
      <startEvent id="s2"/>
      <sequenceFlow id="f2" sourceRef="s2" targetRef="e2"/>
      <endEvent id="e2"/>
    </subProcess>
    <boundaryEvent id="b" attachedToRef="sub" cancelActivity="false">
      <timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
    </boundaryEvent>
    <sequenceFlow id="f3" sourceRef="sub" targetRef="e"/>
    <endEvent id="e"><terminateEventDefinition/></endEvent>
  </process>
  <bpmndi:BPMNDiagram id="dia">
    <bpmndi:BPMNPlane id="plane" bpmnElement="p">
      <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="sub_di" bpmnElement="sub" isExpanded="true"><dc:Bounds x="200" y="50" width="300" height="150"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="s2_di" bpmnElement="s2"><dc:Bounds x="230" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="e2_di" bpmnElement="e2"><dc:Bounds x="420" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="b_di" bpmnElement="b"><dc:Bounds x="400" y="182" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="e_di" bpmnElement="e"><dc:Bounds x="600" y="100" width="36" height="36"/></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118"/><di:waypoint x="200" y="118"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="266" y="118"/><di:waypoint x="420" y="118"/></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="500" y="118"/><di:waypoint x="600" y="118"/></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</definitions>
"""

FLOW_NODE_SUFFIXES = ("Event", "Task", "Gateway", "task", "subProcess", "callActivity", "transaction")


def _svg_tree(svg: str) -> etree._Element:
    return etree.fromstring(svg.encode())


def _group(tree: etree._Element, element_id: str) -> etree._Element:
    found = tree.xpath("//*[@data-element-id=$id]", id=element_id)
    assert found, f"no SVG element for {element_id}"
    return found[0]


def _classes(tree: etree._Element, element_id: str) -> set[str]:
    return set(_group(tree, element_id).get("class", "").split())


def _corpus_files() -> list[Path]:
    """The corpus models the parser accepts (tests/bpmn/corpus_expectations.py says which)."""
    from tests.bpmn.corpus_expectations import EXPECTATIONS

    return sorted(CORPUS / rel for rel, outcome in EXPECTATIONS.items() if outcome == "ok" and rel.endswith(".bpmn"))


# -- drawing -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", _corpus_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_every_corpus_model_that_parses_renders_valid_svg_with_every_flow_node_drawn(path):
    data = path.read_bytes()
    parse_bpmn(data, max_bytes=len(data) + 1)  # the table says it parses: a BpmnError here is a regression
    source = load_source(data)
    assert source.definitions is not None, source.error
    diagram = source.definitions.diagram
    secondary = {  # planes that draw the inside of a collapsed subprocess
        i
        for plane in source.index.planes[1:]
        for i in plane.ids
        if plane.element_id
        not in (None, *[p.id for p in source.definitions.processes], *[c.id for c in source.definitions.participants])
    }
    for process in source.definitions.processes:
        tree = _svg_tree(render_source(source, process.id))
        assert tree.tag == f"{SVG_NS}svg"
        drawn = set(tree.xpath("//@data-element-id"))
        for element in process.elements.values():
            if element.id in diagram.shapes and element.id not in secondary:
                assert element.id in drawn, f"{element.id} ({element.type}) of {process.id} is not drawn"
                assert tree.xpath("//*[@id=$id]", id=f"el-{element.id}")


def test_the_reference_models_draw_pools_lanes_message_flows_and_boundary_events():
    source = load_source((CORPUS / "bpmn-miwg/Reference/B.2.0.bpmn").read_bytes())
    tree = _svg_tree(render_source(source))
    classes = " ".join(tree.xpath("//@class"))
    for kind in (
        "bpmn-participant",
        "bpmn-lane",
        "bpmn-messageFlow",
        "bpmn-boundaryEvent",
        "bpmn-textAnnotation",
        "bpmn-dataObjectReference",
        "bpmn-dataStoreReference",
        "bpmn-group",
        "bpmn-association",
        "bpmn-container",
        "bpmn-callActivity",
        "bpmn-eventBasedGateway",
    ):
        assert kind in classes, kind


def test_names_are_escaped_and_the_svg_holds_no_script_or_event_handler():
    svg = render_source(load_source(DRAWN))
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    tree = _svg_tree(svg)
    assert not tree.xpath("//*[local-name()='script' or local-name()='foreignObject']")
    assert not [a for a in tree.xpath("//@*") if a.attrname.lower().startswith("on")]
    assert _group(tree, "sub").find(f"{SVG_NS}title").text == 'Sub & "quoted" (subProcess)'


def test_flow_nodes_link_to_their_details_and_carry_a_title():
    tree = _svg_tree(render_source(load_source(DRAWN)))
    links = tree.xpath("//svg:a/@href", namespaces={"svg": SVG_NS[1:-1]})
    assert {"?element=s", "?element=sub", "?element=b", "?element=e"} <= set(links)
    assert _group(tree, "b").find(f"{SVG_NS}title").text == "b (boundaryEvent)"


def test_a_non_interrupting_boundary_event_is_dashed_and_sits_above_its_host():
    svg = render_source(load_source(DRAWN))
    tree = _svg_tree(svg)
    circles = _group(tree, "b").findall(f"{SVG_NS}circle")
    assert circles and all(c.get("stroke-dasharray") for c in circles)
    assert svg.index('data-element-id="b"') > svg.index('data-element-id="sub"')
    assert "bpmn-container" in _classes(tree, "sub")


def test_the_view_box_fits_the_content_with_a_margin():
    tree = _svg_tree(render_source(load_source(DRAWN)))
    x, y, width, height = (float(v) for v in tree.get("viewBox").split())
    assert x < 100 and y < 50
    assert x + width > 636 and y + height > 218
    assert width < 700


def test_a_model_without_di_is_laid_out_automatically():
    source = load_source(ORDER)
    tree = _svg_tree(render_source(source, "shipping"))
    drawn = set(tree.xpath("//@data-element-id"))
    assert {"start", "fork", "bill", "compute", "pack", "join", "end", "f_start", "f_end"} <= drawn
    # the multi-instance marker: three parallel bars
    assert "M3,1 V13 M7,1 V13 M11,1 V13" in etree.tostring(_group(tree, "pack")).decode()


def test_render_svg_takes_overlays_for_elements_and_taken_flows():
    definitions = load_source(DRAWN).definitions
    svg = render_svg(
        definitions,
        overlays={"sub": {"active": 2, "incidents": 1}, "s": {"taken": True}, "e": {"compensated": True}},
        taken_flows={"f1"},
    )
    tree = _svg_tree(svg)
    assert {"bpmn-active", "bpmn-incident"} <= _classes(tree, "sub")
    assert "bpmn-taken" in _classes(tree, "s")
    assert "bpmn-taken" in _classes(tree, "f1")
    assert "bpmn-compensated" in _classes(tree, "e")
    badges = tree.xpath("//*[contains(@class, 'bpmn-badge-active')]//text()")
    assert badges == ["2"]


def test_an_unreadable_file_gives_a_reason_instead_of_an_exception():
    source = load_source("<definitions")
    assert source.definitions is None
    assert "malformed" in source.error


# -- overlays from a real instance --------------------------------------------------------


@pytest.fixture
def shipped(db):
    """An instance waiting at bill (job), stuck at compute (incident), packing 1 of 3 done."""
    services.deploy(ORDER, actor="admin")
    instance = services.start_instance(
        "shipping", variables={"price": 3, "items": ["a", "b", "c"]}, business_key="SHIP-1", actor="test"
    )
    first_pack = Job.objects.filter(instance=instance, type="pack").order_by("created_at", "key").first()
    services.complete_job(first_pack.key, {}, actor="worker", dispatch=False)
    instance.refresh_from_db()
    return instance


def test_overlays_show_tokens_incidents_the_path_and_multi_instance_progress(shipped):
    overlays = selectors.diagram_overlays_for_instance(shipped)
    elements = overlays.elements
    assert elements["bill"]["active"] == 1
    assert elements["compute"]["incidents"] == 1
    assert elements["pack"]["active"] == 2
    assert elements["pack"]["mi"] == "1/3"
    assert elements["start"]["completed"] == 1 and elements["start"]["taken"]
    assert {"f_start", "f_bill", "f_compute", "f_pack"} <= overlays.taken_flows
    assert "f_end" not in overlays.taken_flows

    source = source_for_definition(shipped.definition)
    tree = _svg_tree(render_source(source, "shipping", overlays=elements, taken_flows=overlays.taken_flows))
    assert "bpmn-active" in _classes(tree, "bill")
    assert "bpmn-incident" in _classes(tree, "compute")
    assert "bpmn-taken" in _classes(tree, "start")
    assert "bpmn-taken" in _classes(tree, "f_start")
    assert "bpmn-taken" not in _classes(tree, "f_end")
    assert "bpmn-active" not in _classes(tree, "end")
    assert tree.xpath("//*[contains(@class, 'bpmn-badge-mi')]//text()") == ["1/3"]


def test_overlays_mark_compensated_activities_from_the_audit_log(shipped):
    AuditEvent.objects.create(
        instance_key=shipped.key, type="activity_compensated", element_id="bill", created_at=timezone.now()
    )
    assert selectors.diagram_overlays_for_instance(shipped).elements["bill"]["compensated"]


def test_overlays_take_a_bounded_number_of_queries(shipped, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        selectors.diagram_overlays_for_instance(shipped)


def test_counts_per_element_for_a_process_version(shipped):
    services.start_instance("shipping", variables={"price": 1, "quantity": 2, "items": []}, actor="test")
    counts = selectors.diagram_counts_for_definition(shipped.definition).elements
    assert counts["bill"]["active"] == 2
    assert counts["compute"]["incidents"] == 1
    assert counts["compute"]["completed"] == 1
    assert counts["start"]["completed"] == 2
    assert counts["pack"]["completed"] == 1 and counts["pack"]["active"] == 2


def test_the_deployment_is_parsed_once_and_then_cached(shipped, django_assert_num_queries):
    source_for_definition(shipped.definition)
    with django_assert_num_queries(0):
        source_for_definition(shipped.definition)


# -- pages ---------------------------------------------------------------------------------


def instance_url(instance, **params) -> str:
    url = reverse("operate:instance", args=[instance.key])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def test_the_instance_page_shows_the_diagram_with_overlays(client, bob, shipped):
    client.force_login(bob)
    body = client.get(instance_url(shipped)).content.decode()
    assert 'id="diagram"' in body
    assert "<svg" in body and 'id="el-bill"' in body
    assert body.index('id="diagram"') < body.index('id="variables"')
    assert "Bill &lt;customer&gt;" in body


def test_an_active_instance_polls_its_diagram_every_two_seconds(client, bob, shipped):
    client.force_login(bob)
    body = client.get(instance_url(shipped)).content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert 'hx-select="#diagram"' in body


def test_an_ended_instance_does_not_poll(client, bob, shipped):
    services.cancel_instance(shipped.key, actor="alice", reason="test")
    client.force_login(bob)
    body = client.get(instance_url(shipped)).content.decode()
    assert 'id="diagram"' in body
    assert "hx-trigger" not in body.split('id="diagram"', 1)[1].split("</section>", 1)[0]
    assert 'hx-trigger="every 2s"' not in body


def test_the_element_panel_lists_element_instances_local_variables_and_jobs(client, bob, shipped):
    client.force_login(bob)
    response = client.get(instance_url(shipped, element="pack"))
    body = response.content.decode()
    panel = body.split('id="element-panel"', 1)[1]
    assert "Pack item" in panel
    assert panel.count("state-active") >= 2 and "state-completed" in panel
    assert "<code>item</code>" in panel and "<code>loopCounter</code>" in panel
    assert "Jobs" in panel and ">pack" in panel
    assert "bpmn-selected" in body


def test_the_element_panel_shows_the_incident_of_a_failed_element(client, bob, shipped):
    client.force_login(bob)
    panel = client.get(instance_url(shipped, element="compute")).content.decode().split('id="element-panel"', 1)[1]
    assert "Incidents" in panel and "quantity" in panel


def test_an_unknown_element_in_the_query_is_escaped_and_reported(client, bob, shipped):
    client.force_login(bob)
    body = client.get(instance_url(shipped, element="%3Cimg%20src%3Dx%3E")).content.decode()
    assert "<img src=x>" not in body
    assert "&lt;img src=x&gt;" in body
    assert "no element with that id" in body


def test_the_instance_page_with_diagram_and_panel_stays_within_its_query_budget(
    client, bob, shipped, django_assert_max_num_queries
):
    client.force_login(bob)
    client.get(instance_url(shipped))  # warm the model cache, as a running server has
    with django_assert_max_num_queries(25):
        response = client.get(instance_url(shipped, element="pack"))
    assert response.status_code == 200


def test_a_user_without_a_role_cannot_see_the_diagram(client, dave, shipped):
    client.force_login(dave)
    assert client.get(instance_url(shipped, element="pack")).status_code == 403


def test_the_process_page_shows_the_diagram_with_per_element_counts(client, bob, shipped):
    client.force_login(bob)
    definition = ProcessDefinition.objects.get(bpmn_process_id="shipping")
    body = client.get(reverse("operate:process", args=[definition.key])).content.decode()
    assert 'id="el-bill"' in body
    assert "bpmn-badge-active" in body and "bpmn-badge-incidents" in body and "bpmn-badge-completed" in body
    assert "hx-trigger" not in body.split('id="diagram"', 1)[1].split("</section>", 1)[0]


def test_the_process_page_element_panel_shows_counts(client, bob, shipped):
    client.force_login(bob)
    definition = ProcessDefinition.objects.get(bpmn_process_id="shipping")
    body = client.get(reverse("operate:process", args=[definition.key]) + "?element=compute").content.decode()
    panel = body.split('id="element-panel"', 1)[1]
    assert "Open incidents</dt><dd>1</dd>" in panel


def test_a_definition_whose_xml_cannot_be_read_shows_why(client, bob, world):
    client.force_login(bob)
    body = client.get(instance_url(world.waiting)).content.decode()
    assert "The diagram cannot be drawn" in body
