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


_last_ms = -1
_last_counter = 0


def _reset_pool() -> None:
    # A forked child (Celery prefork) must not reuse its parent's random bytes.
    global _pool, _offset, _last_ms, _last_counter
    _pool = b""
    _offset = 0
    _last_ms = -1
    _last_counter = 0


os.register_at_fork(after_in_child=_reset_pool)


def new_key() -> uuid.UUID:
    """Keys made by one process sort in creation order even within a millisecond
    (RFC 9562 method 1: the 12-bit rand_a field counts up within a millisecond),
    so rows written by one command keep the order they were made in."""
    global _last_ms, _last_counter
    ms = time.time_ns() // 1_000_000
    rand = _random80()
    if ms <= _last_ms:
        ms = _last_ms
        counter = _last_counter + 1
        if counter > 0xFFF:  # 4096 keys in one millisecond: borrow the next one
            ms += 1
            counter = (rand >> 62) & 0x3FF
    else:
        counter = (rand >> 62) & 0x3FF  # start low, leaving room to count up
    _last_ms, _last_counter = ms, counter
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= counter << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
