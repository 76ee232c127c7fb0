"""The server-rendered BPMN diagram: drawing, escaping, overlays, and the pages that show it."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from operate.diagram import render_source, render_svg
from operate.diagram_index import load_source, source_for_definition
from operate.diagram_shapes import CHAR_WIDTH, LINE_HEIGHT, STROKE, n
from orchestration import selectors, services
from orchestration.bpmn import parse_bpmn
from orchestration.models import AuditEvent, Job, ProcessDefinition
from tests.e2e.render_miwg import render_model

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


def test_where_a_cancelled_instance_stopped_is_drawn_as_cancelled_not_as_done(shipped):
    services.cancel_instance(shipped.key, actor="test", reason="customer withdrew")
    elements = selectors.diagram_overlays_for_instance(shipped).elements
    assert elements["bill"]["cancelled"] == 1 and not elements["bill"]["completed"]
    source = source_for_definition(shipped.definition)
    tree = _svg_tree(render_source(source, "shipping", overlays=elements))
    assert "bpmn-terminated" in _classes(tree, "bill")
    assert "bpmn-terminated" not in _classes(tree, "start")  # completed before the cancel
    # on a version's page (counts) cancelled element instances are counted, not styled
    counted = _svg_tree(render_source(source, "shipping", overlays=elements, counts=True))
    assert "bpmn-terminated" not in _classes(counted, "bill")


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


# -- the diagram-only partial the instance page polls ----------------------------------------


def _queries(client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 200
    return len(captured.captured_queries), response.content.decode()


def test_the_instance_page_polls_a_diagram_only_partial(client, bob, shipped):
    client.force_login(bob)
    body = client.get(instance_url(shipped, element="pack")).content.decode()
    section = body.split('id="diagram"', 1)[1].split(">", 1)[0]
    assert f'hx-get="{instance_url(shipped)}?element=pack&amp;partial=diagram"' in section
    assert 'hx-trigger="every 2s"' in section


def test_the_diagram_partial_is_the_diagram_alone_and_keeps_polling_while_active(client, bob, shipped):
    client.force_login(bob)
    full = client.get(instance_url(shipped)).content.decode()
    partial = client.get(instance_url(shipped, partial="diagram"), headers={"HX-Request": "true"}).content.decode()
    assert partial.count('id="diagram"') == 1 and "<svg" in partial and 'id="el-bill"' in partial
    for other_panel in ('id="variables"', 'id="waiting"', 'id="audit"', "<html", "<nav"):
        assert other_panel not in partial
    assert len(partial) < len(full) / 2
    assert 'hx-trigger="every 2s"' in partial
    assert f'hx-get="{instance_url(shipped)}?partial=diagram"' in partial
    tree = etree.fromstring(partial[partial.index("<svg") : partial.index("</svg>") + 6].encode())
    assert "bpmn-active" in _classes(tree, "bill") and "bpmn-incident" in _classes(tree, "compute")


def test_the_diagram_partial_keeps_the_selected_element_panel(client, bob, shipped):
    client.force_login(bob)
    partial = client.get(instance_url(shipped, element="pack", partial="diagram")).content.decode()
    assert 'id="element-panel"' in partial and "Pack item" in partial
    assert "partial=diagram" in partial and "element=pack" in partial


def test_the_diagram_partial_runs_far_fewer_queries_than_the_page(client, bob, shipped, django_assert_max_num_queries):
    client.force_login(bob)
    client.get(instance_url(shipped))  # warm the model cache, as a running server has
    page_queries, _ = _queries(client, instance_url(shipped))
    with django_assert_max_num_queries(9):
        partial_queries, _ = _queries(client, instance_url(shipped, partial="diagram"))
    assert partial_queries <= page_queries - 8
    # the detail page's panels are not read: no variables, jobs or audit events beyond the overlays'
    with CaptureQueriesContext(connection) as captured:
        client.get(instance_url(shipped, partial="diagram"))
    tables = " ".join(q["sql"] for q in captured.captured_queries)
    assert "orchestration_variable" not in tables and "orchestration_usertask" not in tables


def test_an_ended_instance_gets_a_partial_without_polling(client, bob, shipped):
    services.cancel_instance(shipped.key, actor="alice", reason="test")
    client.force_login(bob)
    partial = client.get(instance_url(shipped, partial="diagram"), headers={"HX-Request": "true"}).content.decode()
    assert 'id="diagram"' in partial and "<svg" in partial
    assert "hx-trigger" not in partial and "hx-get" not in partial
    assert "diagram-live" not in partial


def test_the_diagram_partial_is_for_viewers_only(client, dave, shipped):
    path = instance_url(shipped, partial="diagram")
    assert client.get(path).status_code == 302
    client.force_login(dave)
    assert client.get(path).status_code == 403


# -- the BPMN MIWG reference models (tests/e2e/render_miwg.py draws them beside their PNGs) ---------

MIWG = CORPUS / "bpmn-miwg" / "Reference"
MIWG_MODELS = sorted(MIWG.glob("*.bpmn"))
SVG = {"svg": SVG_NS[1:-1]}


@functools.cache
def _miwg(model: str, plane: int = 1) -> etree._Element:
    """The SVG tree of one DI plane (numbered from 1, as the reference PNGs are) of a MIWG model."""
    return _svg_tree(render_model(MIWG / f"{model}.bpmn")[plane - 1].svg)


def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", text)]


def _lines(group: etree._Element) -> list[str]:
    return [span.text for span in group.iterfind(f"{SVG_NS}text/{SVG_NS}tspan")]


def test_the_miwg_reference_set_is_all_there():
    assert len(MIWG_MODELS) == 21
    assert all(p.with_suffix(".png").exists() or list(MIWG.glob(f"{p.stem}.*.png")) for p in MIWG_MODELS)


@pytest.mark.parametrize("path", MIWG_MODELS, ids=lambda p: p.stem)
def test_every_miwg_reference_model_renders_each_plane_with_exactly_what_is_on_it(path):
    source = load_source(path.read_bytes())
    renderings = render_model(path)
    assert len(renderings) == len(source.index.planes)
    for rendering, plane in zip(renderings, source.index.planes, strict=True):
        assert rendering.reference is not None, f"{rendering.name}: no reference PNG to compare with"
        tree = _svg_tree(rendering.svg)
        assert tree.tag == f"{SVG_NS}svg"
        drawn = set(tree.xpath("//@data-element-id"))
        assert set(plane.ids) <= drawn, f"{rendering.name}: not drawn {sorted(set(plane.ids) - drawn)}"
        assert drawn <= set(plane.ids), f"{rendering.name}: from another plane {sorted(drawn - set(plane.ids))}"
        _, _, width, height = _numbers(tree.get("viewBox"))
        assert width > 60 and height > 60


def test_flow_arrowheads_are_sized_in_diagram_units_whatever_the_line_width():
    markers = {m.get("id"): m for m in _miwg("A.1.0").iter(f"{SVG_NS}marker")}
    for name in ("seq", "seq-taken", "cond", "cond-taken", "msg-start", "msg-end", "open"):
        assert markers[name].get("markerUnits") == "userSpaceOnUse", name
        assert markers[name].get("viewBox") == "0 0 20 20" and markers[name].get("markerWidth") == "20", name
    head = _numbers(markers["seq"].find(f"{SVG_NS}path").get("d"))
    xs, ys = head[0::2], head[1::2]
    assert max(xs) - min(xs) == 10 and max(ys) - min(ys) == 10  # bpmn-js's 10x10 arrowhead
    diamond = _numbers(markers["cond"].find(f"{SVG_NS}path").get("d"))
    assert max(diamond[0::2]) - min(diamond[0::2]) == 16 and max(diamond[1::2]) - min(diamond[1::2]) == 8


def test_default_flows_carry_the_slash_and_conditional_flows_out_of_tasks_the_diamond():
    tree = _miwg("A.2.1")
    gateway_default = _group(tree, "_To9Z6jOCEeSknpIVFCxNIQ")
    slash = gateway_default.find(f"{SVG_NS}path[@class='bpmn-default-marker']")
    assert slash is not None
    x0, y0 = _numbers(gateway_default.find(f"{SVG_NS}path[@class='bpmn-edge-line']").get("d"))[:2]
    ax, ay, bx, by = _numbers(slash.get("d"))
    assert abs((ax + bx) / 2 - x0) + abs((ay + by) / 2 - y0) < 20  # across the flow at its source end
    assert abs(bx - ax) > 5 and abs(by - ay) > 5  # slanted, not along the flow
    task_default = _group(tree, "Bpmn_SequenceFlow_edepQQbbEealeL5I4Yl3Dw")
    assert task_default.find(f"{SVG_NS}path[@class='bpmn-default-marker']") is not None
    task_condition = _group(tree, "_To9Z7TOCEeSknpIVFCxNIQ").find(f"{SVG_NS}path[@class='bpmn-edge-line']")
    assert task_condition.get("marker-start") == "url(#cond)"
    assert _group(tree, "_To9Z7TOCEeSknpIVFCxNIQ").find(f"{SVG_NS}path[@class='bpmn-default-marker']") is None
    gateway_condition = _group(tree, "_To9Z-TOCEeSknpIVFCxNIQ").find(f"{SVG_NS}path[@class='bpmn-edge-line']")
    assert gateway_condition.get("marker-start") is None  # out of a gateway a condition has no diamond


def test_the_error_glyph_is_a_bolt_rising_to_the_right_and_filled_on_a_throwing_event():
    timeout = _group(_miwg("C.9.2"), "ErrorEndEvent_Timeout")
    (bolt,) = timeout.iterfind(f"{SVG_NS}g/{SVG_NS}polygon")
    assert bolt.get("fill") == STROKE
    values = _numbers(bolt.get("points"))
    pts = list(zip(values[0::2], values[1::2], strict=True))
    assert len(pts) == 6
    left, right = min(pts), max(pts)
    assert left[1] > right[1] + 10  # the lower left tip and the upper right tip
    assert max(x for x, _ in pts) - min(x for x, _ in pts) >= 16  # as large as the other glyphs
    catching = _group(_miwg("C.9.0"), "StartErrorEvent_Timeout")
    assert catching.find(f"{SVG_NS}g/{SVG_NS}polygon").get("fill") == "#ffffff"


def test_a_visible_exclusive_gateway_marker_spans_over_a_third_of_the_diamond():
    gateway = _group(_miwg("C.9.2"), "Gateway_FraudDetected")
    cross = gateway.find(f"{SVG_NS}g/{SVG_NS}path")
    values = _numbers(cross.get("d"))
    assert max(values) - min(values) >= 18  # in the 50x50 marker frame
    assert float(cross.get("stroke-width")) >= 4


def test_event_labels_wrap_to_their_di_label_bounds():
    boundary = _group(_miwg("A.3.0"), "_428dcbf5-8e5e-48e0-9c0c-d93003fa8c82")
    assert _lines(boundary) == ["Boundary", "Intermediate Event", "Non-Interrupting", "Message"]
    # centred on the DI label bounds x=252.46 width=104.93, from their top y=208.34
    spans = list(boundary.iterfind(f"{SVG_NS}text/{SVG_NS}tspan"))
    assert {span.get("x") for span in spans} == {"304.93"}
    assert 208 < float(spans[0].get("y")) < 208.35 + 13


def test_a_label_takes_a_little_more_width_rather_than_split_a_word():
    start = _group(_miwg("C.9.2"), "StartTimerEvent_AcceleratedDecision")
    assert _lines(start) == ["Accelerated", "decision"]


def test_a_message_flow_whose_di_shows_its_message_carries_an_envelope_on_its_middle_segment():
    tree = _miwg("B.2.0")
    flow = _group(tree, "_09e7cb23-4a1b-4165-b93a-cf635c223ee5")  # messageVisibleKind="initiating"
    (envelope,) = flow.iterfind(f"{SVG_NS}g[@class='bpmn-message-marker']")
    rect = envelope.find(f"{SVG_NS}rect")
    assert rect.get("fill") == "#ffffff"  # initiating: white
    cx = float(rect.get("x")) + float(rect.get("width")) / 2
    cy = float(rect.get("y")) + float(rect.get("height")) / 2
    assert (cx, cy) == (217.5, 342.0)  # halfway along (305,342) -> (130,342)
    others = [g for g in tree.xpath("//*[contains(@class, 'bpmn-messageFlow')]") if g is not flow]
    assert others and not [g for g in others if g.find(f"{SVG_NS}g[@class='bpmn-message-marker']") is not None]


def test_a_data_object_in_a_state_shows_the_state_under_its_name():
    output = _group(_miwg("C.7.0"), "_b6464e75-dd3d-45d9-84cd-861c42a3bedf")
    assert _lines(output) == ["Advertisement", "[Approved]"]


def test_a_di_edge_that_names_no_bpmn_element_is_drawn_as_a_dotted_association():
    edge = _group(_miwg("C.7.0"), "_985753e3-a4ce-486b-908a-509d382259ed")
    assert "bpmn-association" in edge.get("class")
    line = edge.find(f"{SVG_NS}path[@class='bpmn-edge-line']")
    assert line.get("stroke-dasharray")
    assert line.get("marker-end") is None and line.get("marker-start") is None
    assert len(_numbers(line.get("d"))) >= 4


def test_activity_markers_of_the_reference_models():
    c70, b20 = _miwg("C.7.0"), _miwg("B.2.0")

    def marker_paths(tree, element_id):
        return [p.get("d") for p in _group(tree, element_id).iterfind(f"{SVG_NS}g/{SVG_NS}path")]

    assert "M3,1 V13 M7,1 V13 M11,1 V13" in marker_paths(c70, "_a36ddf2f-23c1-46c5-86d4-bd2a0eb42535")  # parallel MI
    assert "M1,3 H13 M1,7 H13 M1,11 H13" in marker_paths(b20, "_c57a5344-213f-4834-a6c3-94ce878b413c")  # sequential
    assert any(d.startswith("M4.5,12 A5.5") for d in marker_paths(b20, "_b9343536-6490-4559-8365-71d5c4cbb7cb"))
    compensation = _group(_miwg("C.6.0"), "_0198160d-b56c-4919-9920-db5f32d16b3f")
    assert len(compensation.findall(f"{SVG_NS}g/{SVG_NS}polygon")) == 2  # the two rewind triangles
    collapsed = _group(_miwg("A.3.0"), "_1ae31d1b-2559-4f78-a3ec-47986a49db48")
    assert collapsed.find(f"{SVG_NS}g/{SVG_NS}rect") is not None  # the [+] box


def test_call_activities_event_subprocesses_and_non_interrupting_events_of_the_reference_models():
    call = _group(_miwg("C.9.0"), "Activity_ManualCheck")
    assert call.find(f"{SVG_NS}rect").get("stroke-width") == "4"
    c92 = _miwg("C.9.2")
    for event_subprocess in ("Activity_0uvp3cb", "Activity_1esx1s7", "Activity_02a6b2h"):
        assert _group(c92, event_subprocess).find(f"{SVG_NS}rect").get("stroke-dasharray")
    start = _group(c92, "StartMessageEvent_DocumentRequested").find(f"{SVG_NS}circle")
    assert start.get("stroke-dasharray")
    daily = _group(_miwg("C.9.1"), "BoundaryEvent_1").findall(f"{SVG_NS}circle")
    assert len(daily) == 2 and all(c.get("stroke-dasharray") for c in daily)


def test_no_task_label_line_runs_into_the_task_type_icon():
    checked = 0
    for path in MIWG_MODELS:
        for rendering in render_model(path):
            tree = _svg_tree(rendering.svg)
            for node in tree.xpath("//svg:g[contains(@class, 'bpmn-node')]", namespaces=SVG):
                rect, icon, text = (node.find(f"{SVG_NS}{tag}") for tag in ("rect", "g", "text"))
                if rect is None or icon is None or text is None:
                    continue
                if not icon.get("transform", "").startswith(f"translate({n(float(rect.get('x')) + 6)} "):
                    continue  # no type icon in the top left corner
                x, y, width = (float(rect.get(a)) for a in ("x", "y", "width"))
                scale = _numbers(text.get("style") or "font-size:11px")[0] / 11
                for span in text.iterfind(f"{SVG_NS}tspan"):
                    line_top = float(span.get("y")) - (LINE_HEIGHT - 3) * scale  # text_block's baseline
                    half = len(span.text) * CHAR_WIDTH * scale / 2
                    if line_top < y + 22:
                        assert x + width / 2 - half >= x + 22, f"{rendering.name} {node.get('data-element-id')}"
                checked += 1
    assert checked > 100  # tasks with a type icon across the reference models
