"""camunda-external-task-client-python3 (4.x), its documented flow: an ExternalTaskWorker
subscribed to topics (in a thread: subscribe() never returns), EngineClient to start processes
and correlate a message. It has no deploy or task API, so those two go through `requests`
(its own dependency) against the same REST endpoints.

Usage: flow.py BASE_URL USER PASSWORD BPMN_FILE
"""

import json
import sys
import threading
import time

import requests
from camunda.client.engine_client import EngineClient
from camunda.external_task.external_task_worker import ExternalTaskWorker

base_url, user, password, bpmn = sys.argv[1:5]
auth = {"auth_basic": {"username": user, "password": password}}
handled = []


def deploy():
    with open(bpmn, "rb") as f:
        response = requests.post(
            f"{base_url}/deployment/create",
            data={"deployment-name": "etc-flow", "enable-duplicate-filtering": "true"},
            files={"data": ("order_c7.bpmn", f)},
            auth=(user, password),
            timeout=10,
        )
    response.raise_for_status()
    return response.json()


def handle(task):
    mode = task.get_variable("mode")
    topic = task.get_topic_name()
    handled.append((topic, mode))
    if topic == "reserve-stock":
        if mode == "fail":
            return task.failure("stock service down", "connection refused", max_retries=1, retry_timeout=100)
        return task.complete({"reserved": True})
    if mode == "decline":
        return task.bpmn_error("CARD_DECLINED", "card declined", {"declineReason": "limit"})
    return task.complete({"charged": True}, {"receipt": "local-only"})


engine = EngineClient(base_url, config=auth)
deployment = deploy()
print("deployed", json.dumps(sorted((deployment.get("deployedProcessDefinitions") or {}).keys())))
ids = {}
for mode in ("ok", "decline", "fail"):
    started = engine.start_process(
        "order-c7", {"mode": mode, "orderId": f"ETC-{mode}", "amount": 42.5}, business_key=f"etc-{mode}"
    )
    ids[mode] = started["id"]

worker = ExternalTaskWorker(
    worker_id="etc-worker",
    base_url=base_url,
    config={**auth, "maxTasks": 2, "lockDuration": 10000, "asyncResponseTimeout": 3000, "sleepSeconds": 1},
)
threading.Thread(target=worker.subscribe, args=(["reserve-stock", "charge-card"], handle), daemon=True).start()

deadline = time.monotonic() + 40
expected = 6  # ok: reserve+charge, decline: reserve+error, fail: two failures
while len(handled) < expected and time.monotonic() < deadline:
    time.sleep(0.1)
if len(handled) < expected:
    print("worker handled only", handled)
    sys.exit(1)


def get(path, **params):
    response = requests.get(f"{base_url}{path}", params=params, auth=(user, password), timeout=10)
    response.raise_for_status()
    return response.json()


# the worker thread reports its last result after handle() returns: wait until the engine shows it
while time.monotonic() < deadline:
    incidents = get("/incident", processInstanceId=ids["fail"])
    declined = get("/history/process-instance", processInstanceId=ids["decline"])
    waiting = get("/process-instance/" + ids["ok"] + "/activity-instances")["childActivityInstances"]
    if incidents and declined[0]["state"] == "COMPLETED" and [a["activityId"] for a in waiting] == ["wait-payment"]:
        break
    time.sleep(0.1)

# the message: correlated by business key (the client's correlate_message has no correlation keys)
result = engine.correlate_message("PaymentConfirmed", business_key="etc-ok", process_variables={"paid": True})
assert result[0]["resultType"] == "Execution", result

tasks = requests.get(
    f"{base_url}/task", params={"processInstanceId": ids["ok"]}, auth=(user, password), timeout=10
).json()
task_id = tasks[0]["id"]
requests.post(
    f"{base_url}/task/{task_id}/claim", json={"userId": "carol"}, auth=(user, password), timeout=10
).raise_for_status()
done = requests.post(
    f"{base_url}/task/{task_id}/complete",
    json={"variables": {"approved": {"value": True, "type": "Boolean"}}},
    auth=(user, password),
    timeout=10,
)
done.raise_for_status()
instances = engine.get_process_instance("order-c7")
print("RESULT", json.dumps({"ids": ids, "handled": handled, "running": [i["id"] for i in instances]}))
