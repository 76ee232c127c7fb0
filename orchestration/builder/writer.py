"""Definitions -> BPMN 2.0 XML with Camunda 8 (zeebe:) extensions and DI.

Writes what the builder produces: the elements and extensions of
orchestration.builder, global messages and errors derived from the events
that use them, and the diagram. Not written: Camunda 7 extensions,
collaborations, signals, escalations, forms and properties other than
zeebe:properties.
"""

from __future__ import annotations

from lxml import etree

from orchestration.bpmn.model import Definitions, Diagram, Element, Expr, Process
from orchestration.bpmn.xml import BPMN_NS, BPMNDI_NS, DC_NS, DI_NS, MODELER_NS, ZEEBE_NS

from .drafts import slug

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {
    "bpmn": BPMN_NS,
    "bpmndi": BPMNDI_NS,
    "dc": DC_NS,
    "di": DI_NS,
    "zeebe": ZEEBE_NS,
    "modeler": MODELER_NS,
    "xsi": XSI_NS,
}
EXECUTION_PLATFORM_VERSION = "8.5.0"


def _bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _zeebe(tag: str) -> str:
    return f"{{{ZEEBE_NS}}}{tag}"


def text(expr: Expr) -> str:
    """An expression as Camunda 8 writes it: FEEL gets its leading '='."""
    return f"={expr.source}" if expr.dialect == "feel" else expr.source


def _message_key(element: Element) -> tuple[str, str | None] | None:
    event = element.event
    if event is None or event.kind != "message" or event.message_name is None:
        return None
    key = text(event.correlation_key) if event.correlation_key is not None else None
    return text(event.message_name), key


def message_ids(process: Process) -> dict[tuple[str, str | None], str]:
    """One bpmn:message per (name, correlation key): Camunda 8 keeps the key on the message."""
    found: dict[tuple[str, str | None], str] = {}
    for element in process.elements.values():
        key = _message_key(element)
        if key is not None and key not in found:
            found[key] = _unique(f"Message_{slug(key[0])}", found.values())
    return found


def error_ids(process: Process) -> dict[str, str]:
    found: dict[str, str] = {}
    for element in process.elements.values():
        event = element.event
        if event is not None and event.kind == "error" and event.error_code is not None:
            code = text(event.error_code)
            if code not in found:
                found[code] = _unique(f"Error_{slug(code)}", found.values())
    return found


def _unique(base: str, taken) -> str:
    taken = set(taken)
    found, n = base, 1
    while found in taken:
        n += 1
        found = f"{base}_{n}"
    return found


def to_xml(definitions: Definitions) -> str:
    root = etree.Element(_bpmn("definitions"), nsmap=NSMAP)
    root.set("id", definitions.id or "Definitions_1")
    root.set("targetNamespace", definitions.target_namespace or "http://bpmn.io/schema/bpmn")
    for attribute in ("exporter", "exporter_version"):
        value = getattr(definitions, attribute)
        if value:
            root.set(attribute.replace("_v", "V"), value)
    root.set(f"{{{MODELER_NS}}}executionPlatform", "Camunda Cloud")
    root.set(f"{{{MODELER_NS}}}executionPlatformVersion", EXECUTION_PLATFORM_VERSION)
    writers = []
    for process in definitions.processes:
        writer = _ProcessWriter(process)
        writer.globals(root)
        writers.append(writer)
    for writer in writers:
        writer.process(root)
    for process in definitions.processes:
        _diagram(root, process, definitions.diagram)
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8").decode("utf-8")


