"""The migration page: both diagrams, an editable element mapping checked by the service, an
eligibility report, and a run for one instance or a (canary) batch; operators only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from orchestration import services
from orchestration.models import AuditEvent, BatchOperation, ElementInstance, Job, ProcessInstance, ProcessPermission
from orchestration.services import batches

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "services" / "fixtures"


def deploy(name: str):
    (definition,) = services.deploy((FIXTURES / f"{name}.bpmn").read_text(), actor="admin").definitions
    return definition


@pytest.fixture
def versions(db):
    return deploy("migration_page_v1"), deploy("migration_page_v2")


def start(v1, business_key: str, path: str = "a") -> ProcessInstance:
    return services.start_instance(definition=v1, business_key=business_key, variables={"path": path}, actor="test")


def page(v1, **query) -> str:
    url = reverse("operate:process_migrate", args=[v1.key])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def active(instance) -> list[str]:
    return sorted(
        ElementInstance.objects.filter(instance_id=instance.key, state="active").values_list("element_id", flat=True)
    )


def mapping_fields(v2, **mapping) -> dict[str, str]:
    """The form as the page sends it: every row (route, Task_A, Task_C), edited."""
    fields = {"target": str(v2.key), "edited": "1", "map-route": "route", "map-Task_A": "Task_A", "map-Task_C": ""}
    fields.update({f"map-{source}": target for source, target in mapping.items()})
    return fields


def run_to_end(batch_key) -> None:
    for _ in range(50):
        if batches.run_batch_chunk(batch_key, size=50, dispatch=False).remaining == 0:
            return


def complete_open_job(instance) -> None:
    job = Job.objects.get(instance_id=instance.key, state__in=Job.OPEN_STATES)
    services.complete_job(job.key, actor="worker", dispatch=False)


# -- the page ----------------------------------------------------------------------


def test_page_shows_both_diagrams_and_the_proposed_mapping(client, alice, versions):
    v1, v2 = versions
    start(v1, "CLM-1")
    client.force_login(alice)

    response = client.get(page(v1, target=v2.key))

    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<svg") == 2 and 'id="diagram-source"' in body and 'id="diagram-target"' in body
    rows = {row.element.id: row for row in response.context["rows"]}
    assert set(rows) == {"route", "Task_A", "Task_C"}  # start and end events never hold a token
    assert rows["Task_A"].chosen == "Task_A" and rows["Task_C"].chosen == ""
    # only elements of the same kind are offered: job tasks, not the user task
    assert [c.id for c in rows["Task_A"].choices] == ["Task_A", "Task_B"]
    assert 'name="map-Task_A"' in body and '<option value="Task_B">' in body
    assert '<option value="Review"' not in body


def test_the_source_diagram_shows_incidents_in_red_among_the_waiting_tokens(client, alice, versions):
    v1, _ = versions
    start(v1, "CLM-1")
    stuck = start(v1, "CLM-2")
    job = Job.objects.get(instance_id=stuck.key, state__in=Job.OPEN_STATES)
    services.fail_job(job.key, actor="worker", retries=0, error_message="boom")
    client.force_login(alice)

    svg = client.get(page(v1)).context["source_diagram"]["svg"]

    task_a = re.search(r'<g id="v1-el-Task_A"[^>]*class="([^"]*)"', svg) or re.search(
        r'<g[^>]*class="([^"]*)"[^>]*id="v1-el-Task_A"', svg
    )
    assert task_a is not None and {"bpmn-active", "bpmn-incident"} <= set(task_a.group(1).split())
    assert "bpmn-badge-incidents" in svg


def test_the_process_version_page_and_the_instance_migrate_action_link_to_the_page(client, alice, versions):
    v1, v2 = versions
    instance = start(v1, "CLM-1")
    client.force_login(alice)

    process_page = client.get(reverse("operate:process", args=[v1.key])).content.decode()
    action = client.get(reverse("operate:instance_migrate", args=[instance.key]), {"migrate-target": str(v2.key)})

    assert reverse("operate:process_migrate", args=[v1.key]) in process_page
    assert action.context["page_url"] == page(v1, target=v2.key, instance=instance.key)
    assert action.context["page_url"] in action.content.decode().replace("&amp;", "&")


def test_editing_the_mapping_moves_the_token_of_one_instance_where_the_operator_says(client, alice, versions):
    v1, v2 = versions
    instance = start(v1, "CLM-1")
    assert active(instance) == ["Task_A"]
    client.force_login(alice)

    response = client.post(page(v1), {**mapping_fields(v2, Task_A="Task_B"), "instance": str(instance.key)})

    assert response.status_code == 302 and response["Location"] == reverse("operate:instance", args=[instance.key])
    assert ProcessInstance.objects.get(key=instance.key).definition_id == v2.key
    assert active(instance) == ["Task_B"]  # the proposed mapping would have kept it in Task_A
    (event,) = AuditEvent.objects.filter(instance_key=instance.key, type="instance_migrated")
    assert event.actor == "alice" and ["Task_A", "Task_B"] in event.data["instructions"]
    complete_open_job(instance)
    assert ProcessInstance.objects.get(key=instance.key).state == ProcessInstance.State.COMPLETED


def test_a_batch_with_an_edited_mapping_moves_every_token_and_the_instances_complete(client, alice, versions):
    v1, v2 = versions
    instances = [start(v1, f"CLM-{n}") for n in range(4)]
    client.force_login(alice)

    response = client.post(page(v1), {**mapping_fields(v2, Task_A="Task_B"), "reason": "pay out directly"})

    batch = BatchOperation.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("operate:batch", args=[batch.key])
    assert (batch.kind, batch.total, batch.created_by, batch.reason) == ("migrate", 4, "alice", "pay out directly")
    assert ["Task_A", "Task_B"] in batch.params["instructions"]
    run_to_end(batch.key)
    for instance in instances:
        assert active(instance) == ["Task_B"]
        complete_open_job(instance)
        assert ProcessInstance.objects.get(key=instance.key).state == ProcessInstance.State.COMPLETED


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("Review", "'Task_A' is a job task but 'Review' is a user task"),
        ("Nope", "'Nope' is not an element of v2"),
    ],
)
def test_a_bad_mapping_row_is_refused_with_its_error_and_nothing_migrates(client, alice, versions, bad, message):
    v1, v2 = versions
    instance = start(v1, "CLM-1")
    client.force_login(alice)

    single = client.post(page(v1), {**mapping_fields(v2, Task_A=bad), "instance": str(instance.key)})
    bulk = client.post(page(v1), mapping_fields(v2, Task_A=bad))
    preview = client.get(page(v1), mapping_fields(v2, Task_A=bad))

    for response in (single, bulk):
        assert response.status_code == 400
        rows = {row.element.id: row for row in response.context["rows"]}
        assert message in rows["Task_A"].error and not rows["route"].error
        assert message in response.content.decode().replace("&#x27;", "'")
    assert (
        preview.status_code == 200 and preview.context["report"] is None and 'id="run"' not in preview.content.decode()
    )
    assert ProcessInstance.objects.get(key=instance.key).definition_id == v1.key
    assert not BatchOperation.objects.exists()
    assert not AuditEvent.objects.filter(type="instance_migrated").exists()


def test_the_start_button_is_disabled_when_no_selected_instance_can_migrate(client, alice, versions):
    v1, v2 = versions
    start(v1, "CLM-1")  # waits at Task_A
    client.force_login(alice)

    blocked = client.get(page(v1), mapping_fields(v2, Task_A="")).content.decode()
    fine = client.get(page(v1), mapping_fields(v2)).content.decode()

    assert "0</strong> of 1 active instance" in blocked
    assert '<button type="submit" class="primary" disabled' in blocked and "No selected instance can migrate" in blocked
    assert '<button type="submit" class="primary" disabled' not in fine


# -- eligibility --------------------------------------------------------------------


def test_eligibility_groups_hundreds_of_instances_by_reason_in_bounded_queries(
    client, alice, versions, django_assert_max_num_queries
):
    v1, v2 = versions
    for n in range(240):
        start(v1, f"A-{n:03}")
    for n in range(60):
        start(v1, f"C-{n:03}", path="c")
    client.force_login(alice)

    with django_assert_max_num_queries(45):
        response = client.get(page(v1, target=v2.key))

    report = response.context["report"]
    assert (report.total, report.eligible.count, report.blocked_count) == (300, 240, 60)
    (group,) = report.blocked
    assert group.problems == (
        "active element 'Task_C' has no mapping instruction (the target version has no 'Task_C')",
    )
    assert len(group.sample) == 5 and all(business_key.startswith("C-") for _, business_key in group.sample)
    body = response.content.decode()
    assert reverse("operate:instance", args=[group.sample[0][0]]) in body
    assert "no mapping instruction" in body and '<strong class="big">240</strong>' in body

    # mapping Task_C by hand makes them all eligible
    edited = client.get(page(v1), mapping_fields(v2, Task_C="Task_B"))
    assert (edited.context["report"].eligible.count, edited.context["report"].blocked) == (300, [])


def test_a_filter_narrows_the_selection_to_matching_instances_of_the_source_version(client, alice, versions):
    v1, v2 = versions
    start(v1, "EU-1")
    start(v1, "EU-2", path="c")
    start(v1, "US-1")
    on_v2 = services.start_instance(definition=v2, business_key="EU-3", variables={}, actor="test")
    client.force_login(alice)

    response = client.get(page(v1, target=v2.key, business_key="EU"))

    report = response.context["report"]
    assert (report.total, report.eligible.count, report.blocked_count) == (2, 1, 1)
    assert on_v2.key not in [key for key, _ in report.eligible.sample]


def test_htmx_rechecks_only_the_plan_when_a_select_changes(client, alice, versions):
    v1, v2 = versions
    start(v1, "CLM-1", path="c")
    client.force_login(alice)

    response = client.get(
        page(v1), mapping_fields(v2, Task_C="Task_A"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="migration-plan"
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="migration-plan">') and "<svg" not in body
    assert response.context["report"].eligible.count == 1


# -- canary ------------------------------------------------------------------------


def test_a_canary_batch_takes_n_instances_and_the_rest_follows_from_the_batch_page(client, alice, versions):
    v1, v2 = versions
    instances = [start(v1, f"CLM-{n:02}") for n in range(12)]
    client.force_login(alice)

    client.post(page(v1), {**mapping_fields(v2, Task_A="Task_B"), "canary": "on", "canary_size": "5"})
    canary = BatchOperation.objects.get()
    assert (canary.total, canary.params["limit"]) == (5, 5)
    batch_page = client.get(reverse("operate:batch", args=[canary.key])).content.decode()
    assert "This is a canary" in batch_page and "Migrate the rest" not in batch_page  # still running
    run_to_end(canary.key)
    migrated = {i.key for i in instances if ProcessInstance.objects.get(key=i.key).definition_id == v2.key}
    assert migrated == {i.key for i in instances[:5]}  # the oldest five

    batch_page = client.get(reverse("operate:batch", args=[canary.key])).content.decode()
    assert reverse("operate:batch_migrate_rest", args=[canary.key]) in batch_page
    assert "Migrate the rest: 7 instances" in batch_page  # the count before the click
    response = client.post(reverse("operate:batch_migrate_rest", args=[canary.key]), {"expected": "7"})

    rest = BatchOperation.objects.exclude(key=canary.key).get()
    assert response["Location"] == reverse("operate:batch", args=[rest.key])
    assert rest.total == 7 and "limit" not in rest.params and rest.params["rest_of"] == str(canary.key)
    assert set(rest.items.values_list("instance_key", flat=True)) == {i.key for i in instances[5:]}
    run_to_end(rest.key)
    for instance in instances:
        assert active(instance) == ["Task_B"]


def test_the_rest_is_refused_when_the_filter_matches_another_number_than_shown(client, alice, versions):
    v1, v2 = versions
    for n in range(4):
        start(v1, f"CLM-{n}")
    client.force_login(alice)
    client.post(page(v1), {**mapping_fields(v2), "canary": "on", "canary_size": "2"})
    canary = BatchOperation.objects.get()
    run_to_end(canary.key)
    assert "Migrate the rest: 2 instances" in client.get(reverse("operate:batch", args=[canary.key])).content.decode()
    start(v1, "CLM-late")  # reaches the filter after the page was drawn

    response = client.post(reverse("operate:batch_migrate_rest", args=[canary.key]), {"expected": "2"}, follow=True)

    assert BatchOperation.objects.count() == 1
    assert "now matches 3 instances" in response.content.decode()
    assert "Migrate the rest: 3 instances" in response.content.decode()


def test_the_rest_waits_until_the_canary_has_finished(client, alice, versions):
    v1, v2 = versions
    for n in range(3):
        start(v1, f"CLM-{n}")
    client.force_login(alice)
    client.post(page(v1), {**mapping_fields(v2), "canary": "on", "canary_size": "1"})
    canary = BatchOperation.objects.get()

    client.post(reverse("operate:batch_migrate_rest", args=[canary.key]))

    assert BatchOperation.objects.count() == 1


def test_a_canary_needs_a_size(client, alice, versions):
    v1, v2 = versions
    start(v1, "CLM-1")
    client.force_login(alice)

    response = client.post(page(v1), {**mapping_fields(v2), "canary": "on", "canary_size": ""})

    assert response.status_code == 400 and response.context["run_form"].errors["canary_size"]
    assert not BatchOperation.objects.exists()


# -- who may -----------------------------------------------------------------------


def test_support_sees_the_plan_read_only_and_cannot_run_it(client, bob, versions):
    v1, v2 = versions
    instance = start(v1, "CLM-1")
    client.force_login(bob)

    response = client.get(page(v1, target=v2.key))
    body = response.content.decode()
    assert response.status_code == 200 and response.context["report"].eligible.count == 1
    assert 'id="run"' not in body and "Start migration batch" not in body and "read only" not in body
    assert "running a migration needs the operator or admin role" in body

    assert client.post(page(v1), {**mapping_fields(v2), "instance": str(instance.key)}).status_code == 403
    assert client.post(page(v1), mapping_fields(v2)).status_code == 403
    assert ProcessInstance.objects.get(key=instance.key).definition_id == v1.key
    assert not BatchOperation.objects.exists()


def test_users_without_a_role_get_403_and_logged_out_users_the_login_page(client, dave, versions):
    v1, v2 = versions
    start(v1, "CLM-1")
    assert client.get(page(v1, target=v2.key)).status_code == 302
    client.force_login(dave)
    assert client.get(page(v1, target=v2.key)).status_code == 403
    assert client.post(page(v1), mapping_fields(v2)).status_code == 403
    assert not BatchOperation.objects.exists()


def test_a_per_process_rule_takes_the_run_away_from_an_operator(client, alice, versions):
    v1, v2 = versions
    instance = start(v1, "CLM-1")
    group = Group.objects.create(name="no-claims")
    alice.groups.add(group)
    ProcessPermission.objects.create(group=group, bpmn_process_id="claims", capability="repair", allow=False)
    client.force_login(alice)

    response = client.get(page(v1, target=v2.key))

    assert response.status_code == 200 and 'id="run"' not in response.content.decode()
    assert client.post(page(v1), {**mapping_fields(v2), "instance": str(instance.key)}).status_code == 403
    assert ProcessInstance.objects.get(key=instance.key).definition_id == v1.key


def test_an_admin_may_run_and_support_may_not_migrate_the_rest(client, bob, versions):
    from django.contrib.auth.models import User

    v1, v2 = versions
    for n in range(2):
        start(v1, f"CLM-{n}")
    root = User.objects.create_user("root", password="pw")
    root.groups.add(Group.objects.get(name="admin"))
    client.force_login(root)
    client.post(page(v1), {**mapping_fields(v2), "canary": "on", "canary_size": "1"})
    canary = BatchOperation.objects.get()
    run_to_end(canary.key)

    client.force_login(bob)
    assert client.post(reverse("operate:batch_migrate_rest", args=[canary.key])).status_code == 403
    assert BatchOperation.objects.count() == 1


def test_unknown_versions_and_batches_are_404(client, alice, versions):
    v1, _ = versions
    client.force_login(alice)
    unknown = "00000000-0000-7000-8000-000000000000"
    assert client.get(reverse("operate:process_migrate", args=[unknown])).status_code == 404
    assert client.post(reverse("operate:batch_migrate_rest", args=[unknown])).status_code == 404
    response = client.get(page(v1, target=unknown))
    assert response.status_code == 200 and "is not another version" in response.context["error"]


def test_submitting_the_run_form_twice_starts_one_batch(client, alice, versions):
    v1, v2 = versions
    for n in range(4):
        start(v1, f"CLM-{n}")
    client.force_login(alice)
    form = client.get(page(v1, target=v2.key)).content.decode()
    token = form.split('name="submit_token" value="', 1)[1].split('"', 1)[0]
    fields = {**mapping_fields(v2), "submit_token": token}

    first = client.post(page(v1), fields)
    second = client.post(page(v1), fields, follow=True)

    batch = BatchOperation.objects.get()
    assert first["Location"] == reverse("operate:batch", args=[batch.key])
    assert "already submitted" in second.content.decode()
    assert batch.total == 4


def test_migrate_the_rest_twice_starts_one_batch(client, alice, versions):
    v1, v2 = versions
    for n in range(3):
        start(v1, f"CLM-{n}")
    client.force_login(alice)
    client.post(page(v1), {**mapping_fields(v2), "canary": "on", "canary_size": "1"})
    canary = BatchOperation.objects.get()
    run_to_end(canary.key)

    client.post(reverse("operate:batch_migrate_rest", args=[canary.key]), {"expected": "2"})
    client.post(reverse("operate:batch_migrate_rest", args=[canary.key]), {"expected": "2"})

    assert BatchOperation.objects.exclude(key=canary.key).count() == 1
