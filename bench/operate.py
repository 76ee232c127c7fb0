"""Operate at 1M instances: prints `name: value` lines (see docs/benchmarks.md).

    .venv/bin/python bench/operate.py            # 1,000,000 instances, bulk retry of 10,000 incidents
    .venv/bin/python bench/operate.py --quick    # 100,000 instances, bulk retry of 1,000 incidents

Seeds its own database (orchestration_bench_operate, `--quick`:
orchestration_bench_operate_quick; created and migrated if missing) with PostgreSQL COPY, once: a marker row remembers the size and the
seed version, and a later run with the same size reuses the rows (it only
re-opens the incidents a previous run's bulk retry resolved). Then it measures
server time (Django's test Client, the whole middleware stack, no network)
of the Operate pages, logged in as an operator, and runs a bulk retry end to
end: submitted as a batch and worked through by a real Celery worker (Redis
broker, db 8), from submit until the batch is completed (`bulk_retry_10k_s`);
`--bulk-inline` calls the chunks in this process instead (no Celery).

What is seeded, per instance (4 processes, 2 deployed versions each):
  states: ~70% completed, 20% active (waiting at an external job), 5% cancelled,
  5% active with an open job_no_retries incident (a failed job; 5 error
  fingerprints, one of them is the bulk-retry group of exactly 10,000/1,000);
  3% of the completed ones also carry a resolved incident;
  3-6 process variables (value + value_text); the path taken as element
  instances (5-6 rows for a completed instance, 3 for one that waits);
  the open job of every waiting instance (completed job rows are not seeded);
  4 audit events per instance (the engine writes about 20 for these
  processes: 4 keeps the table at 4M rows for 1M instances).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("BENCH_DB_NAME", "orchestration_bench_operate")
SEED_VERSION = 1  # bump when the seeded shape changes: an old seed is then replaced
MARKER_TABLE = "bench_operate_seed"
ACTOR = "bench-operator"
BULK_MESSAGE = "Payment gateway timeout after {n} ms"

ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/8"),
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "DEBUG": "false",
    "LOG_LEVEL": "WARNING",
}


@dataclass(frozen=True)
class Sizes:
    instances: int
    bulk: int  # incidents retried by the bulk operation
    search_reps: int
    page_reps: int  # list, detail
    dashboard_reps: int


QUICK = Sizes(instances=100_000, bulk=1_000, search_reps=100, page_reps=30, dashboard_reps=20)
FULL = Sizes(instances=1_000_000, bulk=10_000, search_reps=200, page_reps=50, dashboard_reps=50)

TARGETS = (
    ("search_p95_ms", 20.0),
    ("list_p95_ms", 150.0),
    ("detail_p95_ms", 150.0),
    ("dashboard_p95_ms", 300.0),
    ("bulk_retry_10k_s", 30.0),
)
FIGURES: dict[str, float | int | str] = {}


def emit(name: str, value) -> None:
    FIGURES[name] = value
    if isinstance(value, float):
        value = f"{value:.1f}" if value >= 10 else f"{value:.2f}"
    print(f"{name}: {value}", flush=True)


def load_average() -> str:
    out = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return out.split("load average:")[-1].strip()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


# -- processes ------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessSpec:
    process_id: str
    name: str
    prefix: str  # business key prefix
    share: float  # of all instances
    tasks: tuple[tuple[str, str], ...]  # v1 (id, name); v2 adds `extra`
    extra: tuple[str, str]
    variables: Callable[[random.Random, str], dict]
    messages: tuple[str, ...]  # incident messages ({n} varies per incident)


def _order_vars(rnd: random.Random, key: str) -> dict:
    v = {"orderId": key, "customerId": f"CUST-{rnd.randrange(1, 50_000):05d}", "amount": round(rnd.uniform(5, 900), 2)}
    if rnd.random() < 0.7:
        v["currency"] = rnd.choice(("EUR", "USD", "GBP"))
    if rnd.random() < 0.5:
        v["region"] = rnd.choice(("north", "south", "east", "west"))
    if rnd.random() < 0.3:
        v["express"] = rnd.random() < 0.5
    return v


def _invoice_vars(rnd: random.Random, key: str) -> dict:
    v = {
        "invoiceId": key,
        "customerId": f"CUST-{rnd.randrange(1, 50_000):05d}",
        "total": round(rnd.uniform(20, 5000), 2),
    }
    v["dueDate"] = (dt.date(2026, 1, 1) + dt.timedelta(days=rnd.randrange(365))).isoformat()
    if rnd.random() < 0.5:
        v["channel"] = rnd.choice(("email", "post", "portal"))
    return v


def _shipment_vars(rnd: random.Random, key: str) -> dict:
    v = {"shipmentId": key, "carrier": rnd.choice(("DHL", "UPS", "DPD", "GLS")), "parcels": rnd.randrange(1, 6)}
    if rnd.random() < 0.6:
        v["country"] = rnd.choice(("DE", "FR", "NL", "AT", "BE", "IT"))
    if rnd.random() < 0.4:
        v["weightKg"] = round(rnd.uniform(0.2, 30), 1)
    if rnd.random() < 0.2:
        v["fragile"] = True
    return v


def _refund_vars(rnd: random.Random, key: str) -> dict:
    v = {"refundId": key, "orderId": f"ORD-{rnd.randrange(1, 400_000):06d}", "amount": round(rnd.uniform(5, 500), 2)}
    if rnd.random() < 0.5:
        v["reason"] = rnd.choice(("damaged", "late", "wrong item", "not wanted"))
    return v


PROCESSES = (
    ProcessSpec(
        "order",
        "Order fulfilment",
        "ORD",
        0.40,
        (("reserve-stock", "Reserve stock"), ("charge-payment", "Charge payment"), ("ship-order", "Ship order")),
        ("send-confirmation", "Send confirmation"),
        _order_vars,
        ("Connection refused: stock-service:{n}", "Card declined for customer 'C-{n}'"),
    ),
    ProcessSpec(
        "invoice",
        "Invoicing",
        "INV",
        0.30,
        (("create-invoice", "Create invoice"), ("send-invoice", "Send invoice"), ("book-payment", "Book payment")),
        ("archive-invoice", "Archive invoice"),
        _invoice_vars,
        ("SMTP error 421 from mail relay {n}", "Invoice total mismatch: expected {n}.50 got {n}.49"),
    ),
    ProcessSpec(
        "shipment",
        "Shipment",
        "SHP",
        0.20,
        (("pick", "Pick items"), ("book-carrier", "Book carrier"), ("dispatch", "Dispatch")),
        ("track", "Track parcel"),
        _shipment_vars,
        ("HTTP 503 from carrier API (request {n})", "Connection refused: stock-service:{n}"),
    ),
    ProcessSpec(
        "refund",
        "Refund",
        "RFD",
        0.10,
        (("check-refund", "Check refund"), ("pay-refund", "Pay refund"), ("notify-customer", "Notify customer")),
        ("close-case", "Close case"),
        _refund_vars,
        ("Card declined for customer 'C-{n}'", "HTTP 503 from carrier API (request {n})"),
    ),
)


def process_xml(spec: ProcessSpec, version: int) -> str:
    """start -> service tasks (external job types) -> end, laid out left to right with DI."""
    tasks = spec.tasks + ((spec.extra,) if version == 2 else ())
    nodes = [("start", "startEvent", "Received", "")]
    nodes += [(task_id, "serviceTask", label, task_id) for task_id, label in tasks]
    nodes += [("end", "endEvent", "Done", "")]
    body, shapes, edges = [], [], []
    x = 100
    for i, (node_id, kind, label, job_type) in enumerate(nodes):
        incoming = f"<bpmn:incoming>f{i - 1}</bpmn:incoming>" if i else ""
        outgoing = f"<bpmn:outgoing>f{i}</bpmn:outgoing>" if i < len(nodes) - 1 else ""
        ext = (
            f'<bpmn:extensionElements><zeebe:taskDefinition type="{job_type}" /></bpmn:extensionElements>'
            if job_type
            else ""
        )
        body.append(f'<bpmn:{kind} id="{node_id}" name="{label}">{ext}{incoming}{outgoing}</bpmn:{kind}>')
        width, height, y = (100, 80, 80) if job_type else (36, 36, 102)
        shapes.append(
            f'<bpmndi:BPMNShape id="{node_id}_di" bpmnElement="{node_id}">'
            f'<dc:Bounds x="{x}" y="{y}" width="{width}" height="{height}" /></bpmndi:BPMNShape>'
        )
        right = x + width
        x = right + 60
        if i < len(nodes) - 1:
            body.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{node_id}" targetRef="{nodes[i + 1][0]}" />')
            edges.append(
                f'<bpmndi:BPMNEdge id="f{i}_di" bpmnElement="f{i}">'
                f'<di:waypoint x="{right}" y="120" /><di:waypoint x="{x}" y="120" /></bpmndi:BPMNEdge>'
            )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  id="bench_{spec.process_id}" targetNamespace="http://example.com/bench">
  <bpmn:process id="{spec.process_id}" name="{spec.name}" isExecutable="true">
    {"".join(body)}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{spec.process_id}">
    <bpmndi:BPMNPlane id="plane_{spec.process_id}" bpmnElement="{spec.process_id}">
      {"".join(shapes)}{"".join(edges)}
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>"""


