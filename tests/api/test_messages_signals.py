"""Messages (correlate, publish with TTL) and signals."""

from __future__ import annotations

from orchestration.models import BufferedMessage, ProcessInstance

from .conftest import assert_error, start


def test_correlate_delivers_to_the_waiting_instance(api, walt, processes):
    instance = start("api-message", orderId="O-1")
    response = api(walt).post(
        "/api/v1/messages/correlate",
        {"name": "api-paid", "correlationKey": "O-1", "variables": {"paid": True}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["correlations"] == [
        {"processInstanceKey": str(instance.key), "elementId": "wait-paid", "startedInstance": False}
    ]


def test_correlate_with_nobody_waiting_is_404_no_subscription(api, alice, processes):
    assert_error(
        api(alice).post("/api/v1/messages/correlate", {"name": "api-paid", "correlationKey": "none"}, format="json"),
        404,
        "no_subscription",
    )


def test_correlate_to_two_waiting_instances_is_409_unless_all(api, alice, processes):
    start("api-message", orderId="SAME")
    start("api-message", orderId="SAME")
    body = {"name": "api-paid", "correlationKey": "SAME"}
    assert_error(api(alice).post("/api/v1/messages/correlate", body, format="json"), 409, "ambiguous_correlation")
    response = api(alice).post("/api/v1/messages/correlate", {**body, "all": True}, format="json")
    assert len(response.json()["correlations"]) == 2


def test_correlate_needs_a_name_and_a_role(api, alice, bob, processes):
    assert (
        "name"
        in assert_error(api(alice).post("/api/v1/messages/correlate", {}, format="json"), 400, "invalid_input")[
            "fields"
        ]
    )
    assert_error(api(bob).post("/api/v1/messages/correlate", {"name": "x"}, format="json"), 403, "permission_denied")
    assert_error(api().post("/api/v1/messages/correlate", {"name": "x"}, format="json"), 401, "not_authenticated")


def test_a_published_message_waits_for_its_ttl_and_reaches_a_later_instance(api, walt, processes):
    response = api(walt).post(
        "/api/v1/messages/publish",
        {"name": "api-paid", "correlationKey": "LATE", "variables": {"paid": 1}, "ttlSeconds": 60},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["correlations"] == [] and body["buffered"]["key"]
    instance = start("api-message", orderId="LATE")
    assert BufferedMessage.objects.get(key=body["buffered"]["key"]).correlated_instance_key == instance.key


def test_publish_refuses_a_negative_ttl_and_a_duplicate_message_id(api, walt, processes):
    assert_error(
        api(walt).post("/api/v1/messages/publish", {"name": "m", "ttlSeconds": -1}, format="json"), 400, "invalid_input"
    )
    body = {"name": "m", "ttlSeconds": 60, "messageId": "once"}
    assert api(walt).post("/api/v1/messages/publish", body, format="json").status_code == 200
    assert_error(api(walt).post("/api/v1/messages/publish", body, format="json"), 409, "invalid_state")


def test_a_signal_reaches_every_waiting_instance(api, alice, bob, processes):
    instances = [start("api-message", orderId=f"S-{n}") for n in range(2)]
    for n in range(2):
        api(alice).post("/api/v1/messages/correlate", {"name": "api-paid", "correlationKey": f"S-{n}"}, format="json")
    response = api(alice).post("/api/v1/signals/broadcast", {"name": "api-go"}, format="json")
    assert response.status_code == 200 and response.json() == {"delivered": 2}
    assert {i.state for i in ProcessInstance.objects.filter(key__in=[i.key for i in instances])} == {"completed"}
    assert_error(api(alice).post("/api/v1/signals/broadcast", {"name": ""}, format="json"), 400, "invalid_input")
    assert_error(
        api(bob).post("/api/v1/signals/broadcast", {"name": "api-go"}, format="json"), 403, "permission_denied"
    )
