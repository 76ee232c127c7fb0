"""/task: query, get, claim, unclaim, assignee, complete, submit-form, variables, form-variables."""

from __future__ import annotations

import pytest

from orchestration.models import AuditEvent, ProcessInstance, UserTask, Variable

from .conftest import complete_reserve, fetch, open_job


@pytest.fixture
def waiting_task(wendy, start):
    instance = start("ok", business_key="T-1")
    complete_reserve(wendy, instance)
    fetch(wendy, topic="charge-card")
    wendy.post(
        f"/engine-rest/external-task/{open_job(instance, 'charge').key}/complete", {"workerId": "w1"}, format="json"
    )
    wendy.post("/engine-rest/message", {"messageName": "PaymentConfirmed", "businessKey": "T-1"}, format="json")
    return UserTask.objects.get(instance=instance)


def test_task_query_get_and_post_with_common_filters(carol, bob, dave, waiting_task):
    (task,) = carol.get("/engine-rest/task", {"processInstanceId": str(waiting_task.instance_id)}).json()
    assert (
        task["id"] == str(waiting_task.key)
        and task["name"] == "Approve order"
        and task["taskDefinitionKey"] == "approve"
    )
    assert (
        task["created"].endswith("+0000")
        and task["assignee"] is None
        and task["processDefinitionId"].startswith("order-c7:1:")
    )
    for params in (
        {"candidateGroup": "approver"},
        {"processDefinitionKey": "order-c7"},
        {"processInstanceBusinessKey": "T-1"},
        {"taskDefinitionKey": "approve"},
        {"candidateUser": "carol"},
    ):
        assert [t["id"] for t in carol.get("/engine-rest/task", params).json()] == [str(waiting_task.key)], params
    assert carol.post(
        "/engine-rest/task",
        {"candidateGroup": "approver", "sorting": [{"sortBy": "created", "sortOrder": "desc"}]},
        format="json",
    ).json()[0]["id"] == str(waiting_task.key)
    assert carol.post("/engine-rest/task/count", {"assignee": "nobody"}, format="json").json() == {"count": 0}
    assert bob.get(f"/engine-rest/task/{waiting_task.key}").status_code == 200
    assert carol.get("/engine-rest/task/not-a-task").status_code == 404
    assert dave.get("/engine-rest/task").status_code == 403


def test_claim_unclaim_assignee_and_identity_links(carol, waiting_task):
    path = f"/engine-rest/task/{waiting_task.key}"
    assert carol.post(f"{path}/claim", {"userId": "carol"}, format="json").status_code == 204
    assert carol.get(path).json()["assignee"] == "carol"
    taken = carol.post(f"{path}/claim", {"userId": "someone"}, format="json")
    assert taken.status_code == 400 and taken.json()["type"] == "TaskAlreadyClaimedException"
    assert carol.get("/engine-rest/task", {"candidateGroup": "approver"}).json() == []  # assigned tasks drop out
    assert (
        len(carol.get("/engine-rest/task", {"candidateGroup": "approver", "includeAssignedTasks": "true"}).json()) == 1
    )
    links = carol.get(f"{path}/identity-links").json()
    assert {"userId": "carol", "groupId": None, "type": "assignee"} in links
    assert carol.post(f"{path}/unclaim").status_code == 204
    assert carol.post(f"{path}/assignee", {"userId": "erin"}, format="json").status_code == 204
    assert carol.get(path).json()["assignee"] == "erin"
    assert carol.post(f"{path}/claim", {}, format="json").status_code == 400
    assert AuditEvent.objects.filter(type="user_task_claimed", actor="carol").exists()


def test_complete_with_typed_variables_ends_the_instance(carol, waiting_task):
    body = {"variables": {"approved": {"value": "true", "type": "Boolean"}}, "withVariablesInReturn": True}
    response = carol.post(f"/engine-rest/task/{waiting_task.key}/complete", body, format="json")
    assert response.status_code == 200 and response.json()["approved"]["value"] is True
    assert ProcessInstance.objects.get(key=waiting_task.instance_id).state == ProcessInstance.State.COMPLETED
    assert carol.post(f"/engine-rest/task/{waiting_task.key}/complete", {}, format="json").status_code == 404


def test_submit_form_and_variables(carol, bob, waiting_task):
    path = f"/engine-rest/task/{waiting_task.key}"
    assert carol.get(f"{path}/variables").json()["orderId"]["value"] == "O-ok"
    assert set(carol.get(f"{path}/form-variables", {"variableNames": "orderId,mode"}).json()) == {"orderId", "mode"}
    assert carol.put(f"{path}/variables/comment", {"value": "fine", "type": "String"}, format="json").status_code == 204
    assert carol.get(f"{path}/variables/comment").json()["value"] == "fine"
    assert carol.put(f"{path}/localVariables/draft", {"value": 1}, format="json").status_code == 204
    assert carol.get(f"{path}/localVariables").json()["draft"]["value"] == 1
    assert carol.get(f"{path}/form").json() == {"key": None, "camundaFormRef": None, "contextPath": None}
    assert bob.post(f"{path}/submit-form", {}, format="json").status_code == 403
    assert carol.post(f"{path}/submit-form", {"variables": {"ok": {"value": True}}}, format="json").status_code == 204
    assert Variable.objects.get(instance_id=waiting_task.instance_id, name="comment").value == "fine"


def test_an_approver_sees_only_tasks_of_their_groups(waiting_task, db):
    from .conftest import _user, basic_client

    outsider = basic_client(_user("olga", "approver"))
    UserTask.objects.filter(key=waiting_task.key).update(candidate_groups=["managers"])
    assert outsider.get("/engine-rest/task").json() == []
    assert outsider.get(f"/engine-rest/task/{waiting_task.key}").status_code == 404