# -- setup ------------------------------------------------------------------------


def set_database(name: str) -> None:
    global DB_NAME
    DB_NAME = name
    ENV["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"


def psql(sql: str, db: str = "postgres") -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-tAc", sql], check=True, capture_output=True, text=True
    ).stdout.strip()


def prepare_environment() -> None:
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"):
        psql(f"CREATE DATABASE {DB_NAME}")
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, check=True)
    emit("migrate_seconds", time.perf_counter() - started)

    import django

    django.setup()


def _marker() -> tuple[int, int] | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (n integer, bulk integer, version integer, seeded_at timestamptz)"
        )
        cur.execute(f"SELECT n, bulk, version FROM {MARKER_TABLE}")
        row = cur.fetchone()
    return None if row is None or row[2] != SEED_VERSION else (row[0], row[1])


# -- seeding ----------------------------------------------------------------------

SEEDED_TABLES = (
    "orchestration_batchitem",
    "orchestration_batchoperation",
    "orchestration_auditevent",
    "orchestration_incident",
    "orchestration_job",
    "orchestration_variable",
    "orchestration_elementinstance",
    "orchestration_processinstance",
)


def _key(ms: int, rnd: random.Random) -> str:
    """A UUIDv7-shaped key for a moment (keys sort by time, like orchestration.keys.new_key)."""
    value = (ms << 80) | (0x7 << 76) | (rnd.getrandbits(12) << 64) | (0b10 << 62) | rnd.getrandbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _ts(moment: dt.datetime) -> str:
    return moment.isoformat()


