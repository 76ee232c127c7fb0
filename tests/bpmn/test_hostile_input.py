"""Hostile or broken uploads are refused with a clear problem, before any harm."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.bpmn import BpmnError, parse_bpmn

from .helpers import definitions, messages, problems_of

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&lol9;" isExecutable="true" />
</bpmn:definitions>
"""


def xxe(path: Path) -> str:
    return f"""<?xml version="1.0"?>
<!DOCTYPE definitions [ <!ENTITY secret SYSTEM "file://{path}"> ]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:process id="p" name="&secret;" isExecutable="true" />
</bpmn:definitions>
"""


def test_billion_laughs_is_refused_before_expansion() -> None:
    (problem,) = problems_of(BILLION_LAUGHS)
    assert problem.message == "DTDs and entities are not allowed (XML bomb / XXE protection)"
    assert problem.line == 2


def test_external_entity_is_refused_without_reading_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    (problem,) = problems_of(xxe(secret))
    assert "DTDs and entities are not allowed" in problem.message
    assert "TOP-SECRET" not in str(problem)


def test_external_entity_to_etc_passwd_is_refused() -> None:
    (problem,) = problems_of(xxe(Path("/etc/passwd")).encode())
    assert "XXE" in problem.message
    assert "root:" not in problem.message


def test_doctype_is_found_case_insensitively_and_in_utf16_input() -> None:
    lower = BILLION_LAUGHS.replace("DOCTYPE", "doctype").replace("ENTITY", "entity")
    assert "DTDs" in problems_of(lower.encode())[0].message
    utf16 = BILLION_LAUGHS.replace('<?xml version="1.0"?>', "").encode("utf-16")
    assert "DTDs" in problems_of(utf16)[0].message


def test_malformed_xml_reports_the_line_of_the_error() -> None:
    broken = definitions('<bpmn:startEvent id="s">\n<bpmn:endEvent id="e" />')
    (problem,) = problems_of(broken)
    assert problem.message.startswith("malformed XML:")
    # the parser notices at </bpmn:process>, and names the unclosed tag's line
    assert problem.line == 6
    assert "startEvent line 4" in problem.message


def test_unknown_bpmn_element_is_refused_with_its_id_and_line() -> None:
    body = (
        '<bpmn:startEvent id="s" />\n'
        '<bpmn:complexGateway id="cg" />\n'
        '<bpmn:sequenceFlow id="f" sourceRef="s" targetRef="cg" />'
    )
    (problem,) = problems_of(definitions(body))
    assert problem.message == "complexGateway is not supported"
    assert problem.element_id == "cg"
    assert problem.line == 5


def test_deeply_nested_document_is_refused_by_the_depth_limit() -> None:
    nested = "<x>" * 150 + "</x>" * 150
    body = f"<bpmn:extensionElements>{nested}</bpmn:extensionElements>"
    (problem,) = problems_of(definitions(body), max_depth=100)
    assert problem.message == "XML nesting is deeper than the limit of 100"


def test_nesting_beyond_what_libxml2_accepts_is_still_a_depth_problem() -> None:
    nested = "<x>" * 5000 + "</x>" * 5000
    (problem,) = problems_of(definitions(nested))
    assert "nesting is deeper than the limit" in problem.message


def test_too_many_elements_are_refused() -> None:
    body = "".join(f'<bpmn:task id="t{i}" />' for i in range(50))
    (problem,) = problems_of(definitions(body), max_elements=20)
    assert problem.message == "document has more than the limit of 20 elements"


def test_oversized_input_is_refused_before_parsing() -> None:
    data = definitions("<bpmn:startEvent id='s' />" + " " * 2000)
    (problem,) = problems_of(data, max_bytes=1000)
    assert "more than the limit of 1000 bytes" in problem.message


def test_wrong_root_element_is_refused() -> None:
    (problem,) = problems_of('<?xml version="1.0"?><html><body /></html>')
    assert "root element must be definitions" in problem.message
    assert "'html'" in problem.message


def test_bpmn_root_in_the_wrong_namespace_is_refused() -> None:
    (problem,) = problems_of('<definitions xmlns="http://example.com/not-bpmn" />')
    assert "http://example.com/not-bpmn" in problem.message


def test_text_input_with_an_encoding_declaration_is_accepted() -> None:
    text = definitions('<bpmn:startEvent id="s" />').replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    assert parse_bpmn(text).process("p").element("s").line == 4


def test_comments_and_processing_instructions_are_dropped() -> None:
    body = '<!-- hello --><?pi data?><bpmn:startEvent id="s" />'
    assert list(parse_bpmn(definitions(body)).process("p").elements) == ["s"]


def test_bpmn_error_message_lists_every_problem() -> None:
    body = '<bpmn:complexGateway id="a" />\n<bpmn:complexGateway id="b" />'
    with pytest.raises(BpmnError) as caught:
        parse_bpmn(definitions(body))
    assert len(caught.value.problems) == 3  # two gateways and no start event
    assert "element 'a'" in str(caught.value) and "element 'b'" in str(caught.value)
    assert "executable process has no start event at the top level" in messages(caught.value.problems)
