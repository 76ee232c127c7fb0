"""ProcessBuilder and SubProcess: the entry points of the code-first API.

p = (ProcessBuilder("order", name="Order")
     .start("received")
     .service_task("Reserve stock", type="reserve-stock")
     .end("done"))
p.build()        # the Process the engine runs (validated)
p.definitions()  # Definitions with an auto-laid-out diagram
p.to_xml()       # BPMN 2.0 XML with zeebe: extensions and DI
"""

from __future__ import annotations

from types import MappingProxyType

from orchestration.bpmn.layout import layout
from orchestration.bpmn.model import Definitions, Process
from orchestration.bpmn.validation import validate

from . import writer
from .chain import FlowChain
from .drafts import BuilderError, check_id, freeze, slug

EXPORTER = "orchestration.builder"
EXPORTER_VERSION = "1"


class ProcessBuilder(FlowChain):
    """An executable process, built as a chain of calls from its start event."""

    def __init__(self, process_id: str, *, name: str | None = None, version_tag: str | None = None) -> None:
        super().__init__(check_id(process_id))
        self.process_id = process_id
        self.name = name
        self.version_tag = version_tag

    def build(self) -> Process:
        """The frozen Process; raises BuilderError if the chain is unfinished or invalid."""
        return self.definitions().processes[0]

    def definitions(self) -> Definitions:
        self._check_complete()
        if not any(v["type"] == "startEvent" and v["parent_id"] is None for v in self._drafts.values()):
            raise BuilderError(f"process '{self.process_id}' has no start event: begin with .start()")
        process = freeze(self.process_id, self.name, self.version_tag, self._drafts, self._flows)
        messages = writer.message_ids(process)
        errors = writer.error_ids(process)
        definitions = Definitions(
            id=f"{self.process_id}-definitions",
            target_namespace="http://bpmn.io/schema/bpmn",
            exporter=EXPORTER,
            exporter_version=EXPORTER_VERSION,
            flavour="camunda8",
            processes=(process,),
            messages=MappingProxyType({message_id: name for (name, _), message_id in messages.items()}),
            errors=MappingProxyType({error_id: (code, code) for code, error_id in errors.items()}),
            diagram=layout(process),
        )
        problems = validate(definitions)
        if problems:
            raise BuilderError("; ".join(str(p) for p in problems))
        return definitions

    def to_xml(self) -> str:
        """BPMN 2.0 XML (Camunda 8 dialect) with DI, readable by orchestration.bpmn.parse_bpmn."""
        return writer.to_xml(self.definitions())


class SubProcess(FlowChain):
    """The inside of an embedded (or event) subprocess, embedded with `.subprocess(...)`.

    Auto-generated ids (start, end, gateways) are prefixed with the subprocess id
    so they do not clash with the enclosing process's.
    """

    def __init__(self, label: str, *, id: str | None = None) -> None:
        scope_id = check_id(id) if id is not None else slug(label)
        super().__init__(scope_id, id_prefix=f"{scope_id}-")
        self.name = label
