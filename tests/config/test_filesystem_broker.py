"""The demo's filesystem broker writes each message atomically and survives a broken file.

kombu's own transport creates the file, then writes it: a polling worker could take the
empty file, fail to decode it and stop for good (seen in a demo run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kombu import Connection

from orchestration import filesystem_broker

ROOT = Path(__file__).resolve().parents[2]


def _connection(folder: Path) -> Connection:
    for sub in ("out", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(folder / "out"),
        "data_folder_out": str(folder / "out"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
    }
    return Connection("filesystem://", transport=filesystem_broker.Transport, transport_options=options)


def test_a_message_is_never_visible_half_written(tmp_path, monkeypatch):
    seen_before_rename = []
    real_replace = os.replace

    def replace(src, dst):
        seen_before_rename.append(sorted(n for n in os.listdir(tmp_path / "out") if n.endswith(".msg")))
        assert Path(src).read_bytes()  # complete before it gets its queue name
        return real_replace(src, dst)

    monkeypatch.setattr(filesystem_broker.os, "replace", replace)
    with _connection(tmp_path) as conn:
        queue = conn.SimpleQueue("jobs")
        queue.put({"n": 1})
        queue.put({"n": 2})
        assert [len(names) for names in seen_before_rename] == [0, 1]  # only the finished first one
        assert sorted(queue.get(timeout=1).payload["n"] for _ in range(2)) == [1, 2]  # same ms: any order
        queue.close()


def test_an_empty_message_file_is_skipped_and_the_next_one_delivered(tmp_path):
    with _connection(tmp_path) as conn:
        # its own queue name: kombu keeps exchange state per process, across connections
        queue = conn.SimpleQueue("jobs-b")
        (tmp_path / "out" / "0_broken.jobs-b.msg").write_bytes(b"")  # sorts first: what a crash mid-write leaves
        queue.put({"n": 7})
        assert queue.get(timeout=1).payload == {"n": 7}
        queue.close()


def test_celery_uses_it_for_a_filesystem_broker_url(tmp_path):
    code = (
        "import django; django.setup(); from config.celery import app; "
        "print(type(app.connection_for_write().transport).__module__)"
    )
    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "orchestration.filesystem_broker"