def _value_text(value) -> str:
    from orchestration.store import value_text

    return value_text(value)


class Copier:
    """One COPY ... FROM STDIN per table, fed text lines in slices."""

    COLUMNS = {
        "orchestration_processinstance": (
            "key, definition_id, bpmn_process_id, business_key, state, incident_count, suspended, parent_id, "
            "parent_element_instance_key, root_key, started_by, started_at, ended_at, updated_at, payload"
        ),
        "orchestration_elementinstance": (
            "key, instance_id, element_id, element_type, scope_key, state, incoming_flow, payload, started_at, ended_at"
        ),
        "orchestration_variable": "instance_id, scope_key, name, value, value_text, updated_at",
        "orchestration_job": (
            "key, instance_id, definition_id, bpmn_process_id, business_key, element_instance_key, element_id, type, "
            "internal, state, retries, retry_at, retry_time_cycle, priority, headers, lock_owner, lock_expires_at, "
            "attempts, dispatched_at, error_message, error_details, created_at, updated_at"
        ),
        "orchestration_incident": (
            "key, instance_id, bpmn_process_id, element_instance_key, element_id, job_id, type, message, details, "
            "fingerprint, state, created_at, resolved_at, resolved_by"
        ),
        "orchestration_auditevent": "instance_key, type, element_id, element_instance_key, actor, data, created_at",
    }

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {table: [] for table in self.COLUMNS}
        self.rows = dict.fromkeys(self.COLUMNS, 0)

    def add(self, table: str, *values) -> None:
        self.lines[table].append("\t".join("\\N" if v is None else str(v) for v in values))

    def flush(self) -> None:
        from django.db import connection

        with connection.cursor() as cur:
            for table, lines in self.lines.items():
                if not lines:
                    continue
                with cur.cursor.copy(f"COPY {table} ({self.COLUMNS[table]}) FROM STDIN") as copy:
                    copy.write("\n".join(lines) + "\n")
                self.rows[table] += len(lines)
                lines.clear()


