"""Deploying a BPMN file from the Processes page: admins only; all of the file or nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orchestration.models import AuditEvent, Deployment, ProcessDefinition

from .engine_world import ORDER_XML

pytestmark = pytest.mark.django_db

PAGE = reverse("operate:processes")
URL = reverse("operate:process_deploy")

REFUSED_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="broken" isExecutable="true">
    <startEvent id="start"/>
    <serviceTask id="charge"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="nowhere"/>
  </process>
</definitions>"""

XXE_XML = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&e;</definitions>"""


@pytest.fixture
def root(db) -> User:
    """An admin (the only role that may deploy)."""
    user = User.objects.create_user(username="root", password="pw")
    user.groups.add(Group.objects.get(name="admin"))
    return user


def bpmn(content: bytes | str, name: str = "shop.bpmn") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="application/xml")


def nothing_written() -> bool:
    return (
        not Deployment.objects.exists() and not ProcessDefinition.objects.exists() and not AuditEvent.objects.exists()
    )


def test_admin_sees_the_upload_form_with_csrf_protection(client, root):
    client.force_login(root)
    body = client.get(PAGE).content.decode()
    assert 'enctype="multipart/form-data"' in body
    assert f'action="{URL}"' in body
    assert "csrfmiddlewaretoken" in body


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_operator_and_support_see_no_upload_form(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(PAGE)
    assert response.status_code == 200
    assert URL not in response.content.decode()


@pytest.mark.parametrize("persona", ["alice", "bob", "carol", "dave"])
def test_everyone_but_admins_gets_403_on_upload_and_nothing_is_deployed(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop"))})
    assert response.status_code == 403
    assert nothing_written()


def test_logged_out_upload_goes_to_login(client):
    response = client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop"))})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert nothing_written()


def test_upload_needs_the_csrf_token(root):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    response = client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop"))})
    assert response.status_code == 403
    assert not ProcessDefinition.objects.exists()


def test_get_on_the_upload_address_is_not_allowed(client, root):
    client.force_login(root)
    assert client.get(URL).status_code == 405


def test_admin_upload_deploys_version_one_and_redirects_to_it_with_a_message(client, root):
    client.force_login(root)
    response = client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop"))}, follow=True)
    definition = ProcessDefinition.objects.get(bpmn_process_id="shop")
    assert definition.version == 1
    assert definition.deployment.deployed_by == root
    assert definition.deployment.resource_name == "shop.bpmn"
    assert response.redirect_chain[-1][0] == reverse("operate:process", args=[definition.key])
    assert "version 1 deployed (shop v1)" in response.content.decode()
    assert AuditEvent.objects.filter(type="process_deployed", actor="root").count() == 1


def test_a_changed_file_deploys_the_next_version(client, root):
    client.force_login(root)
    client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop"))})
    response = client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop 2"))}, follow=True)
    latest = ProcessDefinition.objects.get(bpmn_process_id="shop", version=2)
    assert response.redirect_chain[-1][0] == reverse("operate:process", args=[latest.key])
    assert "version 2 deployed" in response.content.decode()


def test_the_same_file_again_is_unchanged_and_deploys_nothing(client, root):
    client.force_login(root)
    client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop"))})
    response = client.post(URL, {"file": bpmn(ORDER_XML.format(name="Shop"))}, follow=True)
    assert ProcessDefinition.objects.count() == 1
    assert Deployment.objects.count() == 1
    assert "Unchanged: shop v1" in response.content.decode()


def test_refused_upload_lists_every_problem_with_element_and_line_and_writes_no_rows(client, root):
    client.force_login(root)
    response = client.post(URL, {"file": bpmn(REFUSED_XML, "broken.bpmn")})
    assert response.status_code == 400
    problems = response.context["problems"]
    assert {(p.element_id, p.line) for p in problems} >= {("charge", 5), ("f1", 6)}
    body = response.content.decode()
    assert 'id="deploy-problems"' in body
    assert "<code>charge</code>" in body and "<code>f1</code>" in body
    assert "Nothing was deployed" in body
    assert nothing_written()


def test_malformed_xml_is_refused_with_its_line(client, root):
    client.force_login(root)
    response = client.post(URL, {"file": bpmn(b"<definitions>\n<process", "bad.bpmn")})
    assert response.status_code == 400
    (problem,) = response.context["problems"]
    assert "malformed XML" in problem.message
    assert problem.line
    assert nothing_written()


def test_xxe_file_is_refused_without_reading_the_entity(client, root):
    client.force_login(root)
    response = client.post(URL, {"file": bpmn(XXE_XML, "xxe.bpmn")})
    assert response.status_code == 400
    body = response.content.decode()
    assert "DTDs and entities are not allowed" in body
    assert "root:x:0" not in body
    assert nothing_written()


def test_oversized_file_is_refused_before_parsing(client, root, settings):
    settings.ORCHESTRATION = {**getattr(settings, "ORCHESTRATION", {}), "MAX_XML_BYTES": 1000}
    client.force_login(root)
    response = client.post(URL, {"file": bpmn(b" " * 2000 + ORDER_XML.format(name="Shop").encode())})
    assert response.status_code == 400
    assert "the limit is 1,000 bytes" in response.content.decode()
    assert nothing_written()


def test_upload_without_a_file_shows_the_form_error(client, root):
    client.force_login(root)
    response = client.post(URL, {})
    assert response.status_code == 400
    assert response.context["deploy_form"].errors["file"]
    assert nothing_written()
