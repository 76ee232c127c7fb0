"""operate.heatmap: the steps, numbers and legend of the duration heatmap (pure functions)."""

from __future__ import annotations

import pytest

from operate.heatmap import HEAT_FILLS, STEPS, build_heatmap, duration_note, format_seconds, heat_step


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 ms"),
        (0.85, "850 ms"),
        (1.2, "1.2 s"),
        (59.9, "59.9 s"),
        (210, "3.5 min"),
        (7200, "2.0 h"),
        (129_600, "1.5 d"),
    ],
)
def test_durations_read_in_the_unit_people_expect(seconds, text):
    assert format_seconds(seconds) == text


def test_the_note_says_median_p95_and_how_many_completed():
    assert duration_note(1.2, 4.5, 312) == "median 1.2 s \u00b7 p95 4.5 s \u00b7 312 completed"


def test_steps_grow_with_the_median_relative_to_the_slowest():
    assert heat_step(100, 100) == STEPS
    assert heat_step(0, 100) == 1
    assert heat_step(20, 100) == 1 and heat_step(21, 100) == 2
    assert heat_step(60, 100) == 3 and heat_step(99, 100) == STEPS
    assert heat_step(0, 0) == 1  # every element instant: the palest colour, no division by zero
    assert [heat_step(m, 10) for m in range(11)] == sorted(heat_step(m, 10) for m in range(11))


def test_the_heatmap_colours_only_timed_elements_and_names_the_slowest():
    entries = {
        "a": {"median": 2.0, "p95": 3.0, "completed": 5},
        "b": {"median": 10.0, "p95": 30.0, "completed": 2},
        "c": {"active": 3, "completed": 0},
    }
    heat = build_heatmap(entries)
    assert set(heat.overlays) == {"a", "b"}
    assert heat.overlays["b"]["heat"] == STEPS and heat.overlays["a"]["heat"] == 1
    assert heat.overlays["a"]["note"] == "median 2.0 s \u00b7 p95 3.0 s \u00b7 5 completed"
    assert (heat.slowest_id, heat.slowest_text) == ("b", "10.0 s")
    assert [s.fill for s in heat.legend] == list(HEAT_FILLS)
    assert heat.legend[0].label == "up to 2.0 s" and heat.legend[-1].label == "8.0 s \u2013 10.0 s"


def test_nothing_timed_gives_an_empty_heatmap():
    heat = build_heatmap({"c": {"active": 1}})
    assert heat.overlays == {} and heat.legend == [] and heat.slowest_id is None
