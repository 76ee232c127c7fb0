"""camunda-client 0.15 (async, httpx): CamundaEngineClient to start and correlate and work user
tasks, ExternalTaskWorker + TopicConsumer to fetch and lock, complete, fail and throw BPMN errors.
It has no deploy call, so the deployment uses its httpx client against /deployment/create.

Usage: flow.py BASE_URL USER PASSWORD BPMN_FILE
"""

import asyncio
import json
import sys
import uuid
from datetime import timedelta

import httpx
from camunda_client import CamundaEngineClient, ExternalTaskClient, ExternalTaskConfig, ExternalTaskWorker
from camunda_client.clients.dto import AuthData
from camunda_client.clients.engine.schemas import GetTasksFilterSchema, SendCorrelationMessageSchema
from camunda_client.clients.engine.schemas.query import ProcessInstanceQuerySchema
from camunda_client.utils import deserialize

base_url, user, password, bpmn = sys.argv[1:5]
auth = AuthData(username=user, password=password)
handled = []


async def consume(consumer, topic):
    async for ctx in consumer:
        async with ctx as task:
            mode = task.parsed_variables.get("mode")
            if topic == "reserve-stock" and mode == "fail":
                # Camunda's retries stay null until the first failure: then count down
                retries = 1 if task.retries is None else task.retries - 1
                await ctx.fail("stock service down", retries=retries, error_details="boom")
            elif topic == "reserve-stock":
                await ctx.complete({"reserved": deserialize(True)})
            elif mode == "decline":
                await ctx.bpmn_error("CARD_DECLINED", "card declined", {"declineReason": deserialize("limit")})
            else:
                await ctx.complete({"charged": deserialize(True)})
            handled.append((topic, mode))  # after the engine answered


async def main():
    transport = httpx.AsyncHTTPTransport()
    async with httpx.AsyncClient(base_url=base_url, auth=(user, password)) as http:
        with open(bpmn, "rb") as f:
            response = await http.post(
                "/deployment/create", data={"deployment-name": "cc-flow"}, files={"data": ("order_c7.bpmn", f.read())}
            )
        response.raise_for_status()

    engine = CamundaEngineClient(base_url=base_url, auth_data=auth, transport=transport)
    ids = {}
    for mode in ("ok", "decline", "fail"):
        instance = await engine.start_process(
            "order-c7",
            business_key=f"cc-{mode}",
            variables={
                "mode": deserialize(mode),
                "orderId": deserialize(f"CC-{mode}"),
                "items": deserialize({"sku": "A", "qty": 2}),
            },
        )
        ids[mode] = str(instance.id)

    tasks_client = ExternalTaskClient(
        worker_id="cc-worker",
        base_url=base_url,
        auth_data=auth,
        transport=transport,
        config=ExternalTaskConfig(
            max_tasks=5, async_response_timeout=timedelta(seconds=2), retry_timeout=timedelta(milliseconds=100)
        ),
    )
    worker = ExternalTaskWorker(client=tasks_client, pull_interval=timedelta(milliseconds=100))
    async with worker:
        async with worker.subscribe("reserve-stock") as reserve, worker.subscribe("charge-card") as charge:
            consumers = [
                asyncio.create_task(consume(reserve, "reserve-stock")),
                asyncio.create_task(consume(charge, "charge-card")),
            ]
            for _ in range(400):
                if len(handled) >= 6:
                    break
                await asyncio.sleep(0.1)
            worker._closing.set()
            for c in consumers:
                c.cancel()
    if len(handled) < 6:
        print("worker handled only", handled)
        sys.exit(1)

    # the message: correlation keys are matched against the waiting instances' process variables
    results = await engine.send_correlation_message(
        SendCorrelationMessageSchema(
            message_name="PaymentConfirmed", correlation_keys={"orderId": deserialize("CC-ok")}, result_enabled=True
        )
    )
    assert results[0]["resultType"] == "Execution", results

    tasks = await engine.get_tasks(
        GetTasksFilterSchema(process_instance_id=uuid.UUID(ids["ok"]), candidate_group="approver")
    )
    task = tasks[0]
    claimer = uuid.uuid4()
    await engine.claim_task(task.id, claimer)
    claimed = await engine.get_task(task.id)
    assert claimed.assignee == str(claimer), claimed
    await engine.submit_task_form(task.id, {"approved": deserialize(True)})
    running = await engine.get_process_instances(ProcessInstanceQuerySchema(process_definition_key="order-c7"))
    print("RESULT", json.dumps({"ids": ids, "handled": handled, "running": [str(i.id) for i in running]}))


asyncio.run(main())