def seed(sizes: Sizes) -> None:
    """Replace whatever is in the bench database with N generated instances."""
    from django.contrib.auth.models import Group, User
    from django.db import connection

    from orchestration import services
    from orchestration.models import ProcessDefinition
    from orchestration.models.incidents import fingerprint

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(SEEDED_TABLES)} CASCADE")
        cur.execute(f"DELETE FROM {MARKER_TABLE}")
    definitions: dict[tuple[str, int], ProcessDefinition] = {}
    for spec in PROCESSES:
        for version in (1, 2):
            # a reseed keeps the versions deployed the first time
            existing = ProcessDefinition.objects.filter(bpmn_process_id=spec.process_id, version=version).first()
            if existing is None:
                xml = process_xml(spec, version)
                existing = services.deploy(xml, actor="bench", resource_name=f"{spec.process_id}.bpmn").definitions[0]
            assert existing.version == version, existing
            definitions[(spec.process_id, version)] = existing
    operator, _ = User.objects.get_or_create(username=ACTOR)
    operator.groups.add(Group.objects.get(name="operator"))

    # Plain (non-unique, non-primary-key) indexes are dropped during the load and
    # built again after it: much faster than maintaining them row by row. Foreign
    # keys are not checked during the load (replica role): the rows are consistent.
    index_defs: list[str] = []
    with connection.cursor() as cur:
        cur.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid
               WHERE i.tablename = ANY(%s) AND NOT x.indisunique AND NOT x.indisprimary""",
            [list(Copier.COLUMNS)],
        )
        for name, definition in cur.fetchall():
            index_defs.append(definition)
            cur.execute(f'DROP INDEX "{name}"')
        cur.execute("SET session_replication_role = replica")

    rnd = random.Random(20260401)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    span = dt.timedelta(days=30).total_seconds()
    origin = now - dt.timedelta(days=30)
    weights = [spec.share for spec in PROCESSES]
    counters = dict.fromkeys((spec.process_id for spec in PROCESSES), 0)
    bulk_left = sizes.bulk
    copier = Copier()
    n = sizes.instances
    empty, waits_done = "{}", json.dumps({"waits": []})
    waits_job, waits_incident = json.dumps({"waits": ["job"]}), json.dumps({"waits": ["job", "incident"]})
    fingerprints: dict[str, str] = {}

    for i in range(n):
        spec = rnd.choices(PROCESSES, weights)[0]
        version = 1 if rnd.random() < 0.4 else 2
        definition = definitions[(spec.process_id, version)]
        counters[spec.process_id] += 1
        business_key = f"{spec.prefix}-{counters[spec.process_id]:06d}"
        start = origin + dt.timedelta(seconds=span * i / n + rnd.random())
        start_ms = int(start.timestamp() * 1000)
        key = _key(start_ms, rnd)
        roll = rnd.random()
        state = "completed" if roll < 0.70 else "active" if roll < 0.90 else "cancelled" if roll < 0.95 else "incident"
        tasks = spec.tasks + ((spec.extra,) if version == 2 else ())
        nodes = [("start", "startEvent")] + [(t, "serviceTask") for t, _ in tasks] + [("end", "endEvent")]
        duration = rnd.lognormvariate(5.5, 1.2)  # seconds, median ~4 minutes
        ended = start + dt.timedelta(seconds=duration)
        if ended > now:
            ended = now
        if state != "completed":
            nodes = nodes[:3]  # start, the first task (done) and the second (waiting / terminated)
        step = (ended - start) / len(nodes)
        ended_at = _ts(ended) if state in ("completed", "cancelled") else None
        variables = spec.variables(rnd, business_key)

        element_keys = []
        for position, (element_id, element_type) in enumerate(nodes):
            e_start = start + step * position
            e_key = _key(int(e_start.timestamp() * 1000), rnd)
            element_keys.append(e_key)
            last = position == len(nodes) - 1
            if state == "completed" or not last:
                e_state, e_end = "completed", _ts(start + step * (position + 1))
                payload = waits_done if element_type == "serviceTask" else empty
            elif state == "cancelled":
                e_state, e_end, payload = "terminated", ended_at, waits_done
            else:
                e_state, e_end = "active", None
                payload = waits_incident if state == "incident" else waits_job
            copier.add(
                "orchestration_elementinstance",
                e_key,
                key,
                element_id,
                element_type,
                None,
                e_state,
                f"f{position - 1}" if position else "",
                payload,
                _ts(e_start),
                e_end,
            )
        last_id, last_key, last_start = nodes[-1][0], element_keys[-1], _ts(start + step * (len(nodes) - 1))

        incident_count = 0
        if state in ("active", "incident"):
            job_key = _key(start_ms + 1, rnd)
            message = ""
            if state == "incident":
                if spec.process_id == "order" and bulk_left > 0:
                    template = BULK_MESSAGE
                    bulk_left -= 1
                else:
                    template = rnd.choice(spec.messages)
                message = template.format(n=rnd.randrange(100, 99_999))
                fp = fingerprints.setdefault(template, fingerprint(template.format(n=12345)))
                incident_count = 1
                copier.add(
                    "orchestration_incident",
                    _key(start_ms + 2, rnd),
                    key,
                    spec.process_id,
                    last_key,
                    last_id,
                    job_key,
                    "job_no_retries",
                    message,
                    "",
                    fp,
                    "open",
                    last_start,
                    None,
                    "",
                )
            copier.add(
                "orchestration_job",
                job_key,
                key,
                definition.key,
                spec.process_id,
                business_key,
                last_key,
                last_id,
                last_id,
                "f",
                "failed" if state == "incident" else "activatable",
                0 if state == "incident" else 3,
                None,
                "",
                0,
                empty,
                "",
                None,
                1 if state == "incident" else 0,
                None,
                message,
                "",
                last_start,
                last_start,
            )
        elif state == "completed" and rnd.random() < 0.03:
            template = rnd.choice(spec.messages)
            fp = fingerprints.setdefault(template, fingerprint(template.format(n=12345)))
            incident_time = _ts(start + step)
            copier.add(
                "orchestration_incident",
                _key(start_ms + 2, rnd),
                key,
                spec.process_id,
                element_keys[2],
                nodes[2][0],
                None,
                "job_no_retries",
                template.format(n=rnd.randrange(100, 99_999)),
                "",
                fp,
                "resolved",
                incident_time,
                incident_time,
                "ops",
            )

        copier.add(
            "orchestration_processinstance",
            key,
            definition.key,
            spec.process_id,
            business_key,
            "active" if state == "incident" else state,
            incident_count,
            "f",
            None,
            None,
            key,
            "api",
            _ts(start),
            ended_at,
            ended_at or last_start,
            empty,
        )
        for name, value in variables.items():
            copier.add("orchestration_variable", key, key, name, json.dumps(value), _value_text(value), _ts(start))
        created = _ts(start)
        final = {
            "completed": "instance_completed",
            "cancelled": "instance_cancelled",
            "active": "job_created",
            "incident": "incident_created",
        }[state]
        copier.add(
            "orchestration_auditevent",
            key,
            "instance_started",
            "",
            None,
            "api",
            json.dumps({"business_key": business_key}),
            created,
        )
        copier.add(
            "orchestration_auditevent",
            key,
            "variables_set",
            "",
            None,
            "api",
            json.dumps({"scope": "process", "variables": sorted(variables)}),
            created,
        )
        copier.add(
            "orchestration_auditevent",
            key,
            "element_activated",
            last_id,
            last_key,
            "worker",
            json.dumps({"type": nodes[-1][1], "scope": None}),
            last_start,
        )
        copier.add(
            "orchestration_auditevent",
            key,
            final,
            "" if state in ("completed", "cancelled") else last_id,
            None,
            "worker",
            empty,
            ended_at or last_start,
        )
        if (i + 1) % 20_000 == 0:
            copier.flush()
    copier.flush()
    assert bulk_left == 0, f"only {sizes.bulk - bulk_left} bulk incidents seeded"
    load_seconds = time.perf_counter() - started

    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = origin")
        for definition in index_defs:
            cur.execute(definition)
    index_seconds = time.perf_counter() - started - load_seconds
    with connection.cursor() as cur:
        for table in Copier.COLUMNS:
            cur.execute(f"VACUUM ANALYZE {table}")
        cur.execute(f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, now())", [n, sizes.bulk, SEED_VERSION])
    emit("seed_seconds", time.perf_counter() - started)
    emit("seed_load_seconds", load_seconds)
    emit("seed_index_seconds", index_seconds)
    for table, rows in copier.rows.items():
        emit(f"seed_rows_{table.removeprefix('orchestration_')}", rows)


def reset_bulk_group() -> None:
    """Re-open what a previous run's bulk retry resolved, so every run retries the same incidents."""
    from django.db import connection

    from orchestration.models.incidents import fingerprint

    fp = fingerprint(BULK_MESSAGE.format(n=12345))
    with connection.cursor() as cur:
        cur.execute("DELETE FROM orchestration_batchitem")
        cur.execute("DELETE FROM orchestration_batchoperation")
        cur.execute(
            "UPDATE orchestration_incident SET state = 'open', resolved_at = NULL, resolved_by = '' "
            "WHERE fingerprint = %s AND state = 'resolved'",
            [fp],
        )
        reopened = cur.rowcount
        if reopened:
            cur.execute(
                "UPDATE orchestration_job j SET state = 'failed', retries = 0, attempts = 1, dispatched_at = NULL "
                "FROM orchestration_incident i WHERE i.job_id = j.key AND i.fingerprint = %s",
                [fp],
            )
            cur.execute(
                "UPDATE orchestration_elementinstance e SET payload = %s::jsonb "
                "FROM orchestration_incident i WHERE i.element_instance_key = e.key AND i.fingerprint = %s",
                [json.dumps({"waits": ["job", "incident"]}), fp],
            )
            cur.execute(
                "UPDATE orchestration_processinstance p SET incident_count = 1 "
                "FROM orchestration_incident i WHERE i.instance_id = p.key AND i.fingerprint = %s",
                [fp],
            )
        # what autovacuum does between runs: a previous bulk retry updated 10,000 instance,
        # job and incident rows, which clears their pages' all-visible bits (the dashboard's
        # index-only counts then read the table too; docs/benchmarks.md shows both)
        for table in ("orchestration_processinstance", "orchestration_job", "orchestration_incident"):
            cur.execute(f"VACUUM ANALYZE {table}")
    emit("bulk_incidents_reopened", reopened)


