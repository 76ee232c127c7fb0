"""Random but valid process models for the state-machine test, built with the builder.

A model is a small tree of nodes (a hypothesis strategy draws it); `build` turns
it into a ProcessBuilder. The tree shrinks well and prints readably in a failure
report. Element ids are fixed by position ("t3", "g2", ...), so the
same tree built twice (two versions of one process) has the same ids.

What a tree may hold: service tasks (job type `prop-work`) and user tasks, each
optionally with a boundary event (timer interrupting or not, error "E1", or a
catch-all error); timer catch events (PT1H); message catch events (name per
element, correlation key `=ck`); exclusive and inclusive splits (conditions on
`x`, with or without a default flow) and parallel splits, each closed by a join
of its kind; embedded subprocesses, optionally with a boundary event.

One rule keeps every generated model free of deadlocks by design: a boundary
event's path ends at an end event, which inside a parallel branch (at that
scope level) would leave the parallel join waiting forever, so boundary events
are dropped there. A subprocess is a scope of its own and lifts the rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from orchestration.builder import ProcessBuilder, SubProcess
from orchestration.builder.chain import FlowChain

JOB_TYPE = "prop-work"
ERROR_CODES = ("E1", "E2")  # E1 has catchers, E2 only a catch-all one
BOUNDARIES = (None, "timer", "timer-non-interrupting", "error-E1", "error-any")

Node = tuple  # ("service", boundary) | ("user", boundary) | ("timer",) | ("message",)
#             | ("xor"|"or", branches, has_default) | ("and", branches) | ("sub", body, boundary)


def _leaf() -> st.SearchStrategy[Node]:
    return st.one_of(
        st.tuples(st.just("service"), st.sampled_from(BOUNDARIES)),
        st.tuples(st.just("user"), st.sampled_from(BOUNDARIES)),
        st.tuples(st.just("timer")),
        st.tuples(st.just("message")),
    )


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    sequence = st.lists(children, min_size=0, max_size=2).map(tuple)
    body = st.lists(children, min_size=1, max_size=2).map(tuple)
    branches = st.lists(sequence, min_size=2, max_size=3).map(tuple)
    return st.one_of(
        st.tuples(st.sampled_from(["xor", "or"]), branches, st.booleans()),
        st.tuples(st.just("and"), branches),
        st.tuples(st.just("sub"), body, st.sampled_from(BOUNDARIES)),
    )


def trees() -> st.SearchStrategy[tuple[Node, ...]]:
    """The top-level sequence of a model: one to three nodes, up to about eight leaves in all."""
    node = st.recursive(_leaf(), _extend, max_leaves=6)
    return st.lists(node, min_size=1, max_size=3).map(tuple)


@dataclass
class ModelInfo:
    """What the invariants need to know about a built model beyond its Process."""

    joins: dict[str, tuple[str, str]] = field(default_factory=dict)  # join id -> (fork id, kind)
    message_names: dict[str, str] = field(default_factory=dict)  # catch element id -> message name


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def build(process_id: str, tree: tuple[Node, ...], *, name: str) -> tuple[ProcessBuilder, ModelInfo]:
    info = ModelInfo()
    builder = ProcessBuilder(process_id, name=name)
    builder.start("Start", id="start")
    _sequence(builder, tree, _Ids(), info, in_parallel=False)
    builder.end("End", id="end")
    return builder, info


def _sequence(chain: FlowChain, nodes: tuple[Node, ...], ids: _Ids, info: ModelInfo, *, in_parallel: bool) -> None:
    for node in nodes:
        _node(chain, node, ids, info, in_parallel=in_parallel)


def _node(chain: FlowChain, node: Node, ids: _Ids, info: ModelInfo, *, in_parallel: bool) -> None:
    kind = node[0]
    if kind == "service":
        element_id = ids.next("t")
        chain.service_task(f"Work {element_id}", id=element_id, type=JOB_TYPE)
        _boundary(chain, node[1], element_id, ids, in_parallel=in_parallel)
    elif kind == "user":
        element_id = ids.next("u")
        chain.user_task(f"Review {element_id}", id=element_id)
        _boundary(chain, node[1], element_id, ids, in_parallel=in_parallel)
    elif kind == "timer":
        element_id = ids.next("w")
        chain.timer_catch(f"Wait {element_id}", id=element_id, duration="PT1H")
    elif kind == "message":
        element_id = ids.next("m")
        info.message_names[element_id] = f"msg-{element_id}"
        chain.message_catch(f"Receive {element_id}", id=element_id, message=f"msg-{element_id}", correlation_key="=ck")
    elif kind in ("xor", "or", "and"):
        _split(chain, node, ids, info, in_parallel=in_parallel)
    elif kind == "sub":
        element_id = ids.next("s")
        inner = SubProcess(f"Sub {element_id}", id=element_id)
        inner.start(id=f"{element_id}-start")
        _sequence(inner, node[1], ids, info, in_parallel=False)
        inner.end(id=f"{element_id}-end")
        chain.subprocess(inner)
        _boundary(chain, node[2], element_id, ids, in_parallel=in_parallel)
    else:  # pragma: no cover - the strategy draws only the kinds above
        raise ValueError(kind)


def _split(chain: FlowChain, node: Node, ids: _Ids, info: ModelInfo, *, in_parallel: bool) -> None:
    kind, branches = node[0], node[1]
    has_default = kind != "and" and node[2]
    gateway = ids.next("g")
    join = f"{gateway}-join"
    info.joins[join] = (gateway, kind)
    default = "default" if has_default else None
    if kind == "xor":
        chain.exclusive(f"Decide {gateway}", id=gateway, default=default)
    elif kind == "or":
        chain.inclusive(f"Choose {gateway}", id=gateway, default=default)
    else:
        chain.parallel(f"Fork {gateway}", id=gateway)
    inner_parallel = in_parallel or kind == "and"
    for index, branch in enumerate(branches, start=1):
        # xor: x = i picks branch i; or: x >= i runs branches 1..x; x = 0 needs the default
        condition = {"xor": f"=x = {index}", "or": f"=x >= {index}", "and": None}[kind]
        chain.branch(f"b{index}", condition=condition)
        _sequence(chain, branch, ids, info, in_parallel=inner_parallel)
        chain.end_branch()
    if default:
        chain.branch(default)
        chain.end_branch()
    chain.join(f"Join {gateway}", id=join)


def _boundary(chain: FlowChain, boundary: str | None, host: str, ids: _Ids, *, in_parallel: bool) -> None:
    if boundary is None or in_parallel:
        return
    event = ids.next("b")
    if boundary.startswith("timer"):
        chain.on_timer(f"Late {event}", id=event, duration="PT1H", interrupting=boundary == "timer")
    else:
        chain.on_error(f"Failed {event}", id=event, error="E1" if boundary == "error-E1" else None)
    chain.end(id=f"{event}-end")
    chain.end_branch()
