from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def url(key) -> str:
    return reverse("tasklist:task", args=[key])


def test_logged_out_user_is_sent_to_login(client, tasks):
    response = client.get(url(tasks.assigned.key))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_user_without_role_is_forbidden(client, dave, tasks):
    client.force_login(dave)
    assert client.get(url(tasks.assigned.key)).status_code == 403


def test_unknown_task_is_not_found(client, carol, tasks):
    client.force_login(carol)
    assert client.get(url(uuid.uuid4())).status_code == 404


@pytest.mark.parametrize("task", ["someone_elses", "to_other_group", "lookalike"])
def test_a_task_the_user_may_not_see_is_not_found(client, carol, tasks, task):
    client.force_login(carol)
    assert client.get(url(getattr(tasks, task).key)).status_code == 404


def test_task_page_shows_the_task_and_its_variables_escaped(client, carol, tasks):
    client.force_login(carol)
    response = client.get(url(tasks.to_group.key))
    assert response.status_code == 200
    assert [v.name for v in response.context["variables"]] == ["amount", "note"]
    body = response.content.decode()
    assert "For finance" in body
    assert "ORD-7" in body
    assert "&lt;b&gt;rush&lt;/b&gt;" in body


def test_admin_may_open_any_task(client, root, tasks):
    client.force_login(root)
    assert client.get(url(tasks.someone_elses.key)).status_code == 200


def test_a_local_variable_hides_the_process_variable_of_the_same_name(client, carol, tasks):
    from orchestration.models import Variable

    Variable.objects.create(
        instance=tasks.instance, scope_key=tasks.assigned.element_instance_key, name="amount", value=99
    )
    client.force_login(carol)
    variables = client.get(url(tasks.assigned.key)).context["variables"]
    assert {v.name: v.value for v in variables} == {"amount": 99, "note": "<b>rush</b>"}
