"""Quantities for people."""

from __future__ import annotations


def human_size(size: int, *, kb_decimals: int = 1) -> str:
    """Bytes in decimal units: 812 bytes, 12.5 KB (or 13 KB with ``kb_decimals=0``), 2.0 MB."""
    if size < 1000:
        return f"{size} bytes"
    if size < 1000 * 1000:
        return f"{size / 1000:.{kb_decimals}f} KB"
    return f"{size / 1_000_000:.1f} MB"
