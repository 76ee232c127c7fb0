"""Hardened XML loading for BPMN uploads, and small element helpers.

Uploads are untrusted. Before lxml sees a byte we refuse oversized input and
anything with a DTD or entity declaration (billion laughs, XXE); the parser
itself then runs with entity resolution, DTD loading and network access off.
After parsing we enforce nesting depth and element count limits.
"""

from __future__ import annotations

import codecs
import re

from lxml import etree

from .errors import BpmnError
from .model import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
# Camunda 7 accepts the legacy Activiti namespace as an alias of its own.
CAMUNDA_NS = ("http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn")
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"

_DTD_MARKERS = re.compile(rb"<!\s*(doctype|entity)", re.IGNORECASE)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
DTD_REFUSED = "DTDs and entities are not allowed (XML bomb / XXE protection)"


def _refuse(message: str, line: int | None = None) -> BpmnError:
    return BpmnError([Problem(message, line=line)])


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        # lxml refuses str input that carries an encoding declaration; the
        # declaration is meaningless once decoded, so drop it (keeping line 1).
        return _XML_DECL.sub("", data, count=1).encode("utf-8")
    return bytes(data)


def _scan_text(raw: bytes) -> bytes:
    """The bytes to scan for DTD markers: UTF-16/32 input is re-encoded first."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding).encode("utf-8")
            except UnicodeDecodeError:
                return raw
    return raw


def _make_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def load_xml(data: bytes | str, *, max_bytes: int, max_depth: int, max_elements: int) -> etree._Element:
    """Parse untrusted XML safely or raise BpmnError; returns the root element."""
    raw = _as_bytes(data)
    if len(raw) > max_bytes:
        raise _refuse(f"input is {len(raw)} bytes, more than the limit of {max_bytes} bytes")
    scanned = _scan_text(raw)
    marker = _DTD_MARKERS.search(scanned)
    if marker:
        raise _refuse(DTD_REFUSED, line=scanned.count(b"\n", 0, marker.start()) + 1)
    try:
        root = etree.fromstring(raw, parser=_make_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (exc.lineno, 0)
        message = exc.msg or str(exc)
        if "depth" in message.lower():
            raise _refuse(f"XML nesting is deeper than the limit of {max_depth}", line) from None
        if f"line {line}" not in message:
            message = f"{message} (line {line}, column {column})"
        raise _refuse(f"malformed XML: {message}", line) from None
    if root.getroottree().docinfo.doctype:
        raise _refuse(DTD_REFUSED, line=1)
    _check_limits(root, max_depth=max_depth, max_elements=max_elements)
    return root


def _check_limits(root: etree._Element, *, max_depth: int, max_elements: int) -> None:
    depth = 0
    count = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        if event == "end":
            depth -= 1
            continue
        depth += 1
        count += 1
        if depth > max_depth:
            raise _refuse(
                f"XML nesting is deeper than the limit of {max_depth}",
                element.sourceline,
            )
        if count > max_elements:
            raise _refuse(
                f"document has more than the limit of {max_elements} elements",
                element.sourceline,
            )


# --- element helpers -------------------------------------------------------


def local(element: etree._Element) -> str:
    return etree.QName(element).localname


def namespace(element: etree._Element) -> str | None:
    return etree.QName(element).namespace


def is_bpmn(element: etree._Element) -> bool:
    return isinstance(element.tag, str) and namespace(element) == BPMN_NS


def bpmn_children(element: etree._Element, name: str | None = None) -> list[etree._Element]:
    return [c for c in element if is_bpmn(c) and (name is None or local(c) == name)]


def first_bpmn_child(element: etree._Element, name: str) -> etree._Element | None:
    for child in element:
        if is_bpmn(child) and local(child) == name:
            return child
    return None


def event_definitions_of(element: etree._Element) -> list[etree._Element]:
    return [c for c in bpmn_children(element) if local(c).endswith("EventDefinition")]


def extension_children(element: etree._Element, namespaces: tuple[str, ...] | str) -> list[etree._Element]:
    """Children of <extensionElements> in the given vendor namespace(s)."""
    if isinstance(namespaces, str):
        namespaces = (namespaces,)
    found = []
    for ext in bpmn_children(element, "extensionElements"):
        for child in ext:
            if isinstance(child.tag, str) and namespace(child) in namespaces:
                found.append(child)
    return found


def children_in(
    element: etree._Element, namespaces: tuple[str, ...] | str, name: str | None = None
) -> list[etree._Element]:
    if isinstance(namespaces, str):
        namespaces = (namespaces,)
    return [
        c
        for c in element
        if isinstance(c.tag, str) and namespace(c) in namespaces and (name is None or local(c) == name)
    ]


def vendor_attr(element: etree._Element, namespaces: tuple[str, ...] | str, name: str) -> str | None:
    if isinstance(namespaces, str):
        namespaces = (namespaces,)
    for ns in namespaces:
        value = element.get(f"{{{ns}}}{name}")
        if value is not None:
            return value
    return None


def text_of(element: etree._Element | None) -> str | None:
    """Stripped text content (CDATA included); None when empty."""
    if element is None:
        return None
    text = "".join(element.itertext()).strip()
    return text or None


def line_of(element: etree._Element) -> int:
    return element.sourceline or 0
