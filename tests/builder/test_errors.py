"""The builder refuses mistakes at the call that makes them, naming the element."""

from __future__ import annotations

import pytest

from orchestration.builder import BuilderError, ProcessBuilder, SubProcess


def started() -> ProcessBuilder:
    return ProcessBuilder("p").start()


def refused(match: str):
    return pytest.raises(BuilderError, match=match)


def test_duplicate_ids_are_refused_with_a_hint():
    with refused("duplicate id 'check': pass id="):
        started().task("Check").task("check")


def test_the_same_label_twice_is_fine_with_explicit_ids():
    process = started().task("Check").task("Check", id="check-again").end().build()
    assert [e.name for e in process.elements.values() if e.type == "task"] == ["Check", "Check"]


def test_invalid_ids_are_refused():
    with refused("not a valid BPMN id"):
        started().task("Check", id="1 check")
    with refused("not a valid BPMN id"):
        ProcessBuilder("my process")


def test_a_label_without_letters_or_digits_needs_an_id():
    with refused("cannot make an id from the label '\\?\\?'"):
        started().task("??")


def test_elements_need_a_start_event_first():
    with refused("'check' has nothing before it: begin with .start"):
        ProcessBuilder("p").task("Check")


def test_nothing_follows_an_end_event():
    with refused("'check' cannot follow end event 'end': the path ended"):
        started().end().task("Check")


def test_a_start_event_does_not_follow_an_element():
    with refused("start event cannot follow 'check'"):
        started().task("Check").start("again")


def test_a_dangling_path_is_refused_at_build():
    with refused("the path ends at 'check' without an end event"):
        started().task("Check").build()


def test_a_process_without_a_start_event_is_refused():
    with refused("has no start event"):
        ProcessBuilder("p").build()


def test_elements_after_a_gateway_need_a_branch():
    with refused("gateway 'g' is open: begin a path with .branch"):
        started().exclusive("g").task("Check")


def test_branch_needs_an_open_gateway():
    with refused("branch\\(\\) needs an open gateway"):
        started().branch("x")


def test_a_branch_must_be_closed_before_the_next():
    with refused("branch 'a' of gateway 'g' is still open"):
        started().parallel("g").branch("a").task("A").branch("b")


def test_an_exclusive_branch_needs_a_condition_unless_it_is_the_default():
    with refused("branch 'a' of gateway 'g' needs a condition="):
        started().exclusive("g").branch("a")


def test_the_default_branch_takes_no_condition():
    with refused("is the default of gateway 'g': it takes no condition"):
        started().exclusive("g", default="a").branch("a", condition="=x")


def test_parallel_branches_have_no_conditions():
    with refused("parallel gateway 'g' cannot have a condition"):
        started().parallel("g").branch("a", condition="=x")


def test_branch_labels_are_unique_per_gateway():
    with refused("already has a branch 'a'"):
        started().exclusive("g").branch("a", condition="=x").end_branch().branch("a", condition="=y")


def test_an_undeclared_default_is_refused_at_join():
    gateway = started().exclusive("g", default="other").branch("a", condition="=x").end_branch()
    with refused("default branch 'other' of gateway 'g' was never declared"):
        gateway.join()


def test_join_needs_closed_branches():
    with refused("branch 'a' of gateway 'g' is still open: call .end_branch"):
        started().parallel("g").branch("a").task("A").join()


def test_join_needs_at_least_one_branch():
    with refused("gateway 'g' has no branches"):
        started().parallel("g").join()


def test_join_refuses_when_every_branch_ends():
    split = started().parallel("g").branch("a").end().end_branch().branch("b").end("e2").end_branch()
    with refused("every branch of gateway 'g' ends: nothing to join, call .end_split"):
        split.join()


def test_end_split_refuses_branches_that_continue():
    with refused("branches of gateway 'g' continue after 'a': call .join"):
        started().parallel("g").branch().task("A").end_branch().end_split()


def test_an_open_gateway_is_refused_at_build():
    with refused("gateway 'g' is still open: close it with .join\\(\\) or .end_split"):
        started().parallel("g").branch().end().end_branch().build()


def test_end_branch_without_a_branch_is_refused():
    with refused("end_branch\\(\\) without an open branch"):
        started().end_branch()


def test_boundary_events_attach_to_activities_only():
    with refused("a boundary event needs an activity to attach to; the path is at 'start' \\(startEvent\\)"):
        started().on_error("oops")


def test_a_boundary_path_must_end_before_returning():
    with refused("the path of boundary event 'late' does not end"):
        started().task("Work").on_timer("late", duration="PT1M").task("Escalate").end_branch()


def test_an_open_boundary_path_is_refused_at_build():
    with refused("the path of boundary event 'late' is still open: close it with .end_branch"):
        started().task("Work").on_timer("late", duration="PT1M").end().build()


def test_a_timer_needs_exactly_one_kind_of_time():
    with refused("exactly one of duration=, date= or cycle="):
        started().timer_catch("wait")
    with refused("exactly one of duration=, date= or cycle="):
        started().timer_catch("wait", duration="PT1H", date="2030-01-01")


def test_invalid_timer_values_are_refused_by_validation_at_build():
    with refused("timeDuration '1 hour' is not an ISO 8601 duration"):
        started().timer_catch("wait", duration="1 hour").end().build()


def test_an_end_event_is_terminate_or_error_not_both():
    with refused("either terminate=True or error="):
        started().end(terminate=True, error="E")


def test_connect_to_an_unknown_element_is_refused_at_build():
    with refused("connect_to\\('nowhere'\\) from 'check': there is no element 'nowhere'"):
        started().task("Check").connect_to("nowhere").build()


def test_connect_to_out_of_a_subprocess_is_refused():
    inner = SubProcess("Inner").start().task("Deep").connect_to("outside")
    with refused("there is no element 'outside'"):
        started().subprocess(inner)


def test_multi_instance_needs_an_activity_and_is_set_once():
    with refused("multi_instance needs an activity"):
        started().multi_instance("=items")
    with refused("'work' is already multi-instance"):
        started().task("Work").multi_instance("=a").multi_instance("=b")


def test_multi_instance_output_needs_both_parts():
    with refused("both output_collection= and output_element="):
        started().task("Work").multi_instance("=a", output_collection="results")


def test_a_subprocess_needs_a_start_event_and_an_end():
    with refused("subprocess 'inner' has no start event"):
        started().subprocess(SubProcess("Inner"))
    with refused("the path ends at 'deep' without an end event"):
        started().subprocess(SubProcess("Inner").start().task("Deep"))


def test_subprocess_ids_must_not_clash_with_the_process():
    inner = SubProcess("Inner").start().task("Check").end()
    with refused("duplicate id 'check' in subprocess 'inner'"):
        started().task("Check").subprocess(inner)


def test_a_job_task_needs_a_type_and_a_script_its_result_variable():
    with refused("needs a type="):
        started().service_task("Work", type="")
    with refused("needs a result_variable"):
        started().script_task("Sum", expression="=1 + 1", result_variable="")


def test_io_mappings_map_names_to_source_strings():
    with refused("inputs must map a variable name to a source string"):
        started().service_task("Work", type="w", inputs={"x": 1})