class _ProcessWriter:
    def __init__(self, process: Process) -> None:
        self.p = process
        self.messages = message_ids(process)
        self.errors = error_ids(process)

    def globals(self, root: etree._Element) -> None:
        for (name, key), message_id in self.messages.items():
            message = etree.SubElement(root, _bpmn("message"), id=message_id, name=name)
            if key is not None:
                ext = etree.SubElement(message, _bpmn("extensionElements"))
                etree.SubElement(ext, _zeebe("subscription"), correlationKey=key)
        for code, error_id in self.errors.items():
            etree.SubElement(root, _bpmn("error"), id=error_id, name=code, errorCode=code)

    def process(self, root: etree._Element) -> None:
        p = self.p
        el = etree.SubElement(root, _bpmn("process"), id=p.id)
        if p.name:
            el.set("name", p.name)
        el.set("isExecutable", "true" if p.is_executable else "false")
        if p.version_tag:
            ext = etree.SubElement(el, _bpmn("extensionElements"))
            etree.SubElement(ext, _zeebe("versionTag"), value=p.version_tag)
        self.scope(el, None)

    def scope(self, parent: etree._Element, scope_id: str | None) -> None:
        members = [e for e in self.p.elements.values() if e.parent_id == scope_id]
        for element in members:
            self.element(parent, element)
        ids = {e.id for e in members}
        for flow in self.p.flows.values():
            if flow.source not in ids:
                continue
            el = etree.SubElement(parent, _bpmn("sequenceFlow"), id=flow.id)
            if flow.name:
                el.set("name", flow.name)
            el.set("sourceRef", flow.source)
            el.set("targetRef", flow.target)
            if flow.condition is not None:
                condition = etree.SubElement(el, _bpmn("conditionExpression"))
                condition.set(f"{{{XSI_NS}}}type", "bpmn:tFormalExpression")
                condition.text = text(flow.condition)

    def element(self, parent: etree._Element, e: Element) -> None:
        el = etree.SubElement(parent, _bpmn(e.type), id=e.id)
        if e.name:
            el.set("name", e.name)
        if e.default_flow:
            el.set("default", e.default_flow)
        if e.type == "boundaryEvent":
            el.set("attachedToRef", e.attached_to or "")
            if not e.cancel_activity:
                el.set("cancelActivity", "false")
        if e.type == "startEvent" and not e.is_interrupting:
            el.set("isInterrupting", "false")
        if e.triggered_by_event:
            el.set("triggeredByEvent", "true")
        if e.type == "receiveTask" and e.event is not None:
            key = _message_key(e)
            if key is not None:
                el.set("messageRef", self.messages[key])
        self.extensions(el, e)
        for tag, flows in (("incoming", e.incoming), ("outgoing", e.outgoing)):
            for flow_id in flows:
                etree.SubElement(el, _bpmn(tag)).text = flow_id
        if e.multi_instance is not None:
            self.loop(el, e)
        if e.event is not None and e.type != "receiveTask":
            self.event(el, e)
        if e.children:
            self.scope(el, e.id)

    def extensions(self, el: etree._Element, e: Element) -> None:
        ext = etree.Element(_bpmn("extensionElements"))
        if e.task is not None:
            etree.SubElement(ext, _zeebe("taskDefinition"), type=text(e.task.type), retries=text(e.task.retries))
            if e.task.headers:
                headers = etree.SubElement(ext, _zeebe("taskHeaders"))
                for key, value in e.task.headers:
                    etree.SubElement(headers, _zeebe("header"), key=key, value=value)
        if e.user_task is not None:
            self.user_task(ext, e)
        if e.script is not None:
            script = etree.SubElement(ext, _zeebe("script"), expression=text(e.script.expr))
            if e.script.result_variable:
                script.set("resultVariable", e.script.result_variable)
        if e.called_element is not None:
            called = e.called_element
            etree.SubElement(
                ext,
                _zeebe("calledElement"),
                processId=text(called.process_id),
                propagateAllChildVariables="true" if called.propagate_all_child_variables else "false",
            )
        if e.inputs or e.outputs:
            io = etree.SubElement(ext, _zeebe("ioMapping"))
            for tag, items in (("input", e.inputs), ("output", e.outputs)):
                for mapping in items:
                    etree.SubElement(io, _zeebe(tag), source=text(mapping.source), target=mapping.target)
        if e.properties:
            properties = etree.SubElement(ext, _zeebe("properties"))
            for name, value in e.properties:
                etree.SubElement(properties, _zeebe("property"), name=name, value=value)
        if len(ext):
            el.append(ext)

    def user_task(self, ext: etree._Element, e: Element) -> None:
        task = e.user_task
        assert task is not None
        if task.form_key:
            etree.SubElement(ext, _zeebe("formDefinition"), formKey=task.form_key)
        for tag, pairs in (
            (
                "assignmentDefinition",
                (
                    ("assignee", task.assignee),
                    ("candidateGroups", task.candidate_groups),
                    ("candidateUsers", task.candidate_users),
                ),
            ),
            ("taskSchedule", (("dueDate", task.due_date), ("followUpDate", task.follow_up_date))),
        ):
            given = {name: text(expr) for name, expr in pairs if expr is not None}
            if given:
                etree.SubElement(ext, _zeebe(tag), **given)

    def loop(self, el: etree._Element, e: Element) -> None:
        mi = e.multi_instance
        assert mi is not None
        loop = etree.SubElement(el, _bpmn("multiInstanceLoopCharacteristics"))
        if mi.sequential:
            loop.set("isSequential", "true")
        given = {
            name: value
            for name, value in (
                ("inputCollection", text(mi.input_collection) if mi.input_collection else None),
                ("inputElement", mi.input_element),
                ("outputCollection", mi.output_collection),
                ("outputElement", text(mi.output_element) if mi.output_element else None),
            )
            if value
        }
        if given:
            ext = etree.SubElement(loop, _bpmn("extensionElements"))
            etree.SubElement(ext, _zeebe("loopCharacteristics"), **given)
        if mi.loop_cardinality is not None:
            etree.SubElement(loop, _bpmn("loopCardinality")).text = text(mi.loop_cardinality)
        if mi.completion_condition is not None:
            etree.SubElement(loop, _bpmn("completionCondition")).text = text(mi.completion_condition)

    def event(self, el: etree._Element, e: Element) -> None:
        event = e.event
        assert event is not None
        definition = etree.SubElement(el, _bpmn(f"{event.kind}EventDefinition"))
        if event.kind == "message":
            key = _message_key(e)
            if key is not None:
                definition.set("messageRef", self.messages[key])
        elif event.kind == "error" and event.error_code is not None:
            definition.set("errorRef", self.errors[text(event.error_code)])
        elif event.kind == "timer" and event.timer is not None:
            tag = {"date": "timeDate", "duration": "timeDuration", "cycle": "timeCycle"}[event.timer.kind]
            value = etree.SubElement(definition, _bpmn(tag))
            value.set(f"{{{XSI_NS}}}type", "bpmn:tFormalExpression")
            value.text = text(event.timer.expr)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _diagram(root: etree._Element, process: Process, diagram: Diagram) -> None:
    di = etree.SubElement(root, f"{{{BPMNDI_NS}}}BPMNDiagram", id=f"BPMNDiagram_{process.id}")
    plane = etree.SubElement(di, f"{{{BPMNDI_NS}}}BPMNPlane", id=f"BPMNPlane_{process.id}", bpmnElement=process.id)
    for element_id in process.elements:
        shape = diagram.shapes.get(element_id)
        if shape is None:
            continue
        el = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNShape", id=f"{element_id}_di", bpmnElement=element_id)
        if shape.is_expanded is not None:
            el.set("isExpanded", "true" if shape.is_expanded else "false")
        b = shape.bounds
        etree.SubElement(
            el, f"{{{DC_NS}}}Bounds", x=_number(b.x), y=_number(b.y), width=_number(b.width), height=_number(b.height)
        )
    for flow_id in process.flows:
        edge = diagram.edges.get(flow_id)
        if edge is None:
            continue
        el = etree.SubElement(plane, f"{{{BPMNDI_NS}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
        for x, y in edge.waypoints:
            etree.SubElement(el, f"{{{DI_NS}}}waypoint", x=_number(x), y=_number(y))
