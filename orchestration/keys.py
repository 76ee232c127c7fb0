"""Time-ordered UUIDs (UUIDv7 layout) for public keys.

Random UUIDv4 keys scatter inserts across the primary-key index; these keep
new rows at the right edge and sort by creation time, which keyset pagination
uses.
"""

from __future__ import annotations

import os
import time
import uuid


def new_key() -> uuid.UUID:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 62) & 0xFFF) << 64
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return uuid.UUID(int=value)
