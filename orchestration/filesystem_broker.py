"""kombu's filesystem transport (the demo's broker that needs no server), with atomic writes.

kombu creates a message file and then writes it; a worker polling the folder can take the
file in between, read nothing, and die on the empty JSON ("Unrecoverable error:
JSONDecodeError"), taking every later job, batch and timer with it. Here a message is
written under a name the readers ignore and renamed into place when complete (a rename
within one folder is atomic), and a reader that still finds an unreadable file (a crash in
an older version, a full disk) logs it and moves on instead of stopping the worker.

Selected in config/settings.py (CELERY_BROKER_TRANSPORT) whenever the broker URL is
filesystem://."""

from __future__ import annotations

import logging
import os
import uuid
from time import monotonic

from kombu.transport import filesystem
from kombu.utils.json import dumps

logger = logging.getLogger(__name__)


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{uuid.uuid4().hex}.partial")  # no ".<queue>.msg": unseen
        try:
            with open(partial, "wb") as f:
                f.write(dumps(payload).encode())
            os.replace(partial, final)
        except OSError as exc:
            raise filesystem.ChannelError(f"Cannot add file {final!r} to directory: {exc}") from exc

    def _get(self, queue):
        while True:
            try:
                return super()._get(queue)
            except ValueError as exc:  # JSONDecodeError: a broken file, already moved out of the queue
                logger.error("skipped an unreadable message file on queue %s: %s", queue, exc)


class Transport(filesystem.Transport):
    Channel = Channel
