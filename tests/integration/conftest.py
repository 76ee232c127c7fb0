"""Real Celery worker processes against the test database and Redis.

Tests here use `transactional_db` (real commits) so that a worker, a separate
process, sees the rows. `celery_worker(...)` starts one worker in its own
process group with DATABASE_URL pointing at pytest-django's test database, the
same broker, a fresh VAR_DIR, and this folder's handlers module; every worker
is stopped when the test ends and the tail of its log is printed (pytest shows
it when the test fails).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import connection

from tests.integration import handlers  # noqa: F401 - registers the itest.* job types in this process

BASE_DIR = Path(settings.BASE_DIR)
CELERY = BASE_DIR / ".venv" / "bin" / "celery"
if not CELERY.exists():
    CELERY = Path(sys.executable).with_name("celery")
READY_TIMEOUT = 30
STOP_TIMEOUT = 10


@dataclass
class Worker:
    name: str
    process: subprocess.Popen
    log_path: Path
    beat: bool
    _log: object = field(repr=False, default=None)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            text = self.log()
            if f"{self.name} ready." in text and (not self.beat or "beat: Starting" in text):
                return
            if not self.alive:
                raise AssertionError(f"worker {self.name} exited with {self.process.returncode}:\n{self.tail()}")
            time.sleep(0.1)
        raise AssertionError(f"worker {self.name} not ready after {READY_TIMEOUT}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group (parent, pool children, beat): a crashed machine."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=STOP_TIMEOUT)

    def request_stop(self) -> None:
        """Ask for a warm shutdown (SIGTERM to the parent only)."""
        if self.alive:
            self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        """Wait for the warm shutdown, then SIGKILL whatever is left of the group."""
        self.request_stop()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass
        self.kill()
        if self._log is not None:
            self._log.close()


def _database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database)."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    query = f"?{urlencode(db['OPTIONS'])}" if db.get("OPTIONS") else ""
    return f"postgres://{auth}@{host}{port}/{quote(db['NAME'], safe='')}{query}"


def _purge_broker() -> None:
    from config.celery import app

    app.control.purge()


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """Factory: celery_worker("name", concurrency=1, beat=False, env={...}) -> a ready Worker."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("real Celery workers need PostgreSQL and Redis: run through bin/test")
    _purge_broker()
    workers: list[Worker] = []

    def start(
        label: str = "worker", *, concurrency: int = 1, beat: bool = False, env: dict[str, str] | None = None
    ) -> Worker:
        name = f"itest-{label}-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
        run_dir = tmp_path / name.split("@")[0]
        run_dir.mkdir()
        worker_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": _database_url(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "VAR_DIR": str(run_dir / "var"),
            "ORCHESTRATION_EXTRA_HANDLER_MODULES": "tests.integration.handlers",
            "PYTHONPATH": str(BASE_DIR),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [
            str(CELERY), "-A", "config", "worker",
            "--pool", "prefork", "--concurrency", str(concurrency),
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-l", "INFO", "-n", name,
        ]  # fmt: skip
        if beat:
            command += ["--beat", "-s", str(run_dir / "beat-schedule")]
        log_path = run_dir / "worker.log"
        log = log_path.open("wb")
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=worker_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        worker = Worker(name, process, log_path, beat, log)
        workers.append(worker)
        worker.wait_ready()
        return worker

    yield start

    for worker in workers:
        worker.request_stop()
    for worker in workers:
        worker.stop()
        print(f"\n----- {worker.name} (exit {worker.process.returncode}), last lines -----\n{worker.tail()}")
