"""pycamunda 0.6: one request object per REST call, as its documentation shows.

Usage: flow.py BASE_URL USER PASSWORD BPMN_FILE
"""

import json
import sys
import time

import pycamunda.deployment
import pycamunda.externaltask
import pycamunda.incident
import pycamunda.message
import pycamunda.processdef
import pycamunda.processinst
import pycamunda.task

url, user, password, bpmn = sys.argv[1:5]
auth = (user, password)


def call(request):
    request.auth = auth
    return request()


create = pycamunda.deployment.Create(url=url, name="pycamunda-flow", enable_duplicate_filtering=True)
with open(bpmn, "rb") as f:
    create.add_resource(f)
    deployment = call(create)
print("deployed", deployment.id_, sorted(deployment.deployed_process_definitions or {}))

ids = {}
for mode in ("ok", "decline", "fail"):
    start = pycamunda.processdef.StartInstance(url=url, key="order-c7", business_key=f"pc-{mode}")
    start.add_variable(name="mode", value=mode)
    start.add_variable(name="orderId", value=f"PC-{mode}", type_="String")
    start.add_variable(name="amount", value=10, type_="Integer")
    ids[mode] = call(start).id_

handled = []
deadline = time.monotonic() + 40
while len(handled) < 6 and time.monotonic() < deadline:
    fetch = pycamunda.externaltask.FetchAndLock(
        url=url, worker_id="pc-worker", max_tasks=5, async_response_timeout=2000
    )
    fetch.add_topic(name="reserve-stock", lock_duration=10000)
    fetch.add_topic(name="charge-card", lock_duration=10000)
    for task in call(fetch):
        mode = task.variables["mode"].value
        handled.append((task.topic_name, mode))
        if task.topic_name == "reserve-stock" and mode == "fail":
            retries = 1 if task.retries is None else task.retries - 1
            call(
                pycamunda.externaltask.HandleFailure(
                    url=url,
                    id_=task.id_,
                    worker_id="pc-worker",
                    error_message="stock service down",
                    error_details="timeout",
                    retries=retries,
                    retry_timeout=100,
                )
            )
        elif task.topic_name == "reserve-stock":
            complete = pycamunda.externaltask.Complete(url=url, id_=task.id_, worker_id="pc-worker")
            complete.add_variable(name="reserved", value=True, type_="Boolean")
            call(complete)
        elif mode == "decline":
            error = pycamunda.externaltask.HandleBPMNError(
                url=url, id_=task.id_, worker_id="pc-worker", error_code="CARD_DECLINED", error_message="card declined"
            )
            call(error)
        else:
            complete = pycamunda.externaltask.Complete(url=url, id_=task.id_, worker_id="pc-worker")
            complete.add_variable(name="charged", value=True)
            call(complete)
if len(handled) < 6:
    print("worker handled only", handled)
    sys.exit(1)

incidents = call(pycamunda.incident.GetList(url=url, process_instance_id=ids["fail"]))
assert len(incidents) == 1 and incidents[0].incident_message == "stock service down", incidents

correlate = pycamunda.message.CorrelateSingle(url=url, message_name="PaymentConfirmed", result_enabled=True)
correlate.add_correlation_key(name="orderId", value="PC-ok", type_="String")
(result,) = call(correlate)
assert result.result_type.value == "Execution", result

tasks = call(pycamunda.task.GetList(url=url, process_instance_id=ids["ok"]))
call(pycamunda.task.Claim(url=url, id_=tasks[0].id_, user_id="carol"))
claimed = call(pycamunda.task.Get(url=url, id_=tasks[0].id_))
assert claimed.assignee == "carol", claimed
complete = pycamunda.task.Complete(url=url, id_=tasks[0].id_)
complete.add_variable(name="approved", value=True)
call(complete)
tree_of_fail = call(pycamunda.processinst.GetActivityInstance(url=url, id_=ids["fail"]))
running = call(pycamunda.processinst.GetList(url=url, process_definition_key="order-c7"))
print(
    "RESULT",
    json.dumps(
        {
            "ids": ids,
            "handled": handled,
            "running": [i.id_ for i in running],
            "fail_tree": [c.activity_id for c in tree_of_fail.child_activity_instances],
        }
    ),
)
