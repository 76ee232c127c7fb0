"""The diagram of a deployment or a process definition as SVG (operate.diagram.render_svg)."""

from __future__ import annotations

from orchestration.models import ProcessDefinition

from .conftest import assert_error

UNKNOWN = "00000000-0000-7000-8000-000000000000"


def test_the_diagram_of_a_definition_is_svg(api, bob, processes):
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-three")
    response = api(bob).get(f"/api/v1/process-definitions/{definition.key}/diagram.svg")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("image/svg+xml")
    svg = response.content.decode()
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:200]
    assert 'data-element-id="a"' in svg and 'data-element-id="c"' in svg
    assert "<script" not in svg and "href=" not in svg  # no links for API clients


def test_a_client_that_accepts_only_svg_gets_it(api, bob, processes):
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-one")
    response = api(bob).get(f"/api/v1/process-definitions/{definition.key}/diagram.svg", HTTP_ACCEPT="image/svg+xml")
    assert response.status_code == 200 and b'data-element-id="work"' in response.content


def test_the_diagram_of_a_deployment_draws_the_chosen_process(api, bob, processes):
    review = ProcessDefinition.objects.get(bpmn_process_id="api-review")
    url = f"/api/v1/deployments/{review.deployment_id}/diagram.svg"
    first = api(bob).get(url)
    assert first.status_code == 200 and first["Content-Type"].startswith("image/svg+xml")
    assert b'data-element-id="review"' in first.content
    finance = api(bob).get(url, {"processId": "api-finance"})
    assert finance.status_code == 200 and b'data-element-id="book"' in finance.content


def test_bad_input_is_400(api, bob, processes):
    review = ProcessDefinition.objects.get(bpmn_process_id="api-review")
    url = f"/api/v1/deployments/{review.deployment_id}/diagram.svg"
    assert_error(api(bob).get(url, {"processId": "api-one"}), 400, "invalid_input")  # another deployment's
    assert_error(api(bob).get(url, {"processId": "x" * 256}), 400, "invalid_input")


def test_unknown_keys_are_404(api, bob, db):
    for path in ("deployments", "process-definitions"):
        assert_error(api(bob).get(f"/api/v1/{path}/{UNKNOWN}/diagram.svg"), 404, "not_found")
        assert_error(api(bob).get(f"/api/v1/{path}/not-a-key/diagram.svg"), 404, "not_found")


def test_diagrams_need_the_view_role(api, dave, walt, processes):
    definition = ProcessDefinition.objects.get(bpmn_process_id="api-three")
    for url in (
        f"/api/v1/process-definitions/{definition.key}/diagram.svg",
        f"/api/v1/deployments/{definition.deployment_id}/diagram.svg",
    ):
        assert_error(api().get(url), 401, "not_authenticated")
        for user in (dave, walt):
            assert_error(api(user).get(url), 403, "permission_denied")
