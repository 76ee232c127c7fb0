"""User tasks: search, get, claim, unclaim, assign, complete, form."""

from __future__ import annotations

from orchestration.models import ProcessInstance, UserTask

from .conftest import assert_error, make_user, start


def review_task(business_key: str = "R-1", **variables) -> UserTask:
    instance = start("api-review", business_key, **variables)
    return UserTask.objects.get(instance=instance)


def test_an_approver_finds_the_tasks_of_their_groups_only(api, carol, processes):
    review = review_task()
    start("api-finance", "F-1")
    body = api(carol).get("/api/v1/user-tasks").json()
    assert [t["key"] for t in body["items"]] == [str(review.key)]
    assert body["items"][0]["candidateGroups"] == ["approver"]


def test_search_filters_and_pages(api, carol, erin, processes):
    keys = [str(review_task(f"R-{n}").key) for n in range(5)]
    first = api(carol).get("/api/v1/user-tasks", {"limit": 2}).json()
    second = api(carol).get("/api/v1/user-tasks", {"limit": 2, "cursor": first["nextCursor"]}).json()
    third = api(carol).get("/api/v1/user-tasks", {"limit": 2, "cursor": second["nextCursor"]}).json()
    seen = [t["key"] for t in first["items"] + second["items"] + third["items"]]
    assert sorted(seen) == sorted(keys) and third["nextCursor"] is None
    assert [t["businessKey"] for t in api(carol).get("/api/v1/user-tasks", {"businessKey": "R-3"}).json()["items"]] == [
        "R-3"
    ]
    start("api-finance", "F-1")
    assert len(api(erin).get("/api/v1/user-tasks", {"candidateGroup": "finance"}).json()["items"]) == 1
    assert api(carol).get("/api/v1/user-tasks", {"state": "completed"}).json()["items"] == []
    assert_error(api(carol).get("/api/v1/user-tasks", {"state": "odd"}), 400, "invalid_input")


def test_tasks_need_the_approver_or_admin_role(api, alice, bob, dave, processes):
    task = review_task()
    for user in (alice, bob, dave):
        assert_error(api(user).get("/api/v1/user-tasks"), 403, "permission_denied")
        assert_error(api(user).post(f"/api/v1/user-tasks/{task.key}/claim"), 403, "permission_denied")
    assert_error(api().get("/api/v1/user-tasks"), 401, "not_authenticated")


def test_a_task_of_another_group_is_404(api, carol, processes):
    start("api-finance", "F-1")
    task = UserTask.objects.get(element_id="book")
    assert_error(api(carol).get(f"/api/v1/user-tasks/{task.key}"), 404, "not_found")
    assert_error(api(carol).post(f"/api/v1/user-tasks/{task.key}/claim"), 404, "not_found")
    assert_error(api(carol).get("/api/v1/user-tasks/00000000-0000-0000-0000-000000000000"), 404, "not_found")


def test_claim_unclaim_and_the_rules_between_two_approvers(api, carol, cody, processes):
    task = review_task()
    claimed = api(carol).post(f"/api/v1/user-tasks/{task.key}/claim")
    assert claimed.status_code == 200 and claimed.json()["assignee"] == "carol"
    assert api(carol).post(f"/api/v1/user-tasks/{task.key}/claim").json()["assignee"] == "carol"  # again: no change
    assert_error(api(cody).post(f"/api/v1/user-tasks/{task.key}/claim"), 409, "invalid_state")
    assert_error(api(cody).post(f"/api/v1/user-tasks/{task.key}/unclaim"), 403, "permission_denied")
    assert_error(api(cody).post(f"/api/v1/user-tasks/{task.key}/complete", {}, format="json"), 403, "permission_denied")
    assert api(carol).post(f"/api/v1/user-tasks/{task.key}/unclaim").json()["assignee"] == ""
    assert api(cody).post(f"/api/v1/user-tasks/{task.key}/claim").json()["assignee"] == "cody"


def test_assign_by_an_admin_and_by_the_assignee_to_eligible_users_only(api, carol, cody, erin, processes):
    task = review_task()
    assign = f"/api/v1/user-tasks/{task.key}/assign"
    assert api(erin).post(assign, {"assignee": "cody"}, format="json").json()["assignee"] == "cody"
    assert_error(api(carol).post(assign, {"assignee": "carol"}, format="json"), 403, "permission_denied")
    assert api(cody).post(assign, {"assignee": "carol"}, format="json").json()["assignee"] == "carol"
    make_user("outsider", "support")
    assert_error(api(carol).post(assign, {"assignee": "outsider"}, format="json"), 400, "invalid_input")
    assert_error(api(erin).post(assign, {"assignee": "ghost"}, format="json"), 400, "invalid_input")
    assert_error(api(erin).post(assign, {}, format="json"), 400, "invalid_input")
    assert api(erin).post(assign, {"assignee": ""}, format="json").json()["assignee"] == ""


def test_an_unclaimed_task_can_be_assigned_only_by_a_lead(api, carol, processes):
    task = review_task()
    assign = f"/api/v1/user-tasks/{task.key}/assign"
    assert_error(api(carol).post(assign, {"assignee": "carol"}, format="json"), 403, "permission_denied")
    lead = make_user("lena", "approver", "lead")
    assert api(lead).post(assign, {"assignee": "carol"}, format="json").json()["assignee"] == "carol"


def test_complete_needs_a_claim_then_moves_the_instance_on_and_twice_is_409(api, carol, processes):
    task = review_task()
    complete = f"/api/v1/user-tasks/{task.key}/complete"
    assert "claim" in assert_error(api(carol).post(complete, {}, format="json"), 403, "permission_denied")["message"]
    api(carol).post(f"/api/v1/user-tasks/{task.key}/claim")
    response = api(carol).post(complete, {"variables": {"approved": True}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "completed" and response.json()["completedBy"] == "carol"
    assert ProcessInstance.objects.get(key=task.instance_id).state == "completed"
    assert_error(api(carol).post(complete, {}, format="json"), 409, "invalid_state")
    assert_error(api(carol).post(f"/api/v1/user-tasks/{task.key}/claim"), 409, "invalid_state")


def test_complete_refuses_variables_that_are_not_an_object(api, carol, processes):
    task = review_task()
    api(carol).post(f"/api/v1/user-tasks/{task.key}/claim")
    assert_error(
        api(carol).post(f"/api/v1/user-tasks/{task.key}/complete", {"variables": 3}, format="json"),
        400,
        "invalid_input",
    )


def test_the_form_schema_and_the_variables_the_task_sees(api, carol, processes):
    task = review_task(amount=500)
    body = api(carol).get(f"/api/v1/user-tasks/{task.key}/form").json()
    assert body["variables"] == {"amount": 500}
    assert body["schema"] == task.form and task.form
    assert "approved" in str(body["schema"])
