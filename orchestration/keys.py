"""Time-ordered UUIDs (UUIDv7 layout) for public keys.

Random UUIDv4 keys scatter inserts across the primary-key index; these keep
new rows at the right edge and sort by creation time, which keyset pagination
uses.
"""

from __future__ import annotations

import os
import time
import uuid


_POOL_KEYS = 256
_pool = b""
_offset = 0


def _random80() -> int:
    """80 random bits from the OS, read 256 keys' worth at a time (one syscall, not 256)."""
    global _pool, _offset
    if _offset + 10 > len(_pool):
        _pool = os.urandom(10 * _POOL_KEYS)
        _offset = 0
    chunk = _pool[_offset : _offset + 10]
    _offset += 10
    return int.from_bytes(chunk, "big")


def _reset_pool() -> None:
    # A forked child (Celery prefork) must not reuse its parent's random bytes.
    global _pool, _offset
    _pool = b""
    _offset = 0


os.register_at_fork(after_in_child=_reset_pool)


def new_key() -> uuid.UUID:
    ms = time.time_ns() // 1_000_000
    rand = _random80()
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
