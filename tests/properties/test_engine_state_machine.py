"""Random command sequences on random models, with the engine's invariants checked after every step.

Each example builds a model (tests/properties/models.py: tasks, user tasks,
timer and message catch events, boundary timers and errors, exclusive,
inclusive and parallel splits with their joins, embedded subprocesses) and
deploys it twice (two versions, same ids). Rules then start instances,
complete, fail and throw errors from jobs, resolve incidents, correlate
messages, fire timers, complete user tasks, cancel instances and migrate them
between the two versions. After every step:

(a) no active token (or open wait) is left in a finished scope;
(b) every join fires at most once per element instance, a parallel join only
    with one token from every incoming flow, and once per fork in a scope
    that completed;
(c) every active token waits on something it can receive (a job, timer,
    subscription or user task of its own, an open incident, or a join some
    token of its scope can still reach): no instance is stuck;
(d) the audit log replays to the stored state (tests/properties/replay.py).

The database run goes through the services with the model cache cleared before
each command (the reloaded path), each example in a savepoint rolled back at
its end. The memory run hosts the same machine on engine/memory.py, without
migration, for more examples at little cost. PROPS_DB_EXAMPLES and
PROPS_MEMORY_EXAMPLES raise the example counts for a longer hunt.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter, deque
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from orchestration.bpmn.model import Process

from .backends import DatabaseBackend, InstanceSnap, MemoryBackend, WaitRow
from .models import ERROR_CODES, ModelInfo, build, trees
from .replay import replay

MAX_INSTANCES = 4
VARIABLES = st.fixed_dictionaries({}, optional={"x": st.integers(0, 3)})
PICK = st.integers(0, 10_000)
JOIN_TYPES = ("parallelGateway", "inclusiveGateway", "exclusiveGateway")

_process_ids = iter(range(1, 1_000_000))


def reaches(process: Process, source: str, target: str) -> bool:
    """Can a token at `source` get to `target` along sequence flows (and the boundary
    events of the activities on the way) without passing through `target`?"""
    boundaries: dict[str, list[str]] = {}
    for element in process.elements.values():
        if element.type == "boundaryEvent" and element.attached_to:
            boundaries.setdefault(element.attached_to, []).append(element.id)
    seen: set[str] = set()
    queue = deque([source])
    while queue:
        element_id = queue.popleft()
        if element_id in seen:
            continue
        seen.add(element_id)
        element = process.elements[element_id]
        for flow_id in element.outgoing:
            nxt = process.flows[flow_id].target
            if nxt == target:
                return True
            queue.append(nxt)
        queue.extend(boundaries.get(element_id, ()))
    return False


class EngineMachine(RuleBasedStateMachine):
    backend_factory: Any = DatabaseBackend

    def __init__(self) -> None:
        super().__init__()
        self.backend = self.backend_factory()
        self.keys: list[uuid.UUID] = []
        self.snaps: dict[uuid.UUID, InstanceSnap] = {}
        self.versions: list[Any] = []
        self.process: Process | None = None
        self.info = ModelInfo()

    # -- setup --------------------------------------------------------------------

    @initialize(tree=trees())
    def deploy_model(self, tree: tuple) -> None:
        process_id = f"prop-{next(_process_ids)}"
        for version in ("v1", "v2"):
            builder, self.info = build(process_id, tree, name=f"Generated {version}")
            self.versions.append(self.backend.deploy(builder.to_xml()))
        self.process = builder.build()
        self._refresh()

    # -- helpers ------------------------------------------------------------------

    def _refresh(self) -> None:
        self.snaps = self.backend.snapshot(self.keys)

    def _running(self) -> list[InstanceSnap]:
        return [self.snaps[k] for k in self.keys if self.snaps[k].state == "active"]

    def _waits(self, kind: str) -> list[tuple[InstanceSnap, WaitRow]]:
        found = []
        for snap in self._running():
            rows = sorted(snap.open_waits(kind), key=lambda w: (w.element_id, str(w.key)))
            found.extend((snap, w) for w in rows)
        return found

    def _pick(self, kind: str, pick: int) -> tuple[InstanceSnap, WaitRow]:
        found = self._waits(kind)
        return found[pick % len(found)]

    def _has(kind: str):  # noqa: N805 - a precondition factory used in the class body
        return lambda self: bool(self._waits(kind))

    # -- rules ---------------------------------------------------------------------

    @precondition(lambda self: len(self.keys) < MAX_INSTANCES)
    @rule(version=st.integers(0, 1), x=st.integers(0, 3))
    def start_instance(self, version: int, x: int) -> None:
        key = self.backend.start(self.versions[version], {"x": x, "ck": f"ck-{len(self.keys)}"})
        self.keys.append(key)
        self._refresh()

    @precondition(_has("job"))
    @rule(pick=PICK, variables=VARIABLES)
    def complete_job(self, pick: int, variables: dict) -> None:
        snap, job = self._pick("job", pick)
        self.backend.complete_job(snap, job, variables)
        self._refresh()

    @precondition(_has("job"))
    @rule(pick=PICK, retries=st.integers(0, 1))
    def fail_job(self, pick: int, retries: int) -> None:
        snap, job = self._pick("job", pick)
        self.backend.fail_job(snap, job, retries)
        self._refresh()

    @precondition(_has("job"))
    @rule(pick=PICK, code=st.sampled_from(ERROR_CODES))
    def throw_error(self, pick: int, code: str) -> None:
        snap, job = self._pick("job", pick)
        self.backend.throw_error(snap, job, code)
        self._refresh()

    @precondition(_has("incident"))
    @rule(pick=PICK, variables=VARIABLES)
    def resolve_incident(self, pick: int, variables: dict) -> None:
        snap, incident = self._pick("incident", pick)
        self.backend.resolve_incident(snap, incident, variables)
        self._refresh()

    @precondition(_has("subscription"))
    @rule(pick=PICK, variables=VARIABLES)
    def correlate_message(self, pick: int, variables: dict) -> None:
        snap, subscription = self._pick("subscription", pick)
        self.backend.correlate(snap, subscription, variables)
        self._refresh()

    @precondition(_has("timer"))
    @rule(pick=PICK)
    def fire_timer(self, pick: int) -> None:
        snap, timer = self._pick("timer", pick)
        self.backend.fire_timer(snap, timer)
        self._refresh()

    @precondition(_has("user_task"))
    @rule(pick=PICK, variables=VARIABLES)
    def complete_user_task(self, pick: int, variables: dict) -> None:
        snap, task = self._pick("user_task", pick)
        self.backend.complete_user_task(snap, task, variables)
        self._refresh()

    @precondition(lambda self: bool(self._running()))
    @rule(pick=PICK)
    def cancel_instance(self, pick: int) -> None:
        running = self._running()
        self.backend.cancel(running[pick % len(running)])
        self._refresh()

    @precondition(lambda self: self.backend.supports_migration and bool(self._running()))
    @rule(pick=PICK)
    def migrate_instance(self, pick: int) -> None:
        running = self._running()
        snap = running[pick % len(running)]
        target = self.versions[1] if snap.definition == self.versions[0] else self.versions[0]
        self.backend.migrate(snap, target)
        self._refresh()
        assert self.snaps[snap.key].definition == target

    @precondition(lambda self: len(self.keys) >= MAX_INSTANCES and not self._running())
    @rule()
    def everything_ended(self) -> None:
        """Every instance ended and no more may start: nothing left to do."""

    # -- invariants ------------------------------------------------------------------

    @invariant()
    def no_token_left_in_a_finished_scope(self) -> None:
        for snap in self.snaps.values():
            for e in snap.active():
                assert snap.state == "active", f"active '{e.element_id}' in a {snap.state} instance"
                if e.scope_key is not None:
                    scope = snap.elements.get(e.scope_key)
                    assert scope is not None and scope.state == "active", (
                        f"active '{e.element_id}' inside a finished scope ({scope.state if scope else 'gone'})"
                    )
            for w in snap.waits:
                if not (w.open or w.detail.get("held")):
                    continue
                if w.owner == snap.key:
                    assert snap.state == "active", f"open {w.kind} of '{w.element_id}' on a {snap.state} instance"
                    continue
                owner = snap.elements.get(w.owner)
                assert owner is not None and owner.state == "active", (
                    f"open {w.kind} of '{w.element_id}' owned by a finished element instance"
                )

    @invariant()
    def every_join_fires_once(self) -> None:
        """Per join element instance at most one firing; per scope instance (from the
        audit log, which (d) checks against the rows) no more joins than forks, and
        exactly one parallel join per fork in a scope that completed."""
        assert self.process is not None
        for snap in self.snaps.values():
            joined = Counter(e.element_instance_key for e in snap.audit if e.type == "gateway_joined")
            assert all(n == 1 for n in joined.values()), f"a join element instance fired twice: {joined}"
            elements = replay(snap.audit).elements
            for join_id, (fork_id, kind) in self.info.joins.items():
                incoming = set(self.process.element(join_id).incoming)
                for event in snap.audit:
                    if event.type == "gateway_joined" and event.element_id == join_id:
                        arrived = event.data["arrived"]
                        assert len(arrived) == len(set(arrived)), f"'{join_id}' took two tokens from one flow"
                        assert set(arrived) <= incoming, f"'{join_id}' fired with {arrived}"
                        if kind == "and":
                            assert set(arrived) == incoming, f"parallel '{join_id}' fired with {arrived}"
                joins = Counter(
                    e.scope for e in elements.values() if e.element_id == join_id and e.state == "completed"
                )
                forks = Counter(
                    e.scope for e in elements.values() if e.element_id == fork_id and e.state == "completed"
                )
                for scope, count in joins.items():
                    assert count <= forks[scope], f"'{join_id}' fired {count} times for {forks[scope]} forks"
                if kind != "and":
                    continue
                for scope, count in forks.items():
                    if scope is None:
                        scope_completed = snap.state == "completed"
                    else:
                        scope_completed = elements[uuid.UUID(scope)].state == "completed"
                    if scope_completed:
                        assert joins[scope] == count, (
                            f"parallel '{join_id}' fired {joins[scope]} times for {count} forks"
                        )

    @invariant()
    def every_instance_waits_on_something_it_can_receive(self) -> None:
        assert self.process is not None
        for snap in self.snaps.values():
            if snap.state != "active":
                continue
            active = snap.active()
            assert active, "an active instance without any active element instance"
            parents = {e.scope_key for e in active}
            waits_by_owner: dict[uuid.UUID | None, list[WaitRow]] = {}
            for w in snap.waits:
                if w.open:
                    waits_by_owner.setdefault(w.owner, []).append(w)
            for e in active:
                if e.key in parents:
                    continue  # a scope with live tokens inside
                if waits_by_owner.get(e.key):
                    continue
                if e.element_type in JOIN_TYPES and "arrived" in e.payload:
                    siblings = [o for o in active if o.scope_key == e.scope_key and o.key != e.key]
                    if any(reaches(self.process, o.element_id, e.element_id) for o in siblings):
                        continue
                raise AssertionError(
                    f"'{e.element_id}' ({e.element_type}) is stuck: no job, timer, subscription, user task, "
                    f"incident or reachable join branch (payload {e.payload})"
                )

    @invariant()
    def audit_log_replays_to_the_stored_state(self) -> None:
        for snap in self.snaps.values():
            replayed = replay(snap.audit)
            assert replayed.state == snap.state, f"audit says {replayed.state}, row says {snap.state}"
            if snap.keeps_ended:
                stored = {k: (e.element_id, e.state) for k, e in snap.elements.items()}
                folded = {k: (e.element_id, e.state) for k, e in replayed.elements.items()}
            else:
                stored = {k: e.element_id for k, e in snap.elements.items() if e.state == "active"}
                folded = replayed.active()
            assert folded == stored, "element instances differ between the audit log and the rows"
            for key, e in replayed.elements.items():
                if e.scope != "?" and key in snap.elements:
                    stored_scope = snap.elements[key].scope_key
                    assert e.scope == (str(stored_scope) if stored_scope else None), f"scope of {key} differs"
            if snap.keeps_ended:
                open_incidents = {str(w.key) for w in snap.open_waits("incident")}
                assert set(replayed.open_incidents) == open_incidents, "open incidents differ from the audit log"
            unannounced = set(snap.root_variables) - replayed.variable_names
            assert not unannounced, f"variables {unannounced} were set without an audit event"

    def teardown(self) -> None:
        pass


class DatabaseMachine(EngineMachine):
    """Each example runs in a savepoint rolled back at its end (examples stay independent)."""

    backend_factory = DatabaseBackend

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)


class MemoryMachine(EngineMachine):
    backend_factory = MemoryBackend


SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]


@pytest.mark.django_db
def test_random_command_sequences_keep_the_engine_invariants_on_the_database() -> None:
    run_state_machine_as_test(
        DatabaseMachine,
        settings=settings(
            max_examples=int(os.environ.get("PROPS_DB_EXAMPLES", "60")),
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=SLOW,
        ),
    )


@pytest.mark.django_db  # deploy-time validation only; the memory host never writes
def test_random_command_sequences_keep_the_engine_invariants_in_memory() -> None:
    run_state_machine_as_test(
        MemoryMachine,
        settings=settings(
            max_examples=int(os.environ.get("PROPS_MEMORY_EXAMPLES", "300")),
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=SLOW,
        ),
    )
