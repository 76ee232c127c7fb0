"""The Python worker SDK (orchestration.client) against a real uvicorn server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from orchestration.client import ApiError, BpmnError, Client
from orchestration.models import AuditEvent, Job, ProcessInstance

from .conftest import BASE_DIR, start, token_for


def wait_for(predicate, timeout: float = 20, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def completed(keys) -> int:
    return ProcessInstance.objects.filter(key__in=keys, state="completed").count()


def run_in_thread(client: Client) -> threading.Thread:
    thread = threading.Thread(target=client.run, kwargs={"install_signal_handlers": False}, daemon=True)
    thread.start()
    return thread


@pytest.fixture
def sdk(api_server, walt):
    clients: list[Client] = []

    def make(**kwargs) -> Client:
        client = Client(api_server.url, token=token_for(walt), **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.stop()
        client.close()


def test_workers_complete_every_job_of_a_three_task_process(sdk, processes):
    client = sdk()
    seen: list[str] = []

    @client.worker("api.a", concurrency=4, poll_timeout_ms=2000)
    def a(job):
        seen.append(job.element_id)
        return {"a": job.variables["n"] * 2}

    @client.worker("api.b", concurrency=2, poll_timeout_ms=2000)
    def b(job):
        return {"b": job.variables["a"] + 1}

    @client.worker("api.c", poll_timeout_ms=2000)
    def c(job):
        return None

    keys = [start("api-three", f"SDK-{n}", n=n).key for n in range(6)]
    thread = run_in_thread(client)
    wait_for(lambda: completed(keys) == 6, what="6 instances to complete")
    client.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert seen.count("a") == 6
    from orchestration.models import Variable

    assert Variable.objects.get(instance_id=keys[3], name="b").value == 7


def test_a_bpmn_error_from_a_handler_takes_the_boundary_path(sdk, processes):
    client = sdk()

    @client.worker("api.charge", poll_timeout_ms=1000)
    def charge(job):
        raise BpmnError("DECLINED", "card declined", {"reason": "limit"})

    instance = start("api-charge")
    thread = run_in_thread(client)
    wait_for(lambda: completed([instance.key]), what="the instance to end")
    client.stop()
    thread.join(timeout=10)
    trail = list(AuditEvent.objects.filter(instance_key=instance.key).values_list("type", "element_id"))
    assert ("job_error_thrown", "charge") in trail
    assert any(element == "end-declined" for _, element in trail)


def test_a_failing_handler_is_retried_with_backoff_then_succeeds(sdk, processes):
    client = sdk()
    attempts: list[int] = []

    @client.worker("api.work", poll_timeout_ms=500, backoff_seconds=0.3)
    def work(job):
        attempts.append(job.attempt)
        if len(attempts) == 1:
            raise RuntimeError("flaky")
        return {"done": True}

    instance = start("api-one")
    thread = run_in_thread(client)
    wait_for(lambda: completed([instance.key]), what="the instance to complete after a retry")
    client.stop()
    thread.join(timeout=10)
    job = Job.objects.get(instance=instance)
    assert attempts == [1, 2]
    assert job.retries == 1 and "flaky" in job.error_message
    assert AuditEvent.objects.filter(instance_key=instance.key, type="job_failed").count() == 1


def test_the_lock_of_a_long_handler_is_extended(sdk, processes):
    client = sdk()
    expiries = []

    @client.worker("api.work", lock_seconds=2, poll_timeout_ms=500)
    def work(job):
        expiries.append(Job.objects.get(key=job.key).lock_expires_at)
        time.sleep(3)
        expiries.append(Job.objects.get(key=job.key).lock_expires_at)
        return {}

    instance = start("api-one")
    thread = run_in_thread(client)
    wait_for(lambda: completed([instance.key]), what="the long job to complete")
    client.stop()
    thread.join(timeout=10)
    assert expiries[1] > expiries[0]


def test_stop_finishes_the_jobs_in_flight_and_polls_no_more(sdk, processes):
    client = sdk()
    running, release = threading.Event(), threading.Event()

    @client.worker("api.work", poll_timeout_ms=500)
    def work(job):
        running.set()
        release.wait(10)
        return {"finished": True}

    first = start("api-one")
    thread = run_in_thread(client)
    assert running.wait(10)
    client.stop()
    time.sleep(0.8)
    assert thread.is_alive(), "run() must wait for the job in flight"
    release.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert completed([first.key]) == 1
    later = start("api-one")
    time.sleep(0.5)
    assert Job.objects.get(instance=later).state == "activatable"


def test_api_errors_carry_the_status_and_code(sdk, processes):
    client = sdk()
    with pytest.raises(ApiError) as caught:
        client.complete_job("00000000-0000-0000-0000-000000000000")
    assert caught.value.status == 404 and caught.value.code == "not_found"
    with pytest.raises(ApiError) as caught:
        client.start_instance("no-such-process")
    assert caught.value.code == "not_found"


def test_sigterm_stops_a_worker_process_after_its_job(api_server, walt, processes, tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys, time
            from orchestration.client import Client

            client = Client(sys.argv[1], token=sys.argv[2])

            @client.worker("api.work", poll_timeout_ms=500)
            def work(job):
                print("started", flush=True)
                time.sleep(1.5)
                return {"byProcess": True}

            client.run()
            print("stopped", flush=True)
            """
        )
    )
    instance = start("api-one")
    env = {**os.environ, "PYTHONPATH": str(BASE_DIR)}
    process = subprocess.Popen(
        [sys.executable, str(script), api_server.url, token_for(walt)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "started"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "stopped" in output
    assert completed([instance.key]) == 1


def test_the_example_worker_completes_the_demo_loan(api_server, walt, monkeypatch, capsys):
    import importlib

    from orchestration import services

    xml = (BASE_DIR / "orchestration" / "demo" / "processes" / "loan-approval.bpmn").read_bytes()
    services.deploy(xml, actor="test", resource_name="loan-approval.bpmn")
    instance = start("loan-approval", "LOAN-78", amount=800, applicant="Barbara")
    monkeypatch.setenv("ORCHESTRATION_URL", api_server.url)
    monkeypatch.setenv("ORCHESTRATION_TOKEN", token_for(walt))
    import orchestration.client.example as example

    example = importlib.reload(example)
    thread = run_in_thread(example.client)
    try:
        wait_for(lambda: completed([instance.key]), what="LOAN-78 to complete")
    finally:
        example.client.stop()
        thread.join(timeout=15)
        example.client.close()
    assert "notify Barbara: loan LOAN-78 approved" in capsys.readouterr().out
