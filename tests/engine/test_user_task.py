"""User task: assignment from expressions and comma lists, due dates, forms, completion."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from orchestration import services
from orchestration.exceptions import InvalidState
from orchestration.models import UserTask

from .harness import bpmn

ZEEBE_VARS = {"owner": "carol", "region": "north", "deadline": "2030-06-01T12:00:00Z"}


def test_zeebe_user_task_takes_assignee_candidates_due_date_and_priority_from_expressions(driver):
    driver.deploy(bpmn("user_task_zeebe"))
    driver.start("user-task-zeebe", ZEEBE_VARS)

    (task,) = driver.user_tasks()
    info = driver.user_task_info(task.key)
    assert info["name"] == "Approve order"
    assert info["assignee"] == "carol"
    assert info["candidate_groups"] == ["sales", "north-managers"]
    assert info["candidate_users"] == ["alice", "bob"]
    assert info["due_date"] == datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    assert info["priority"] == 80
    assert driver.jobs() == []


def test_camunda_user_task_reads_comma_lists_expressions_and_a_fixed_due_date(driver):
    driver.deploy(bpmn("user_task_camunda_form"))
    driver.start("user-task-camunda", {"clerk": "dave", "reviewers": "erin,frank"})

    (task,) = driver.user_tasks()
    info = driver.user_task_info(task.key)
    assert info["assignee"] == "dave"
    assert info["candidate_groups"] == ["claims", "audit"]
    assert info["candidate_users"] == ["erin", "frank"]
    assert info["due_date"] == datetime(2030, 1, 31, 17, 0, tzinfo=UTC)


def test_camunda_form_data_becomes_form_json(driver):
    driver.deploy(bpmn("user_task_camunda_form"))
    driver.start("user-task-camunda", {"clerk": "dave", "reviewers": "erin"})

    form = driver.user_task_info(driver.user_tasks()[0].key)["form"]
    assert form == {
        "flavour": "camunda7",
        "fields": [
            {
                "id": "decision",
                "label": "Decision",
                "type": "enum",
                "defaultValue": "accept",
                "values": [{"id": "accept", "name": "Accept"}, {"id": "reject", "name": "Reject"}],
                "validation": [],
                "properties": {},
            },
            {
                "id": "note",
                "label": "Note",
                "type": "string",
                "defaultValue": None,
                "values": [],
                "validation": [{"name": "maxlength", "config": "100"}],
                "properties": {},
            },
        ],
    }


def test_completing_a_user_task_with_variables_continues_the_instance(driver):
    driver.deploy(bpmn("user_task_zeebe"))
    driver.start("user-task-zeebe", ZEEBE_VARS)

    driver.complete_user_task(driver.user_tasks()[0].key, {"approved": True})

    assert driver.user_tasks() == []
    assert [j.element_id for j in driver.jobs()] == ["ship"]
    assert driver.variables()["approved"] is True


def test_a_user_task_with_an_unparseable_due_date_raises_an_incident(driver):
    driver.deploy(bpmn("user_task_zeebe"))
    driver.start("user-task-zeebe", {**ZEEBE_VARS, "deadline": "next tuesday"})

    ((element_id, type, message),) = driver.incident_info()
    assert (element_id, type) == ("approve", "expression")
    assert "'next tuesday' is not an ISO 8601 date and time" in message
    assert driver.user_tasks() == []


def test_completing_a_user_task_twice_is_refused_as_already_completed(reloaded):
    reloaded.deploy(bpmn("user_task_zeebe"))
    reloaded.start("user-task-zeebe", ZEEBE_VARS)
    (task,) = reloaded.user_tasks()
    services.complete_user_task(task.key, variables={"approved": True}, actor="alice")
    assert reloaded.state == "active"  # waiting at 'ship'

    with pytest.raises(InvalidState, match="already completed by alice"):
        services.complete_user_task(task.key, variables={"approved": False}, actor="bob")

    row = UserTask.objects.get(key=task.key)
    assert (row.state, row.completed_by) == ("completed", "alice")
    assert reloaded.variables()["approved"] is True


def test_completing_a_user_task_twice_after_the_instance_ended_still_says_already_completed(reloaded):
    reloaded.deploy(bpmn("user_task_zeebe"))
    reloaded.start("user-task-zeebe", ZEEBE_VARS)
    (task,) = reloaded.user_tasks()
    services.complete_user_task(task.key, variables={"approved": False}, actor="alice")
    assert reloaded.state == "completed"

    with pytest.raises(InvalidState, match="already completed by alice"):
        services.complete_user_task(task.key, variables={"approved": True}, actor="bob")
