"""External-worker throughput of camunda-external-task-client-python3 through /engine-rest,
on bench/api.py's 3-task process. Prints `name: value` lines; bench/api.py runs it after
its own paths and prints the ratios to them.

    .venv/bin/python bench/api_camunda7.py            # 300 instances
    .venv/bin/python bench/api_camunda7.py --quick    # 60 instances

- The client runs in its own virtualenv, the one tests/compat builds
  (var/compat/external_task_client from
  tests/compat/clients/external_task_client/requirements.txt, installed on first use).
- Its workers run in one subprocess of that virtualenv: per topic (`bench.c7.a/b/c`)
  WORKERS_PER_TOPIC `ExternalTaskWorker` threads, each `maxTasks` 1 with long polling
  (`asyncResponseTimeout`), so as many tasks are in flight per topic as the SDK's
  concurrency in bench/api.py. HTTP Basic as a `worker` user, as a Camunda 7 worker would.
- The server is bench/api.py's: `uvicorn config.asgi:application --workers 2` on the
  benchmark database (orchestration_bench_api, migrated and flushed here).

Instances are started in-process by the services and the clock stops when the last one
is completed, as in bench/api.py.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENT = "external_task_client"
REQUIREMENTS = ROOT / "tests" / "compat" / "clients" / CLIENT / "requirements.txt"
VENV = ROOT / "var" / "compat" / CLIENT
TOPICS = ("bench.c7.a", "bench.c7.b", "bench.c7.c")
WORKERS_PER_TOPIC = 4
USER, PASSWORD = "bench-c7-worker", "bench-c7-secret"
SERVER_CONN_MAX_AGE = ("DATABASE_CONN_MAX_AGE", "0")


# -- the worker side: runs with the client's virtualenv python, no Django -------------


def worker_main(base_url: str, user: str, password: str, topics: list[str], per_topic: int) -> None:
    import threading

    from camunda.external_task.external_task_worker import ExternalTaskWorker

    config = {
        "auth_basic": {"username": user, "password": password},
        "maxTasks": 1,
        "lockDuration": 30000,
        "asyncResponseTimeout": 5000,
        "sleepSeconds": 1,
        "retries": 3,
        "retryTimeout": 1000,
    }

    def handle(task):
        return task.complete({})

    for topic in topics:
        for i in range(per_topic):
            worker = ExternalTaskWorker(worker_id=f"bench-{topic}-{i}", base_url=base_url, config=config)
            threading.Thread(target=worker.subscribe, args=([topic], handle), daemon=True).start()
    print("workers ready", flush=True)
    threading.Event().wait()  # until SIGTERM


# -- the bench side ----------------------------------------------------------------


def client_python() -> Path:
    """The client's virtualenv, built as tests/compat/conftest.py builds it (same folder,
    same requirements file, same marker), so a venv made by the compat tests is reused."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    marker = VENV / f".installed-{digest}"
    python = VENV / "bin" / "python"
    if not marker.exists():
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, timeout=120)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
            check=True,
            timeout=600,
        )
        for old in VENV.glob(".installed-*"):
            old.unlink()
        marker.touch()
    return python


def worker_user() -> None:
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username=USER)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get_or_create(name="worker")[0])


def start_workers(python: Path, engine_url: str) -> tuple[subprocess.Popen, str]:
    log = tempfile.NamedTemporaryFile(prefix="bench-c7-workers-", suffix=".log", delete=False)
    command = [
        str(python), str(Path(__file__).resolve()), "--worker", engine_url, USER, PASSWORD,
        "--per-topic", str(WORKERS_PER_TOPIC), *TOPICS,
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ}
    )
    log.close()
    deadline = time.monotonic() + 30
    while "workers ready" not in Path(log.name).read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Camunda 7 workers did not start; see {log.name}")
        time.sleep(0.1)
    return process, log.name


def stop_workers(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 instances instead of 300")
    parser.add_argument("--worker", nargs=3, metavar=("ENGINE_URL", "USER", "PASSWORD"), help=argparse.SUPPRESS)
    parser.add_argument("--per-topic", type=int, default=WORKERS_PER_TOPIC, help=argparse.SUPPRESS)
    parser.add_argument("topics", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker_main(*args.worker, args.topics, args.per_topic)
        return

    sys.path.insert(0, str(ROOT))
    from bench import api  # sets the database and Redis of bench/api.py
    from bench import engine as base

    n = 60 if args.quick else 300
    warm = 12
    python = client_python()  # before the clock: a first install takes a while
    base.prepare_environment()
    worker_user()
    definition = api.deploy("bench-api-camunda7", TOPICS)
    # Under ASGI every request runs its sync code in a thread of its own, so a persistent
    # connection (DATABASE_CONN_MAX_AGE, 60 s by default) is never reused and stays open,
    # idle, until the thread is collected: with 12 workers fetching and completing, that
    # exhausted PostgreSQL's 100 connections. Close them at the end of each request instead.
    os.environ[SERVER_CONN_MAX_AGE[0]] = SERVER_CONN_MAX_AGE[1]
    with api.api_server() as url:
        workers, log_name = start_workers(python, f"{url}/engine-rest")
        try:
            api.run(definition, warm)
            rate = api.run(definition, n)
        finally:
            stop_workers(workers)
    base.emit("camunda7_client_workers_per_topic", WORKERS_PER_TOPIC)
    base.emit("camunda7_client_completed", base.completed_count(definition) - warm)
    base.emit("camunda7_client_instances_per_s", rate)
    print(f"camunda7_client_log: {log_name}", flush=True)


if __name__ == "__main__":
    main()
