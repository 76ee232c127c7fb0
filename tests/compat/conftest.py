"""A real HTTP server (uvicorn, the ASGI app) on the test database, and one virtualenv per
Camunda 7 client (two of them install a top-level package with the same name).

The venvs live under var/compat/<client> and are built once from
tests/compat/clients/<client>/requirements.txt; a marker holding the requirements' hash
skips the install next time. The server runs `config.asgi:application` with DATABASE_URL
pointing at pytest-django's test database (tests use `transactional_db`, so the server sees
committed rows), and is stopped when the test ends; its log is printed (pytest shows it on
failure).
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection

from tests.integration.conftest import _database_url

BASE_DIR = Path(settings.BASE_DIR)
CLIENTS_DIR = Path(__file__).parent / "clients"
VENV_ROOT = BASE_DIR / "var" / "compat"
BPMN = Path(__file__).parent / "order_c7.bpmn"
USER, PASSWORD = "c7client", "c7-secret-pw"


def _venv_python(name: str) -> Path:
    requirements = CLIENTS_DIR / name / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    venv = VENV_ROOT / name
    marker = venv / f".installed-{digest}"
    python = venv / "bin" / "python"
    if not marker.exists():
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=120)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", str(requirements)],
            check=True,
            timeout=600,
        )
        for old in venv.glob(".installed-*"):
            old.unlink()
        marker.touch()
    return python


@pytest.fixture(scope="session")
def client_python():
    """client name -> the python of its own virtualenv (installed on first use)."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            cache[name] = _venv_python(name)
        return cache[name]

    return get


@dataclass
class Server:
    base_url: str
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def engine_server(transactional_db, tmp_path):
    """uvicorn serving the app on a free port against the test database; yields its /engine-rest URL."""
    if connection.vendor != "postgresql":
        pytest.skip("the compatibility tests need PostgreSQL: run through bin/test")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(BASE_DIR),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "server.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(f"http://127.0.0.1:{port}/engine-rest", process, log_path)
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{server.base_url}/version", timeout=2)
            break
        except urllib.error.HTTPError:
            break  # 401: up and asking for credentials
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the server did not start:\n{server.log()}") from None
            time.sleep(0.2)
    yield server
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
    log.close()
    print(f"\n----- server log -----\n{server.log()[-4000:]}")


@pytest.fixture
def client_user(transactional_db) -> User:
    """A service account: admin (deploys) and worker (fetches and completes)."""
    user = User.objects.create_user(USER, password=PASSWORD)
    for role in ("admin", "worker"):
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


def run_flow(python: Path, name: str, server: Server, timeout: float = 90) -> tuple[subprocess.CompletedProcess, dict]:
    """Run tests/compat/clients/<name>/flow.py against the server; parse its RESULT line."""
    import json

    result = subprocess.run(
        [str(python), str(CLIENTS_DIR / name / "flow.py"), server.base_url, USER, PASSWORD, str(BPMN)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(CLIENTS_DIR / name),
    )
    summary = {}
    for line in result.stdout.splitlines():
        if line.startswith("RESULT "):
            summary = json.loads(line[len("RESULT ") :])
    return result, summary
