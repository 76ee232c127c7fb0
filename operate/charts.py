"""Chart specs for Operate, built by pure functions (plain values in, JSON-able dicts out).

Plotly figures are dicts in plotly's figure schema ({"data": [...], "layout": {...}}),
passed to the page with ``json_script`` and drawn by static/js/charts.js. The
incident sparkline is a small inline SVG: only its polyline points are computed here.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

ACCENT = "#2563eb"
OK = "#15803d"
MUTED = "#6b7280"

_LAYOUT = {
    "margin": {"l": 44, "r": 12, "t": 8, "b": 36},
    "height": 240,
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 12, "color": "#374151"},
    "legend": {"orientation": "h", "x": 0, "y": 1.12},
    "xaxis": {"gridcolor": "#eef0f3", "zeroline": False},
    "yaxis": {"gridcolor": "#eef0f3", "zeroline": False, "rangemode": "tozero"},
}


def _layout(**overrides) -> dict:
    layout = {key: (dict(value) if isinstance(value, dict) else value) for key, value in _LAYOUT.items()}
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


def _count_axis(peak: int) -> dict:
    """Y-axis settings for counts: whole-number ticks only (no 0.2 "instances").

    The step is a round integer (1, 2, 5, 10, ...) giving about five ticks up to ``peak``.
    """
    step = max(1, int(_nice(peak / 5))) if peak > 0 else 1
    return {"tickmode": "linear", "tick0": 0, "dtick": step, "tickformat": "d", "rangemode": "tozero"}


def throughput_figure(minutes: list[dt.datetime], started: list[int], completed: list[int]) -> dict:
    """Instances started and completed per minute (one point per minute, oldest first)."""
    x = [m.isoformat() for m in minutes]
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": "started",
                "x": x,
                "y": list(started),
                "line": {"color": ACCENT, "width": 2, "shape": "hv"},
            },
            {
                "type": "scatter",
                "mode": "lines",
                "name": "completed",
                "x": x,
                "y": list(completed),
                "line": {"color": OK, "width": 2, "shape": "hv"},
            },
        ],
        "layout": _layout(
            xaxis={"type": "date", "tickformat": "%H:%M"},
            yaxis={"title": {"text": "per minute"}, **_count_axis(max([*started, *completed], default=0))},
        ),
    }


_UNITS = (("s", 1.0), ("min", 60.0), ("h", 3600.0), ("d", 86400.0))


def duration_unit(seconds: list[float]) -> tuple[str, float]:
    """The unit that keeps the median between 1 and 60-ish."""
    if not seconds:
        return _UNITS[0]
    median = sorted(seconds)[len(seconds) // 2]
    unit = _UNITS[0]
    for candidate in _UNITS:
        if median >= candidate[1]:
            unit = candidate
    return unit


def duration_bins(seconds: list[float], bins: int = 20) -> tuple[str, list[float], list[int], float]:
    """Equal-width bins over [0, max]: (unit, bin starts in that unit, counts, bin width)."""
    unit, factor = duration_unit(seconds)
    values = [s / factor for s in seconds if s >= 0]
    if not values:
        return unit, [], [], 0.0
    top = max(values)
    width = _nice(top / bins) if top > 0 else 1.0
    count = max(1, math.ceil(top / width))
    counts = [0] * count
    for value in values:
        counts[min(int(value // width), count - 1)] += 1
    return unit, [round(i * width, 6) for i in range(count)], counts, width


def _nice(raw: float) -> float:
    """A round bin width (1, 2 or 5 times a power of ten) at least ``raw``."""
    exponent = math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        width = step * 10**exponent
        if width >= raw:
            return float(width)
    return float(10 ** (exponent + 1))


def duration_figure(seconds: list[float]) -> dict:
    """How long completed instances took: a histogram (bins computed here)."""
    unit, starts, counts, width = duration_bins(seconds)
    return {
        "data": [
            {
                "type": "bar",
                "name": "instances",
                "x": [s + width / 2 for s in starts],
                "y": counts,
                "width": [width * 0.92] * len(counts),
                "marker": {"color": ACCENT},
                "hovertemplate": f"%{{x}} {unit}: %{{y}} instances<extra></extra>",
            },
        ],
        "layout": _layout(
            showlegend=False,
            xaxis={"title": {"text": f"duration ({unit})"}, "rangemode": "tozero"},
            yaxis={"title": {"text": "instances"}, **_count_axis(max(counts, default=0))},
        ),
    }


@dataclass(frozen=True)
class Sparkline:
    points: str  # SVG polyline points
    width: int
    height: int
    peak: int
    total: int
    last_x: float
    last_y: float


def sparkline(counts: list[int], *, width: int = 120, height: int = 24) -> Sparkline:
    """Polyline points for counts (oldest first); the peak touches the top, zero the bottom."""
    values = list(counts) or [0]
    peak = max(values)
    pad = 2
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    coords = []
    for i, value in enumerate(values):
        x = pad + i * step
        y = height - pad - (value / peak * (height - 2 * pad) if peak else 0.0)
        coords.append((round(x, 1), round(y, 1)))
    return Sparkline(
        points=" ".join(f"{x},{y}" for x, y in coords),
        width=width,
        height=height,
        peak=peak,
        total=sum(values),
        last_x=coords[-1][0],
        last_y=coords[-1][1],
    )
