"""Parallel gateway: fork, join exactly once, tokens arriving twice on one flow, nesting."""

from __future__ import annotations

import pytest

from .harness import bpmn


def test_parallel_fork_creates_one_token_per_branch(driver):
    driver.deploy(bpmn("parallel_fork_join"))
    driver.start("parallel-fork-join")

    assert [j.element_id for j in driver.jobs()] == ["a", "b", "c"]


@pytest.mark.parametrize("order", [("a", "b", "c"), ("c", "a", "b"), ("b", "c", "a")])
def test_parallel_join_fires_exactly_once_after_all_three_branches(driver, order):
    driver.deploy(bpmn("parallel_fork_join"))
    driver.start("parallel-fork-join")
    jobs = {j.element_id: j for j in driver.jobs()}

    for done, name in enumerate(order, start=1):
        driver.complete_job(jobs[name].key)
        if done < 3:
            assert driver.jobs("after") == []
            assert "join" in driver.active_elements()

    assert [j.element_id for j in driver.jobs()] == ["after"]
    assert driver.audit_elements("gateway_joined") == ["join"]
    assert "join" not in driver.active_elements()


def test_parallel_join_with_a_loop_back_fires_once_per_round(driver):
    driver.deploy(bpmn("parallel_join_loop_back"))
    driver.start("parallel-loop-back")

    jobs = {j.element_id: j for j in driver.jobs()}
    driver.complete_job(jobs["a"].key)
    driver.complete_job(jobs["b"].key, {"loop": True})
    assert driver.audit_elements("gateway_joined") == ["join"]
    second = {j.element_id: j for j in driver.jobs()}
    assert sorted(second) == ["a", "b"]
    assert second["a"].key != jobs["a"].key

    driver.complete_job(second["b"].key, {"loop": False})
    assert driver.audit_elements("gateway_joined") == ["join"]
    driver.complete_job(second["a"].key)

    assert driver.audit_elements("gateway_joined") == ["join", "join"]
    assert driver.state == "completed"


def test_a_second_token_on_the_same_flow_waits_for_the_next_join_instead_of_firing_twice(driver):
    driver.deploy(bpmn("parallel_join_second_token"))
    driver.start("parallel-second-token")
    assert [j.element_id for j in driver.jobs()] == ["a", "a", "b"]

    for job in driver.jobs("a"):
        driver.complete_job(job.key)
    assert driver.audit_elements("gateway_joined") == []
    assert driver.active_elements() == ["b", "join", "join"]

    driver.complete_job(driver.jobs("b")[0].key)

    assert driver.audit_elements("gateway_joined") == ["join"]
    assert [j.element_id for j in driver.jobs()] == ["after"]
    # the second token on flow 'ja' still waits for a token from 'b'
    assert driver.active_elements() == ["after", "join"]


def test_nested_parallel_gateways_join_inside_out(driver):
    driver.deploy(bpmn("parallel_nested"))
    driver.start("parallel-nested")
    jobs = {j.element_id: j for j in driver.jobs()}
    assert sorted(jobs) == ["a", "b", "c"]

    driver.complete_job(jobs["c"].key)
    driver.complete_job(jobs["a"].key)
    assert driver.audit_elements("gateway_joined") == []

    driver.complete_job(jobs["b"].key)

    assert driver.audit_elements("gateway_joined") == ["inner-join", "outer-join"]
    assert [j.element_id for j in driver.jobs()] == ["after"]
