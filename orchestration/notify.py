"""Wake long-polling job activations when jobs for external workers appear.

`jobs_created(types)` (called by the store when it writes activatable external
jobs) publishes each type on Redis after the transaction commits, when the
broker is Redis. `JobWaiter` (async, used by the long-poll views) subscribes to
the types it waits for and returns as soon as one is published, or after
`recheck` seconds, so jobs that become due another way (a retry backoff ends,
an incident is resolved, a lock expires) are still found by the next database
check. Without Redis it simply sleeps `POLL_SECONDS` between checks.

A notification is only a hint: callers always check the database after it, and
a lost one costs at most `recheck` seconds.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1  # without Redis: how often a waiting activation checks the database
RECHECK_SECONDS = 1.0  # with Redis: the database is checked at least this often anyway

_client = None
_client_lock = threading.Lock()


def redis_url() -> str | None:
    url = getattr(settings, "CELERY_BROKER_URL", "") or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


def channel(job_type: str) -> str:
    """Namespaced by the Redis database number, so test runs on other dbs mostly keep to themselves."""
    url = redis_url() or ""
    db = (urlparse(url).path or "/0").lstrip("/") or "0"
    return f"orchestration:{db}:jobs:{job_type}"


def _sync_client():
    global _client
    with _client_lock:
        if _client is None:
            import redis

            _client = redis.Redis.from_url(redis_url(), socket_timeout=0.5, socket_connect_timeout=0.5)
        return _client


def publish(types: Iterable[str]) -> None:
    if redis_url() is None:
        return
    try:
        client = _sync_client()
        for job_type in set(types):
            client.publish(channel(job_type), "1")
    except Exception:  # noqa: BLE001 - a hint only: waiters re-check the database anyway
        log.warning("could not publish a job notification", exc_info=True)


def jobs_created(types: Iterable[str]) -> None:
    """Caller is inside the transaction that creates the jobs: publish after it commits."""
    types = sorted({t for t in types if t})
    if types and redis_url() is not None:
        transaction.on_commit(lambda: publish(types))


class JobWaiter:
    """`async with JobWaiter(types) as waiter: ... await waiter.wait(seconds)`."""

    def __init__(self, types: Iterable[str]):
        self.types = sorted(set(types))
        self._client = None
        self._pubsub = None

    async def __aenter__(self) -> JobWaiter:
        url = redis_url()
        if url is None:
            return self
        try:
            import redis.asyncio as aioredis

            self._client = aioredis.Redis.from_url(url, socket_connect_timeout=0.5)
            self._pubsub = self._client.pubsub()
            await self._pubsub.subscribe(*(channel(t) for t in self.types))
        except Exception:  # noqa: BLE001 - fall back to polling the database
            log.warning("could not subscribe to job notifications; polling instead", exc_info=True)
            await self._close()
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self._close()

    async def _close(self) -> None:
        pubsub, client = self._pubsub, self._client
        self._pubsub = self._client = None
        try:
            if pubsub is not None:
                await pubsub.aclose()
            if client is not None:
                await client.aclose()
        except Exception:  # noqa: BLE001
            pass

    async def wait(self, seconds: float) -> bool:
        """Sleep until a notification (True) or up to `seconds` (False); never more than the recheck interval."""
        if self._pubsub is None:
            await asyncio.sleep(max(0.0, min(seconds, POLL_SECONDS)))
            return False
        timeout = max(0.0, min(seconds, RECHECK_SECONDS))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=remaining)
                if message is not None:
                    return True
        except Exception:  # noqa: BLE001 - the connection broke: poll from now on
            log.warning("job notifications lost; polling instead", exc_info=True)
            await self._close()
            await asyncio.sleep(max(0.0, min(deadline - loop.time(), POLL_SECONDS)))
            return False
