"""Deployments and process definitions."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from orchestration.models import Deployment, ProcessDefinition

from .conftest import INVALID, ONE_TASK, THREE_TASKS, assert_error


def upload(*files: tuple[str, str]) -> dict:
    return {
        "resources": [SimpleUploadedFile(name, xml.encode(), content_type="application/xml") for name, xml in files]
    }


def test_an_admin_deploys_two_files_in_one_upload(api, erin):
    response = api(erin).post(
        "/api/v1/deployments", upload(("three.bpmn", THREE_TASKS), ("one.bpmn", ONE_TASK)), format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] is True
    assert sorted(d["processId"] for d in body["definitions"]) == ["api-one", "api-three"]
    assert sorted(d["resourceName"] for d in body["deployments"]) == ["one.bpmn", "three.bpmn"]
    assert body["deployments"][0]["deployedBy"] == "erin"


def test_deploying_the_same_xml_again_changes_nothing(api, erin):
    api(erin).post("/api/v1/deployments", upload(("one.bpmn", ONE_TASK)), format="multipart")
    response = api(erin).post("/api/v1/deployments", upload(("one.bpmn", ONE_TASK)), format="multipart")
    assert response.status_code == 200
    assert response.json()["created"] is False
    assert ProcessDefinition.objects.filter(bpmn_process_id="api-one").count() == 1


def test_an_invalid_file_refuses_the_whole_upload_with_every_problem(api, erin):
    response = api(erin).post(
        "/api/v1/deployments", upload(("one.bpmn", ONE_TASK), ("broken.bpmn", INVALID)), format="multipart"
    )
    error = assert_error(response, 400, "deployment_refused")
    assert error["problems"]
    assert all(p["message"].startswith("broken.bpmn: ") for p in error["problems"])
    assert not Deployment.objects.exists()


def test_an_upload_without_files_is_400(api, erin):
    error = assert_error(api(erin).post("/api/v1/deployments", {}, format="multipart"), 400, "invalid_input")
    assert "resources" in error["fields"]


def test_only_admins_deploy(api, alice, bob):
    for user in (alice, bob):
        assert_error(
            api(user).post("/api/v1/deployments", upload(("one.bpmn", ONE_TASK)), format="multipart"),
            403,
            "permission_denied",
        )
    assert_error(
        api().post("/api/v1/deployments", upload(("one.bpmn", ONE_TASK)), format="multipart"), 401, "not_authenticated"
    )


def test_support_lists_gets_and_reads_the_xml_of_deployments(api, bob, processes):
    listing = api(bob).get("/api/v1/deployments", {"limit": 2})
    assert listing.status_code == 200
    first = listing.json()
    assert len(first["items"]) == 2 and first["nextCursor"]
    rest = api(bob).get("/api/v1/deployments", {"limit": 50, "cursor": first["nextCursor"]}).json()
    keys = [d["key"] for d in first["items"] + rest["items"]]
    assert len(keys) == len(set(keys)) == Deployment.objects.count()
    key = keys[0]
    assert api(bob).get(f"/api/v1/deployments/{key}").json()["key"] == key
    xml = api(bob).get(f"/api/v1/deployments/{key}/xml")
    assert xml.status_code == 200 and xml["Content-Type"].startswith("application/xml")
    assert b"<bpmn:definitions" in xml.content


def test_the_xml_endpoint_answers_a_client_that_accepts_only_xml(api, bob, processes):
    key = Deployment.objects.first().key
    response = api(bob).get(f"/api/v1/deployments/{key}/xml", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200


def test_unknown_deployments_are_404(api, bob, db):
    assert_error(api(bob).get("/api/v1/deployments/00000000-0000-0000-0000-000000000000"), 404, "not_found")
    assert_error(api(bob).get("/api/v1/deployments/not-a-key/xml"), 404, "not_found")


def test_a_bad_cursor_is_400(api, bob, db):
    error = assert_error(api(bob).get("/api/v1/deployments", {"cursor": "garbage"}), 400, "invalid_input")
    assert "cursor" in error["fields"]


def test_definitions_list_filters_by_process_and_latest_version(api, bob, erin, processes):
    changed = THREE_TASKS.replace('id="c"', 'id="c" name="C v2"')
    api(erin).post("/api/v1/deployments", upload(("three.bpmn", changed)), format="multipart")
    every = api(bob).get("/api/v1/process-definitions", {"processId": "api-three"}).json()["items"]
    assert [d["version"] for d in every] == [2, 1]
    latest = api(bob).get("/api/v1/process-definitions", {"latest": "true"}).json()["items"]
    assert {d["processId"]: d["version"] for d in latest}["api-three"] == 2
    assert len(latest) == ProcessDefinition.objects.values("bpmn_process_id").distinct().count()


def test_a_definition_and_its_xml(api, bob, processes):
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-one")
    body = api(bob).get(f"/api/v1/process-definitions/{definition.key}").json()
    assert body["processId"] == "api-one" and body["version"] == 1
    xml = api(bob).get(f"/api/v1/process-definitions/{definition.key}/xml")
    assert b'id="api-one"' in xml.content
    assert_error(api(bob).get("/api/v1/process-definitions/00000000-0000-0000-0000-000000000000/xml"), 404, "not_found")


def test_definitions_need_a_role(api, dave, db):
    assert_error(api(dave).get("/api/v1/process-definitions"), 403, "permission_denied")
    assert_error(api().get("/api/v1/process-definitions"), 401, "not_authenticated")
