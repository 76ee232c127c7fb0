"""Task-like elements of the fluent builder: tasks, call activities, subprocesses, multi-instance.

A mixin of FlowChain (chain.py), which owns the cursor and adds the elements.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Self

from orchestration.bpmn.expressions import value_expr
from orchestration.bpmn.model import MultiInstanceDefinition

from . import drafts as d
from .drafts import BuilderError, Draft

if TYPE_CHECKING:
    from .chain import FlowChain


class TaskMethods:
    """Elements that do work. Each adds the element after the cursor and moves the cursor to it."""

    # Provided by FlowChain.
    def _add(self, draft: Draft) -> Self: ...  # pragma: no cover
    def _draft(
        self, tag: str, label: str | None, id: str | None, auto: str | None = None, **fields: Any
    ) -> Draft: ...  # pragma: no cover
    def _current_activity(self, what: str) -> Draft: ...  # pragma: no cover
    def _embed(self, fragment: FlowChain, *, event: bool, interrupting: bool) -> Self: ...  # pragma: no cover

    def _io(self, inputs: Mapping[str, str] | None, outputs: Mapping[str, str] | None) -> dict[str, Any]:
        return {"inputs": d.mappings(inputs, "inputs"), "outputs": d.mappings(outputs, "outputs")}

    def service_task(self, label: str, *, type: str, id: str | None = None, **options: Any) -> Self:
        """A job for a worker: type=, retries=3, headers={}, inputs={}, outputs={}."""
        return self._job_task("serviceTask", label, id, type, **options)

    def send_task(self, label: str, *, type: str, id: str | None = None, **options: Any) -> Self:
        return self._job_task("sendTask", label, id, type, **options)

    def _job_task(
        self,
        tag: str,
        label: str,
        id: str | None,
        job_type: str,
        *,
        retries: int | str = 3,
        headers: Mapping[str, str] | None = None,
        inputs: Mapping[str, str] | None = None,
        outputs: Mapping[str, str] | None = None,
    ) -> Self:
        task = d.job(job_type, retries, headers)
        return self._add(self._draft(tag, label, id, task=task, **self._io(inputs, outputs)))

    def user_task(
        self,
        label: str,
        *,
        id: str | None = None,
        assignee: str | None = None,
        candidate_groups: str | Iterable[str] | None = None,
        candidate_users: str | Iterable[str] | None = None,
        due_date: str | None = None,
        follow_up_date: str | None = None,
        form_key: str | None = None,
        inputs: Mapping[str, str] | None = None,
        outputs: Mapping[str, str] | None = None,
    ) -> Self:
        task = d.user_task(assignee, candidate_groups, candidate_users, due_date, follow_up_date, form_key)
        return self._add(self._draft("userTask", label, id, user_task=task, **self._io(inputs, outputs)))

    def script_task(
        self,
        label: str,
        *,
        expression: str,
        result_variable: str,
        id: str | None = None,
        inputs: Mapping[str, str] | None = None,
        outputs: Mapping[str, str] | None = None,
    ) -> Self:
        """A FEEL script the engine evaluates itself; its value goes to result_variable."""
        script = d.script(expression, result_variable)
        return self._add(self._draft("scriptTask", label, id, script=script, **self._io(inputs, outputs)))

    def receive_task(
        self, label: str, *, message: str, correlation_key: str | None = None, id: str | None = None
    ) -> Self:
        return self._add(self._draft("receiveTask", label, id, event=d.message(message, correlation_key)))

    def manual_task(self, label: str, *, id: str | None = None) -> Self:
        return self._add(self._draft("manualTask", label, id))

    def task(self, label: str, *, id: str | None = None) -> Self:
        """An undefined task: passes through at run time."""
        return self._add(self._draft("task", label, id))

    def call_activity(
        self,
        label: str,
        *,
        process_id: str,
        id: str | None = None,
        propagate_all_child_variables: bool = True,
        inputs: Mapping[str, str] | None = None,
        outputs: Mapping[str, str] | None = None,
    ) -> Self:
        called = d.called(process_id, propagate_all_child_variables)
        return self._add(self._draft("callActivity", label, id, called_element=called, **self._io(inputs, outputs)))

    def subprocess(self, fragment: FlowChain) -> Self:
        """An embedded subprocess built separately: `.subprocess(SubProcess("Pack").start()...end())`."""
        return self._embed(fragment, event=False, interrupting=True)

    def event_subprocess(self, fragment: FlowChain, *, interrupting: bool = True) -> Self:
        """An event subprocess of this scope; its start event says what triggers it. The cursor stays."""
        return self._embed(fragment, event=True, interrupting=interrupting)

    def multi_instance(
        self,
        collection: str,
        *,
        element: str | None = None,
        sequential: bool = False,
        output_collection: str | None = None,
        output_element: str | None = None,
        completion_condition: str | None = None,
    ) -> Self:
        """Run the current activity once per item of `collection` (a FEEL expression)."""
        draft = self._current_activity("multi_instance")
        if draft.get("multi_instance") is not None:
            raise BuilderError(f"'{draft['id']}' is already multi-instance")
        if (output_collection is None) != (output_element is None):
            raise BuilderError("multi_instance needs both output_collection= and output_element=, or neither")
        draft["multi_instance"] = MultiInstanceDefinition(
            sequential=sequential,
            input_collection=d.feel(collection),
            input_element=element,
            output_collection=output_collection,
            output_element=value_expr(output_element) if output_element else None,
            completion_condition=d.feel(completion_condition),
        )
        return self