# -- measuring ---------------------------------------------------------------------


def timed(client, urls: Iterator[str], reps: int, expect: int) -> list[float]:
    """Milliseconds per request (after 3 warm-up requests), checking the status code."""
    samples = []
    for number in range(reps + 3):
        url = next(urls)
        started = time.perf_counter()
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == expect, (url, response.status_code)
        if number >= 3:
            samples.append(elapsed)
    return samples


def report(name: str, samples: list[float]) -> None:
    emit(f"{name}_p50_ms", statistics.median(samples))
    emit(f"{name}_p95_ms", percentile(samples, 95))
    emit(f"{name}_count", len(samples))


def measure_pages(sizes: Sizes) -> None:
    from django.contrib.auth.models import User
    from django.test import Client

    from orchestration.models import Incident, ProcessDefinition, ProcessInstance

    client = Client()
    client.force_login(User.objects.get(username=ACTOR))
    rnd = random.Random(7)
    counts = {
        spec.process_id: ProcessInstance.objects.filter(bpmn_process_id=spec.process_id).count() for spec in PROCESSES
    }

    def exact_keys() -> Iterator[str]:
        while True:
            spec = rnd.choice(PROCESSES)
            yield f"/operate/instances/?q={spec.prefix}-{rnd.randrange(1, counts[spec.process_id] + 1):06d}"

    def prefix_keys() -> Iterator[str]:
        while True:  # ORD-1234 matches ORD-123400 .. ORD-123499: a page of 50 and a next link
            spec = rnd.choice(PROCESSES)
            yield f"/operate/instances/?q={spec.prefix}-{rnd.randrange(1, counts[spec.process_id] // 100 + 1):04d}"

    def lists() -> Iterator[str]:
        while True:
            spec = rnd.choice(PROCESSES)
            state = rnd.choice(("active", "completed", "cancelled", "incident"))
            yield f"/operate/instances/?process={spec.process_id}&state={state}"

    open_keys = list(Incident.objects.filter(state="open").order_by("?").values_list("instance_id", flat=True)[:200])
    other_keys = list(ProcessInstance.objects.order_by("?").values_list("key", flat=True)[:200])

    def details() -> Iterator[str]:
        while True:  # half with an open incident (the support case), half any instance
            yield f"/operate/instances/{rnd.choice(open_keys if rnd.random() < 0.5 else other_keys)}/"

    def dashboards() -> Iterator[str]:
        while True:
            yield "/operate/"

    report("search", timed(client, exact_keys(), sizes.search_reps, 302))
    report("search_prefix", timed(client, prefix_keys(), sizes.search_reps, 200))
    report("list", timed(client, lists(), sizes.page_reps, 200))
    report("detail", timed(client, details(), sizes.page_reps, 200))
    report("dashboard", timed(client, dashboards(), sizes.dashboard_reps, 200))
    # no target in the issue: the processes pages count over every instance (and the version page
    # over every element instance of the version, for its diagram); a few samples each
    definitions = list(ProcessDefinition.objects.values_list("key", flat=True))

    def versions() -> Iterator[str]:
        while True:
            yield f"/operate/processes/{rnd.choice(definitions)}/"

    def process_lists() -> Iterator[str]:
        while True:
            yield "/operate/processes/"

    report("processes", timed(client, process_lists(), sizes.dashboard_reps // 5, 200))
    report("process_version", timed(client, versions(), sizes.dashboard_reps // 5, 200))


def measure_bulk_retry(sizes: Sizes, *, inline: bool) -> None:
    from django.contrib.auth.models import User

    from orchestration.models import BatchOperation, Incident
    from orchestration.models.incidents import fingerprint
    from orchestration.services import batches

    fp = fingerprint(BULK_MESSAGE.format(n=12345))
    operator = User.objects.get(username=ACTOR)
    started = time.perf_counter()
    batch = batches.create_batch(
        BatchOperation.Kind.RETRY_INCIDENTS,
        {"process": "order", "fingerprint": fp},
        actor=operator,
        params={"fingerprint": fp},
        dispatch=not inline,  # the first chunk is sent to the worker after commit
    )
    submitted = time.perf_counter()
    chunks = 0
    if inline:
        while batches.run_batch_chunk(batch.key, dispatch=False).state == BatchOperation.State.RUNNING:
            chunks += 1
        chunks += 1
    else:
        deadline = time.monotonic() + 600
        while BatchOperation.objects.filter(key=batch.key, state=BatchOperation.State.RUNNING).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the bulk retry did not finish within 600 s")
            time.sleep(0.05)
        chunks = math.ceil(sizes.bulk / batches.CHUNK_SIZE)
    elapsed = time.perf_counter() - started
    batch.refresh_from_db()
    assert batch.total == sizes.bulk, (batch.total, sizes.bulk)
    assert batch.succeeded == sizes.bulk, (batch.succeeded, batch.failed, batch.skipped)
    assert not Incident.objects.filter(fingerprint=fp, state="open").exists()
    label = "bulk_retry_10k_s" if sizes.bulk == 10_000 else f"bulk_retry_{sizes.bulk // 1000}k_s"
    emit("bulk_retry_path", "inline chunks (no Celery)" if inline else "Celery worker (prefork 2, Redis broker)")
    emit("bulk_retry_items", batch.total)
    emit("bulk_retry_chunks", chunks)
    emit("bulk_retry_submit_s", submitted - started)
    emit(label, elapsed)
    if sizes.bulk != 10_000:
        emit("bulk_retry_10k_s_extrapolated", elapsed * 10_000 / sizes.bulk)


def report_targets() -> None:
    for name, bound in TARGETS:
        value = FIGURES.get(name, FIGURES.get(f"{name}_extrapolated"))
        if value is None:
            continue
        emit(f"target_{name}_lt_{bound:g}", "met" if value <= bound else "missed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 instances, bulk retry of 1,000")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the marker matches")
    parser.add_argument("--skip-bulk", action="store_true", help="measure the pages only")
    parser.add_argument("--bulk-only", action="store_true", help="measure the bulk retry only")
    parser.add_argument("--bulk-inline", action="store_true", help="run the bulk retry's chunks in this process, without Celery")
    parser.add_argument("--seed-only", action="store_true", help="seed (if needed) and stop")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    if args.quick:  # its own database, so a quick run does not replace the 1M seed
        set_database(f"{DB_NAME}_quick")
    emit("load_average_at_start", load_average())
    emit("instances", sizes.instances)
    prepare_environment()
    marker = _marker()
    if args.reseed or marker != (sizes.instances, sizes.bulk):
        seed(sizes)
    else:
        emit("seed_seconds", "0 (reused)")
        reset_bulk_group()
    if args.seed_only:
        return
    if not args.bulk_only:
        measure_pages(sizes)
    if not args.skip_bulk:
        if args.bulk_inline:
            measure_bulk_retry(sizes, inline=True)
        else:
            from bench.engine import celery_worker  # a real worker (prefork, 2 processes) on the bench broker

            with celery_worker(ENV["CELERY_BROKER_URL"], include=()):
                measure_bulk_retry(sizes, inline=False)
    emit("load_average_at_end", load_average())
    report_targets()


if __name__ == "__main__":
    main()
