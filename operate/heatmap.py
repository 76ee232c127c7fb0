"""The duration heatmap of a process version's diagram (the process page, ``?overlay=duration``).

Input: the per-element entries of ``selectors.diagram_counts_for_definition(..., durations=True)``
(``median``/``p95`` in seconds and the ``completed`` count). Output: renderer overlays
(``heat`` step 1..5, ``heat_text`` the median, ``note`` for the SVG <title>) and a legend.
An element's step is its median relative to the slowest median of the version, on a
sequential scale from pale yellow to red; elements without completed instances get none.
Pure functions: no queries, no Django.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Sequential, calm: pale yellow -> orange -> red. Step n covers medians up to n/5 of the slowest.
HEAT_FILLS = ("#fff3c4", "#fddc9a", "#f9b872", "#ee8c5a", "#d9594c")
STEPS = len(HEAT_FILLS)


def format_seconds(seconds: float) -> str:
    """A duration for people: 850 ms, 1.2 s, 3.5 min, 2.0 h, 1.5 d."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def duration_note(median: float, p95: float, completed: int) -> str:
    """What the element's tooltip and panel say: "median 1.2 s · p95 4.5 s · 312 completed"."""
    return f"median {format_seconds(median)} \u00b7 p95 {format_seconds(p95)} \u00b7 {completed} completed"


def heat_step(median: float, slowest: float) -> int:
    """1..STEPS: the slowest median gets STEPS; an instant one (or all instant) gets 1."""
    if slowest <= 0:
        return 1
    return min(STEPS, max(1, math.ceil(median / slowest * STEPS - 1e-9)))


@dataclass(frozen=True)
class LegendStep:
    step: int
    fill: str
    label: str  # the range of medians this colour stands for


@dataclass(frozen=True)
class Heatmap:
    overlays: dict[str, dict[str, Any]]  # element id -> {"heat", "heat_text", "note"}
    legend: list[LegendStep]
    slowest_id: str | None
    slowest: float | None  # seconds

    @property
    def slowest_text(self) -> str:
        return format_seconds(self.slowest) if self.slowest is not None else ""


def build_heatmap(entries: Mapping[str, Mapping[str, Any]]) -> Heatmap:
    timed = {k: v for k, v in entries.items() if v.get("median") is not None}
    if not timed:
        return Heatmap(overlays={}, legend=[], slowest_id=None, slowest=None)
    slowest_id = max(timed, key=lambda k: (timed[k]["median"], k))
    slowest = float(timed[slowest_id]["median"])
    overlays = {
        element_id: {
            "heat": heat_step(entry["median"], slowest),
            "heat_text": format_seconds(entry["median"]),
            "note": duration_note(entry["median"], entry["p95"], int(entry.get("completed") or 0)),
        }
        for element_id, entry in timed.items()
    }
    legend = []
    for step, fill in enumerate(HEAT_FILLS, start=1):
        low, high = slowest * (step - 1) / STEPS, slowest * step / STEPS
        label = f"up to {format_seconds(high)}" if step == 1 else f"{format_seconds(low)} \u2013 {format_seconds(high)}"
        legend.append(LegendStep(step=step, fill=fill, label=label))
    return Heatmap(overlays=overlays, legend=legend, slowest_id=slowest_id, slowest=slowest)
