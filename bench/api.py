"""External-worker throughput on a 3-task process: the native SDK over /api/v1 next to
the in-engine Celery handler path, in the same run. Prints `name: value` lines.

    .venv/bin/python bench/api.py            # 300 instances per path
    .venv/bin/python bench/api.py --quick    # 60 instances per path

- celery_local: job type `noop` (a local handler: the worker runs the next
  tasks inline in the same command), a `celery -A config worker` with
  concurrency 2 (bench/engine.py's worker);
- celery_remote: job type `noop-remote` (bench/handlers_bench.py): one Celery
  message, one claim and one complete command per task, same worker;
- sdk: job types `bench.api.a/b/c` with no Python handler, served by
  `uvicorn config.asgi:application --workers 2` and completed by
  orchestration.client workers (concurrency 4 per type, long polling) in this
  process.

Instances are started in-process by the services in every case, and the clock
stops when the last one is completed. Uses its own database
(orchestration_bench_api, flushed) and Redis db 12 (flushed).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DB_NAME", "orchestration_bench_api")

from bench import engine as base  # noqa: E402

base.REDIS_URL = "redis://127.0.0.1:6379/12"
base.ENV["CELERY_BROKER_URL"] = base.REDIS_URL
base.ENV["ORCHESTRATION_EXTRA_HANDLER_MODULES"] = "bench.handlers_bench"
SERVER_WORKERS = 2
SDK_CONCURRENCY = 4

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://example.com/bench">
  <bpmn:process id="{pid}" isExecutable="true">
    <bpmn:startEvent id="start" />
"""


def three_tasks(process_id: str, types: tuple[str, str, str]) -> str:
    body = _HEAD.format(pid=process_id)
    ids = ["start", "t1", "t2", "t3", "end"]
    for element_id, job_type in zip(ids[1:4], types, strict=True):
        body += (
            f'    <bpmn:serviceTask id="{element_id}"><bpmn:extensionElements>'
            f'<zeebe:taskDefinition type="{job_type}" /></bpmn:extensionElements></bpmn:serviceTask>\n'
        )
    body += '    <bpmn:endEvent id="end" />\n'
    for source, target in zip(ids, ids[1:], strict=False):
        body += f'    <bpmn:sequenceFlow id="f-{source}-{target}" sourceRef="{source}" targetRef="{target}" />\n'
    return body + "  </bpmn:process>\n</bpmn:definitions>\n"


def deploy(process_id: str, types: tuple[str, str, str]):
    from orchestration import services

    return services.deploy(
        three_tasks(process_id, types), actor="bench", resource_name=f"{process_id}.bpmn"
    ).definitions[0]


def run(definition, n: int) -> float:
    """Start n instances; instances per second until all are completed."""
    from orchestration import services

    before = base.completed_count(definition)
    started = time.perf_counter()
    for _ in range(n):
        services.start_instance(definition=definition, actor="bench")
    base.wait_until(lambda: base.completed_count(definition) - before >= n, f"{n} instances", timeout=120 + n)
    return n / (time.perf_counter() - started)


@contextmanager
def api_server():
    """uvicorn on the benchmark database; stopped on the way out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tempfile.NamedTemporaryFile(prefix="bench-uvicorn-", suffix=".log", delete=False)
    command = [
        sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(SERVER_WORKERS), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{url}/api/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not start; see {log.name}") from None
                time.sleep(0.1)
        yield url
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def worker_token() -> str:
    from django.contrib.auth.models import Group, User
    from rest_framework.authtoken.models import Token

    user, _ = User.objects.get_or_create(username="bench-worker")
    user.groups.add(Group.objects.get_or_create(name="worker")[0])
    return Token.objects.get_or_create(user=user)[0].key


def bench_sdk(n: int, warm: int) -> float:
    from orchestration.client import Client

    types = ("bench.api.a", "bench.api.b", "bench.api.c")
    definition = deploy("bench-api-sdk", types)
    with api_server() as url:
        client = Client(url, token=worker_token())
        for job_type in types:
            client.worker(job_type, concurrency=SDK_CONCURRENCY, max_jobs=SDK_CONCURRENCY, poll_timeout_ms=5000)(
                lambda job: {}
            )
        thread = threading.Thread(target=client.run, kwargs={"install_signal_handlers": False}, daemon=True)
        thread.start()
        try:
            run(definition, warm)
            return run(definition, n)
        finally:
            client.stop()
            thread.join(timeout=30)
            client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 instances per path instead of 300")
    args = parser.parse_args()
    n = 60 if args.quick else 300
    warm = 12
    began = time.perf_counter()
    base.emit("mode", "quick" if args.quick else "full")
    base.emit("instances_per_path", n)
    base.emit("cpu_count", os.cpu_count())
    base.emit("celery_worker_concurrency", base.CONCURRENCY)
    base.emit("sdk_server_workers", SERVER_WORKERS)
    base.emit("sdk_concurrency_per_type", SDK_CONCURRENCY)
    base.prepare_environment()
    local = deploy("bench-api-local", ("noop", "noop", "noop"))
    remote = deploy("bench-api-remote", ("noop-remote", "noop-remote", "noop-remote"))
    with base.celery_worker():
        run(local, warm)
        celery_local = run(local, n)
        run(remote, warm)
        celery_remote = run(remote, n)
    base.emit("celery_local_3task_instances_per_s", celery_local)
    base.emit("celery_remote_3task_instances_per_s", celery_remote)
    sdk = bench_sdk(n, warm)
    base.emit("sdk_3task_instances_per_s", sdk)
    base.emit("sdk_vs_celery_remote_ratio", sdk / celery_remote)
    camunda_runner = ROOT / "bench" / "api_camunda7.py"
    if camunda_runner.exists():
        done = subprocess.run(
            [sys.executable, str(camunda_runner), *(["--quick"] if args.quick else [])],
            cwd=ROOT,
            check=False,
            stdout=subprocess.PIPE,
            text=True,
        )
        print(done.stdout, end="", flush=True)
        figures = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
        camunda7 = float(figures.get("camunda7_client_instances_per_s", "nan"))
        base.emit("camunda7_client_vs_sdk_ratio", camunda7 / sdk)
        base.emit("camunda7_client_vs_celery_remote_ratio", camunda7 / celery_remote)
        base.emit("camunda7_client_vs_celery_local_ratio", camunda7 / celery_local)
    else:
        print(
            "camunda_external_task_client_3task_instances_per_s: TODO (runner bench/api_camunda7.py, from the /engine-rest work)"
        )
    base.emit("total_seconds", time.perf_counter() - began)


if __name__ == "__main__":
    main()
