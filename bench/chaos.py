"""The fault suite: kill things under load, then check the books.

    uv run python -m bench.chaos                # every scenario, full size (make chaos)
    uv run python -m bench.chaos --short        # the short forms (make test runs them too)
    uv run python -m bench.chaos --only scoring_killed

Each scenario runs the services as processes on a Kafka and a FerretDB of the suite's own
(their own topic prefix and databases per scenario), sends a city's punches through intake's
HTTP API at a steady rate, does its harm, and keeps four books:

- **acknowledged**: every event that got a 202 (accepted or a resent duplicate), by id;
- **on the topic**: the attendance topic read back by an independent consumer;
- **in the store**: each employee-month's ``events_counted`` in scoring's evaluations;
- **rebuilt**: scoring's store rebuilt by ``kinerja-scoring-tools replay`` and compared.

Where notifiers run (two replicas with one killed, and the soak), a fifth: every alert on the
alert topic reached a real webhook endpoint and every planned e-mail a real SMTP server, and no
notification arrived twice (counted by idempotency key and Message-ID) beyond the deliveries in
flight at a kill.

A scenario passes with 0 lost (acknowledged but not on the topic or not counted), 0 counted
twice (counted more than once, or not acknowledged yet counted), and live equal to replay. The
figures go to ``bench/results/chaos.json`` (or ``chaos_short.json``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench.common import RESULTS, Stack, console, local_stack, write_result
from bench.receivers import MailBox, Receiver, alert_record, routing_file, serving, smtp_server
from bench.scoring_replay import _count_differences
from kinerja_local.city import City, generate_city
from kinerja_local.provision import admin_headers, provision_city
from kinerja_local.services import ServiceSpec, service_env, wait_ready
from kinerja_local.simulator import attendance_events
from kinerja_local.stack import (
    LocalFerretDB,
    LocalKafka,
    Ports,
    Process,
    free_port,
    kafka_cluster,
)
from kinerja_shared.kafka import LagProbe, ensure_topics
from kinerja_shared.mongo import make_client
from kinerja_shared.topics import Topics

WIB = ZoneInfo("Asia/Jakarta")
TOOLS = str(Path(sys.executable).parent / "kinerja-scoring-tools")
BATCH = 100


@dataclass(frozen=True)
class Scale:
    events: int
    rate: float  # events a second, sent in batches of 100
    employees: int
    soak_s: float
    timeout_s: float
    # Seconds an employee's marks wait for their changes to settle before the alert check
    # (scoring's default 30; the short forms wait less so that make test stays short).
    alert_settle_s: float = 30.0
    # How long two of the cluster's three brokers stay down mid-run (intake's publish timeout is
    # 10 s, so a refusal shows within it); 0: they go down once the books are kept, and one
    # probe batch shows the refusal (the short form, without two brokers' restarts).
    outage_s: float = 25.0
    # How long a killed broker or store stays down, and intake's publish timeout (a 503 must
    # show within the outage).
    down_s: float = 10.0
    publish_timeout_s: float = 10.0
    # The soak's steady rate (events a second): the short form's must span a working week,
    # so that the weekly lateness rule raises alerts.
    soak_rate: float = 50.0
    # Alerts published at once for the notifiers (scenario 5), besides scoring's own.
    alerts: int = 600
    # Live equal to replay is checked in every scenario full size; the short forms check it
    # where the fault touches scoring's own writes (the cluster's brokers and the soak do not).
    replay_unharmed: bool = True
    # How long a killed consumer keeps its partitions, and a killed scoring its projection
    # (the services' defaults, 10 s and 20 s; the short forms take less, so a kill's
    # takeover comes sooner).
    session_timeout_ms: int = 10_000
    projector_lease_s: float = 20.0


FULL = Scale(events=50_000, rate=500, employees=1000, soak_s=600, timeout_s=900)
SHORT = Scale(
    events=1_000,
    rate=500,
    employees=100,
    soak_s=5,
    timeout_s=240,
    alerts=90,
    soak_rate=200.0,
    alert_settle_s=0.5,
    outage_s=0.0,
    down_s=6.0,
    publish_timeout_s=4.0,
    replay_unharmed=False,
    session_timeout_ms=6_000,
    projector_lease_s=5.0,
)


@dataclass
class Books:
    """One scenario's figures."""

    scenario: str
    sent: int = 0
    acknowledged: int = 0
    on_topic: int = 0
    on_topic_twice: int = 0
    applied: int = 0
    lost: int = 0
    counted_twice: int = 0
    recovery_s: float | None = None
    live_equals_replay: bool | None = None
    differences: int | None = None
    refused_503: int = 0
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            self.lost == 0
            and self.counted_twice == 0
            and self.live_equals_replay is not False
            and not self.notes.get("failed")
        )


class Run:
    """One scenario's namespace on the suite's stack: its topics, databases and processes."""

    def __init__(
        self, stack: Stack, kafka: LocalKafka, ferret: LocalFerretDB, name: str, scale: Scale
    ) -> None:
        self.stack, self.kafka, self.ferret, self.name = stack, kafka, ferret, name
        self.scale = scale
        self.topic_prefix = f"chaos-{name}-"
        self.db_prefix = f"chaos_{name}_"
        self.topics = Topics(prefix=self.topic_prefix)
        self.procs: dict[str, tuple[ServiceSpec, Process]] = {}

    def env(self, spec: ServiceSpec, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = service_env(spec, self.stack.ports, self.topic_prefix, self.db_prefix)
        p = spec.env_prefix
        env.update(
            {
                f"{p}LOG_LEVEL": "WARNING",
                "KINERJA_INTAKE_SCORING_GRACE_DAYS": "36500",
                "KINERJA_INTAKE_CLOSE_DAYS": "false",
                "KINERJA_SCORING_GRACE_DAYS": "36500",
                "KINERJA_SCORING_BATCH_TIMEOUT_MS": "200",
                "KINERJA_SCORING_ALERT_SETTLE_S": str(self.scale.alert_settle_s),
                "KINERJA_INTAKE_PUBLISH_TIMEOUT_S": str(self.scale.publish_timeout_s),
                f"{p}SESSION_TIMEOUT_MS": str(self.scale.session_timeout_ms),
                "KINERJA_SCORING_PROJECTOR_LEASE_S": str(self.scale.projector_lease_s),
            }
        )
        env.update(extra or {})
        return env

    def start(
        self, label: str, service: str, extra: dict[str, str] | None = None, wait: bool = True
    ) -> str:
        """``wait``: until it is ready (several started together, then ``wait``)."""
        spec = self.procs[label][0] if label in self.procs else None
        spec = spec or ServiceSpec(service, service, free_port())
        proc = Process(f"{self.name}-{label}", self.stack.state)
        proc.start([sys.executable, "-m", spec.module], env=self.env(spec, extra))
        self.procs[label] = (spec, proc)
        if wait:
            self.wait(label)
        return spec.url

    def wait(self, label: str) -> None:
        wait_ready(*self.procs[label], 120)

    def kill(self, label: str) -> None:
        self.procs[label][1].kill()

    def pid(self, label: str) -> int | None:
        return self.procs[label][1].pid()

    def stop_all(self) -> None:
        for _, proc in self.procs.values():
            proc.stop()

    def url(self, label: str) -> str:
        return self.procs[label][0].url


# --- load and the books ------------------------------------------------------------------------


def city_events(scale: Scale, seed: int = 7) -> tuple[City, list[dict[str, Any]]]:
    """A city's punches of recent working days, at least ``scale.events`` of them."""
    city = generate_city(seed, scale.employees)
    start = datetime.now(WIB).date() - timedelta(days=84)
    events = []
    for e in attendance_events(city, start, datetime.now(WIB).date() - timedelta(days=1)):
        events.append(e)
        if len(events) == scale.events:
            break
    return city, events


@dataclass
class Sent:
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)  # id → (nip, month)
    refused_503: int = 0
    errors: list[str] = field(default_factory=list)


async def send(
    intake_url: str,
    key: str,
    events: list[dict[str, Any]],
    rate: float,
    on_progress: Callable[[int], Awaitable[None]] | None = None,
) -> Sent:
    """Post the events in batches at ``rate``; a 503 (or no answer) is resent after a second,
    as a client following Retry-After would, until intake answers 202."""
    out = Sent()
    headers = {"X-Api-Key": key}
    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=intake_url, timeout=30) as client:
        for i in range(0, len(events), BATCH):
            batch = events[i : i + BATCH]
            while True:
                try:
                    r = await client.post("/v1/events", json=batch, headers=headers)
                except httpx.HTTPError as exc:
                    out.errors.append(f"no answer: {type(exc).__name__}")
                    await asyncio.sleep(1)
                    continue
                if r.status_code == 503:
                    out.refused_503 += 1
                    await asyncio.sleep(1)
                    continue
                break
            if r.status_code != 202:
                out.errors.append(f"{r.status_code}: {r.text[:200]}")
                continue
            for item in r.json()["results"]:
                if item["status"] in ("accepted", "duplicate"):
                    e = batch[item["index"]]
                    month = e["occurred_at"][:7]
                    out.acknowledged[e["event_id"]] = (e["nip"], month)
            if on_progress is not None:
                await on_progress(i + len(batch))
            ahead = (i + len(batch)) / rate - (time.perf_counter() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
    return out


async def topic_ids(bootstrap: str, topic: str, key: str = "event_id") -> Counter[str]:
    """Every event id (or ``key``) on ``topic``: a consumer of no group reads it from the
    start, subscribed (so the topic's metadata is fetched), until it has passed every
    partition's end offset."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap.split(","),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    seen: Counter[str] = Counter()
    try:
        deadline = time.monotonic() + 300
        end: dict[TopicPartition, int] = {}
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=1000, max_records=5000)
            for records in batch.values():
                for rec in records:
                    try:
                        seen[json.loads(rec.value)[key]] += 1
                    except (ValueError, KeyError, TypeError):
                        seen["(not an event)"] += 1
            parts = consumer.assignment()
            if parts and not end:
                end = await consumer.end_offsets(list(parts))
            if end and all([await consumer.position(tp) >= end[tp] for tp in end]):
                break
    finally:
        await consumer.stop()
    return seen


async def counted(scoring_url: str, pairs: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """``events_counted`` of each employee-month in scoring's evaluations."""
    out: dict[tuple[str, str], int] = {}
    sem = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=scoring_url, timeout=60) as client:

        async def one(nip: str, month: str) -> None:
            async with sem:
                r = await client.get(
                    f"/v1/employees/{nip}/evaluation",
                    params={"period": month},
                    headers=admin_headers(),
                )
                out[(nip, month)] = int(r.json().get("events_counted", 0)) if r.is_success else -1

        await asyncio.gather(*(one(n, m) for n, m in sorted(pairs)))
    return out


async def converged(run: Run, timeout_s: float) -> float:
    """Seconds until scoring's group has no lag on the attendance topic and nothing waits to
    be projected."""
    from scoring.store import StaleQueue

    started = time.perf_counter()
    probe = LagProbe(run.stack.ports.kafka_bootstrap, "kinerja-scoring")
    await probe.start()
    client = make_client(run.stack.ports.mongodb_url, app_name="chaos")
    queue = StaleQueue(client[f"{run.db_prefix}scoring"])
    try:
        while time.perf_counter() - started < timeout_s:
            try:
                lag = await probe.lag([run.topics.attendance])
                if lag and sum(lag.values()) == 0 and await queue.size() == 0:
                    return time.perf_counter() - started
            except Exception:  # noqa: BLE001 - the broker or store may still be coming back
                pass
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{run.name}: scoring did not converge in {timeout_s:.0f}s")
    finally:
        await probe.stop()
        await client.close()


async def keep_books(run: Run, books: Books, sent: Sent, timeout_s: float) -> None:
    books.acknowledged = len(sent.acknowledged)
    books.refused_503 = sent.refused_503
    if sent.errors:
        books.notes["send_errors"] = sent.errors[:5]
    settle = await converged(run, timeout_s)
    books.notes["settle_s"] = round(settle, 1)
    on_topic = await topic_ids(run.stack.ports.kafka_bootstrap, run.topics.attendance)
    books.on_topic = sum(1 for i in sent.acknowledged if on_topic[i] > 0)
    books.on_topic_twice = sum(1 for i, n in on_topic.items() if n > 1 and i in sent.acknowledged)
    by_pair: Counter[tuple[str, str]] = Counter(sent.acknowledged.values())
    found = await counted(run.url("scoring"), set(by_pair))
    books.applied = sum(max(0, n) for n in found.values())
    missing_on_topic = books.acknowledged - books.on_topic
    missing_in_store = sum(max(0, by_pair[p] - found.get(p, 0)) for p in by_pair)
    books.lost = max(missing_on_topic, missing_in_store)
    books.counted_twice = sum(max(0, found.get(p, 0) - by_pair[p]) for p in by_pair)


async def replay_and_compare(run: Run, timeout_s: float, books: Books) -> tuple[bool, int]:
    env = {**os.environ, **run.env(ServiceSpec("scoring", "scoring", 0)), "COLUMNS": "200"}
    rebuilt = f"{run.db_prefix}scoring_replay"
    await asyncio.to_thread(
        subprocess.run,
        [TOOLS, "replay", "--database", rebuilt, "--timeout", str(timeout_s)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    out = await asyncio.to_thread(
        subprocess.run,
        [TOOLS, "compare", f"{run.db_prefix}scoring", rebuilt],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = out.stdout + out.stderr
    if out.returncode != 0:
        books.notes["first_difference"] = await _first_difference(
            run, f"{run.db_prefix}scoring", rebuilt
        )
        books.notes["compare"] = [
            line for line in report.splitlines() if "(differs)" in line or "only in" in line
        ][:6]
    return out.returncode == 0, _count_differences(report)


async def _first_difference(run: Run, a: str, b: str) -> list[str]:
    """Where the first differing read model differs, field by field (for the report)."""
    client = make_client(run.stack.ports.mongodb_url, app_name="chaos-diff")
    try:
        for name in ("evaluations", "unit_summaries"):
            async for doc in client[a][name].find({}):
                other = await client[b][name].find_one({"_id": doc["_id"]}) or {}
                mine = {**doc, **({"body": json.loads(doc["body"])} if "body" in doc else {})}
                theirs = {
                    **other,
                    **({"body": json.loads(other["body"])} if "body" in other else {}),
                }
                paths = _paths(mine, theirs, f"{name}/{doc['_id']}")
                if paths:
                    return paths[:8]
        return []
    finally:
        await client.close()


def _paths(x: Any, y: Any, at: str) -> list[str]:
    if isinstance(x, dict) and isinstance(y, dict):
        out = []
        for k in sorted(set(x) | set(y), key=str):
            if k in ("updated_at", "_id", "as_of"):
                continue
            out += _paths(x.get(k), y.get(k), f"{at}.{k}")
        return out
    return [] if x == y else [f"{at}: {x!r} != {y!r}"[:300]]


# --- the scenarios ----------------------------------------------------------------------------


async def _start(
    run: Run, scale: Scale, scorings: int = 1, others: dict[str, dict[str, str]] | None = None
) -> tuple[City, list[Any], str]:
    """Intake, ``scorings`` scoring instances and ``others`` (label → its extra settings),
    started together; then the city is provisioned through intake."""
    await ensure_topics(run.stack.ports.kafka_bootstrap, run.topics, None, partitions=6)
    labels = ["intake", *("scoring" if i == 0 else f"scoring-{i}" for i in range(scorings))]
    extras: dict[str, dict[str, str]] = {label: {} for label in labels} | (others or {})
    for label, extra in extras.items():  # started together: their starts overlap
        run.start(label, label.split("-")[0], extra, wait=False)
    for label in extras:
        await asyncio.to_thread(run.wait, label)
    intake = run.url("intake")
    city, events = city_events(scale)
    key = await asyncio.to_thread(provision_city, city, intake)
    return city, events, key


async def scoring_killed(run: Run, scale: Scale, books: Books) -> None:
    """kill -9 of scoring mid-batch under load, then a restart."""
    _, events, key = await _start(run, scale)
    killed = asyncio.Event()

    async def harm(done: int) -> None:
        if not killed.is_set() and done >= len(events) * 0.4:
            killed.set()
            run.kill("scoring")
            books.notes["killed_at_event"] = done
            asyncio.get_running_loop().call_later(
                3, lambda: asyncio.ensure_future(asyncio.to_thread(run.start, "scoring", "scoring"))
            )

    sent = await send(run.url("intake"), key, events, scale.rate, harm)
    books.sent = len(events)
    t = time.perf_counter()
    await keep_books(run, books, sent, scale.timeout_s)
    books.recovery_s = round(time.perf_counter() - t, 1)
    books.live_equals_replay, books.differences = await replay_and_compare(
        run, scale.timeout_s, books
    )


async def broker_killed(run: Run, scale: Scale, books: Books) -> None:
    """kill -9 of the Kafka broker under load, a restart ``down_s`` later: intake answers 503 while
    it is away, and every 202 is on the topic."""
    sent = await _down_and_back(run, scale, books, run.kafka)
    if sent.refused_503 == 0:
        books.notes["failed"] = "intake never answered 503 while the broker was away"


async def store_killed(run: Run, scale: Scale, books: Books) -> None:
    """kill -9 of the store (FerretDB) under load, a restart ``down_s`` later: intake keeps
    accepting, scoring pauses without committing (its group's committed offsets, sampled each
    second of the outage, stand still), and everything converges."""
    samples: list[dict[int, int]] = []

    async def watch(state: dict[str, float]) -> None:
        await asyncio.sleep(2)  # a batch written just before the kill may still commit
        while "back" not in state:
            samples.append(await _committed(run))
            await asyncio.sleep(1)

    await _down_and_back(run, scale, books, run.ferret, watch)
    moved = [p for p in (samples[0] if samples else {}) if samples[-1].get(p) != samples[0][p]]
    books.notes["committed_samples"] = len(samples)
    books.notes["committed_moved_during_outage"] = moved
    if len(samples) < 3 or moved:
        books.notes["failed"] = f"committed offsets during the outage: {samples}"


async def _committed(run: Run) -> dict[int, int]:
    """Scoring's committed offset of each attendance partition."""
    admin = AIOKafkaAdminClient(bootstrap_servers=run.stack.ports.kafka_bootstrap.split(","))
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets("kinerja-scoring")
    finally:
        await admin.close()
    topic = run.topics.attendance
    return {tp.partition: o.offset for tp, o in offsets.items() if tp.topic == topic}


async def _down_and_back(
    run: Run,
    scale: Scale,
    books: Books,
    part: LocalKafka | LocalFerretDB,
    during: Callable[[dict[str, float]], Coroutine[Any, Any, None]] | None = None,
) -> Sent:
    """Kill ``part`` when 40 % is sent, start it again ``down_s`` later, then keep the books;
    ``during`` runs from the kill until the part is back."""
    _, events, key = await _start(run, scale)
    state: dict[str, float] = {}
    watching: list[asyncio.Task[None]] = []

    def restart() -> None:
        part.start(log=lambda m: None)
        state["back"] = time.perf_counter()

    async def harm(done: int) -> None:
        if "killed" not in state and done >= len(events) * 0.4:
            state["killed"] = time.perf_counter()
            part.proc.kill()
            asyncio.get_running_loop().call_later(
                scale.down_s, lambda: asyncio.ensure_future(asyncio.to_thread(restart))
            )
            if during is not None:
                watching.append(asyncio.create_task(during(state)))

    sent = await send(run.url("intake"), key, events, scale.rate, harm)
    books.sent = len(events)
    await _back(state)
    await asyncio.gather(*watching)
    books.recovery_s = round(state["back"] - state["killed"], 1)
    await keep_books(run, books, sent, scale.timeout_s)
    books.live_equals_replay, books.differences = await replay_and_compare(
        run, scale.timeout_s, books
    )
    return sent


async def _back(state: dict[str, float], timeout_s: float = 120) -> None:
    """Wait until the killed part was started again (the restart runs on its own timer)."""
    deadline = time.perf_counter() + timeout_s
    while "back" not in state and time.perf_counter() < deadline:  # noqa: ASYNC110 - set by a thread
        await asyncio.sleep(0.2)
    if "back" not in state:
        raise TimeoutError("the killed part did not come back")


async def poison(run: Run, scale: Scale, books: Books) -> None:
    """Poison records on every topic scoring consumes, among good traffic: the rest flows, the
    DLQ holds exactly the bad ones with their reasons, and lag returns to zero."""
    _, events, key = await _start(run, scale)
    bad = [b"{not json", b'{"schema_version": []}', b"[]", b'{"type": "attendance.recorded"}']
    topics = [
        run.topics.attendance,
        run.topics.service_quality,
        run.topics.target_progress,
        run.topics.feedback,
        run.topics.reference,
    ]
    producer = AIOKafkaProducer(
        bootstrap_servers=run.stack.ports.kafka_bootstrap.split(","), acks="all"
    )
    await producer.start()
    try:
        for topic in topics:
            for value in bad:
                await producer.send_and_wait(topic, value, key=b"199001152015032002")
    finally:
        await producer.stop()
    sent = await send(run.url("intake"), key, events, scale.rate)
    books.sent = len(events)
    await keep_books(run, books, sent, scale.timeout_s)
    dead = await topic_ids(run.stack.ports.kafka_bootstrap, run.topics.dlq)
    # Scoring dead-letters every bad record it reads; on the feedback topic an object of
    # another type is the notifier's (not running here), so two of its four are not scoring's.
    expected = len(bad) * len(topics) - 2
    books.notes["poison_sent"] = len(bad) * len(topics)
    books.notes["dlq_records"] = sum(dead.values())
    if sum(dead.values()) != expected:
        books.notes["failed"] = f"the DLQ holds {sum(dead.values())} records, not {expected}"
    books.live_equals_replay, books.differences = await replay_and_compare(
        run, scale.timeout_s, books
    )


async def replica_killed(run: Run, scale: Scale, books: Books) -> None:
    """Two scoring instances and two notifiers, each pair in its consumer group; one of each is
    killed under load. No event counts twice; no notification goes out twice beyond the window
    (those in flight at the kill), counted by idempotency key and Message-ID at the receivers."""
    async with notifier_receivers(run) as (hook, box, env):
        others = {"notifier": env, "notifier-1": env}
        city, events, key = await _start(run, scale, scorings=2, others=others)

        async def harm(done: int) -> None:
            if "killed" not in books.notes and done >= len(events) * 0.4:
                books.notes["killed"] = "scoring-1"
                run.kill("scoring-1")

        burst = asyncio.create_task(_burst_and_kill(run, scale, city, hook, books))
        sent = await send(run.url("intake"), key, events, scale.rate, harm)
        await burst
        books.sent = len(events)
        await keep_books(run, books, sent, scale.timeout_s)
        await notifier_books(run, scale, books, hook, box)
    books.live_equals_replay, books.differences = await replay_and_compare(
        run, scale.timeout_s, books
    )


# --- the notifier's books ---------------------------------------------------------------------

#: Deliveries a notifier has in flight at once: at most these may go out twice after a kill
#: (sent, but killed before the send was logged); the documented window.
NOTIFIER_CONCURRENCY = 8


@asynccontextmanager
async def notifier_receivers(run: Run) -> AsyncIterator[tuple[Receiver, MailBox, dict[str, str]]]:
    """A webhook endpoint and a mailbox on loopback, and the notifier's settings that send every
    alert to both (the survivor of a kill takes the dispatch lease over after 8 s)."""
    hook = Receiver(delay_s=0.02)  # a receiver that takes its time, so a kill lands mid-batch
    async with serving(hook) as url, smtp_server() as (box, port):
        routing = routing_file(
            run.stack.state / f"routing-{run.name}.toml", url, channels=("webhook", "email")
        )
        yield (
            hook,
            box,
            {
                "KINERJA_NOTIFIER_ROUTING_FILE": str(routing),
                "KINERJA_NOTIFIER_SMTP_HOST": "127.0.0.1",
                "KINERJA_NOTIFIER_SMTP_PORT": str(port),
                "KINERJA_NOTIFIER_SMTP_TLS": "none",
                "KINERJA_NOTIFIER_DISPATCH_INTERVAL_S": "0.1",
                "KINERJA_NOTIFIER_DELIVERY_CONCURRENCY": str(NOTIFIER_CONCURRENCY),
                "KINERJA_NOTIFIER_DISPATCHER_LEASE_S": "8",
            },
        )


async def _burst_and_kill(run: Run, scale: Scale, city: City, hook: Receiver, books: Books) -> None:
    """A backlog of ``scale.alerts`` coaching alerts on the alert topic (besides scoring's
    own); once a third has reached the webhook, the notifier holding the dispatch lease is
    killed mid-batch."""
    staff = [e for e in city.employees if e.supervisor_nip]
    producer = AIOKafkaProducer(
        bootstrap_servers=run.stack.ports.kafka_bootstrap.split(","), acks="all"
    )
    await producer.start()
    try:
        for i in range(scale.alerts):
            e = staff[i % len(staff)]
            await producer.send(run.topics.alert, *alert_record(f"chaos:{i}", e, f"chaos-{i}"))
        await producer.flush()
    finally:
        await producer.stop()
    hook.expect(scale.alerts // 3)
    await asyncio.wait_for(hook.all_arrived.wait(), scale.timeout_s)
    killed = await _kill_lease_holder(run, ("notifier", "notifier-1"))
    books.notes["notifier_killed"] = {"label": killed, "delivered_before": len(hook.arrived)}


async def _kill_lease_holder(run: Run, labels: tuple[str, ...]) -> str | None:
    """kill -9 of the notifier holding the dispatch lease (its owner is ``<pid>-<hex>``)."""
    async with _notifier_db(run) as db:
        lease = await db["leases"].find_one({"_id": "dispatcher"})
    pid = int(str(lease["owner"]).split("-", 1)[0]) if lease else None
    holder = next((label for label in labels if run.pid(label) == pid), None)
    if holder is not None:
        run.kill(holder)
    return holder


async def notifier_books(
    run: Run, scale: Scale, books: Books, hook: Receiver, box: MailBox, *, killed: bool = True
) -> None:
    """Every alert on the topic reached the webhook and every e-mail notification the mailbox;
    none went out twice beyond the window."""
    await asyncio.sleep(scale.alert_settle_s + 3)  # scoring's last alerts, once its marks rest
    alerts = set(await topic_ids(run.stack.ports.kafka_bootstrap, run.topics.alert, "alert_id"))
    quiet_since, seen = time.monotonic(), -1
    async with _notifier_db(run) as db:
        while True:  # until all arrived, or nothing more has for 30 s (the lease lasts 8)
            mails = {i.strip("<>").removesuffix("@kinerja") for i in box.message_ids()}
            due = await _email_notifications(db)
            missing = alerts - set(hook.arrived)
            nobody = await _without_recipient(db, missing)
            lost = len(missing - nobody) + len(due - mails)
            if seen != (seen := len(hook.keys) + len(mails)):
                quiet_since = time.monotonic()
            if not lost or time.monotonic() - quiet_since > 30:
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(1.0)  # anything still coming would be a duplicate: let it show
        recorded = await db["alerts"].count_documents({})  # once each, by id
        outbox = await db["outbox"].count_documents({})
    twice = [k for k, n in (hook.keys + box.message_ids()).items() if n > 1]
    window = NOTIFIER_CONCURRENCY if killed else 0
    books.notes["notifier"] = {
        "alerts": len(alerts),
        "scoring_alerts": len([a for a in alerts if not a.startswith("chaos:")]),
        "webhook_notifications": len(hook.keys),
        "emails": len(box.message_ids()),
        # Recorded with the reason (a head of unit's alert: the org chart names no superior).
        "no_recipient": len(nobody),
        "lost": lost,
        "sent_twice": len(twice),
        "window": window,
        "alerts_recorded": recorded,  # once each, by id, in the notifier's history
        "outbox_left": outbox,
    }
    no_kill = killed and not books.notes.get("notifier_killed", {}).get("label")
    if lost or len(twice) > window or no_kill or recorded != len(alerts) or outbox:
        books.notes["failed"] = f"notifier: {books.notes['notifier']}"
        books.notes["undelivered"] = sorted(missing - nobody)[:5]


@asynccontextmanager
async def _notifier_db(run: Run) -> AsyncIterator[Any]:
    """The notifier's database, read over one client of the suite's own."""
    client = make_client(run.stack.ports.mongodb_url, app_name="chaos")
    try:
        yield client[f"{run.db_prefix}notifier"]
    finally:
        await client.close()


async def _without_recipient(db: Any, ids: set[str]) -> set[str]:
    """Of these notices, those the notifier recorded as undeliverable for want of anyone to
    tell (no recipient, each with its reason): accounted for, not lost."""
    found = db["alerts"].find({"_id": {"$in": sorted(ids)}})
    return {
        str(doc["_id"])
        async for doc in found
        if not doc.get("recipients") and doc.get("undeliverable")
    }


async def _email_notifications(db: Any) -> set[str]:
    """The ids of the e-mails the notifier planned (each is its Message-ID)."""
    found = db["notifications"].find({"channel": "email"}, {"_id": 1})
    return {str(doc["_id"]) async for doc in found}


class ClusterPorts(Ports):
    """The suite's store, and a cluster's brokers as the services' bootstrap list."""

    def __init__(self, mongodb: int, brokers: list[LocalKafka]) -> None:
        super().__init__(brokers[0].port, brokers[0].controller_port, mongodb)
        object.__setattr__(self, "_bootstrap", ",".join(f"127.0.0.1:{b.port}" for b in brokers))

    @property
    def kafka_bootstrap(self) -> str:
        bootstrap: str = self.__dict__["_bootstrap"]
        return bootstrap


async def cluster_brokers_killed(run: Run, scale: Scale, books: Books) -> None:
    """Three brokers (KRaft, each also a controller), replication 3, ``min.insync.replicas`` 2:
    the leader of the busiest partition is killed under load and no acknowledged event is lost;
    then a second broker, and intake refuses (503) what it cannot make durable until they are
    back."""
    nodes = kafka_cluster(run.stack.state / f"cluster-{run.name}")
    for node in nodes:
        node.start(log=lambda m: None, wait=False)
    for node in nodes:
        await asyncio.to_thread(node.wait_ready, 180)
    run.stack = Stack(ClusterPorts(run.stack.ports.mongodb, nodes), run.stack.state)
    try:
        await ensure_topics(
            run.stack.ports.kafka_bootstrap, run.topics, None, partitions=6, replication=3
        )
        _, events, key = await _start(run, scale)
        restarted: list[asyncio.Task[None]] = []

        async def harm(done: int) -> None:
            if "leader_killed" not in books.notes and done >= len(events) * 0.3:
                partition, leader = await _busiest_leader(run)
                books.notes["leader_killed"] = {"partition": partition, "node": leader}
                nodes[leader - 1].proc.kill()
            elif (
                scale.outage_s and "second_killed" not in books.notes and done >= len(events) * 0.6
            ):
                _kill_another(nodes, books)
                restarted.append(asyncio.create_task(_back_after(nodes, scale.outage_s)))

        sent = await send(run.url("intake"), key, events, scale.rate, harm)
        await asyncio.gather(*restarted)
        books.sent, books.refused_503 = len(events), sent.refused_503
        await keep_books(run, books, sent, scale.timeout_s)
        if scale.replay_unharmed:
            books.live_equals_replay, books.differences = await replay_and_compare(
                run, scale.timeout_s, books
            )
        if not scale.outage_s:
            run.procs.pop("scoring")[1].stop()  # done with it, while its brokers answer
            _kill_another(nodes, books)
            books.refused_503 += await _probe_refused(run.url("intake"), key, events[0])
        if books.refused_503 == 0:
            books.notes["failed"] = "intake never refused while two of three brokers were down"
    finally:
        for _, proc in run.procs.values():  # with its brokers gone, a service stops slowly
            proc.kill()
        for node in nodes:  # a throwaway cluster: a broker short of its quorum stops slowly
            node.proc.kill()


async def _busiest_leader(run: Run) -> tuple[int, int]:
    """(partition, leader node) of the attendance partition with the most records."""
    topic, servers = run.topics.attendance, run.stack.ports.kafka_bootstrap.split(",")
    admin = AIOKafkaAdminClient(bootstrap_servers=servers)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    leaders = {p["partition"]: p["leader"] for p in described["partitions"]}
    consumer = AIOKafkaConsumer(bootstrap_servers=servers)
    await consumer.start()
    try:
        ends = await consumer.end_offsets([TopicPartition(topic, p) for p in leaders])
    finally:
        await consumer.stop()
    busiest = max(ends, key=lambda tp: ends[tp])
    return busiest.partition, int(leaders[busiest.partition])


def _kill_another(nodes: list[LocalKafka], books: Books) -> None:
    """A second broker down: one of three left, short of ``min.insync.replicas``."""
    second = next(n for n in nodes if n.proc.running())
    books.notes["second_killed"] = second.node.node_id if second.node else None
    second.proc.kill()


async def _probe_refused(intake_url: str, key: str, like: dict[str, Any]) -> int:
    """1 if intake refuses (503) a fresh event it cannot make durable, else 0."""
    probe = {**like, "event_id": str(uuid.uuid4())}
    async with httpx.AsyncClient(base_url=intake_url, timeout=60) as client:
        r = await client.post("/v1/events", json=[probe], headers={"X-Api-Key": key})
    return 1 if r.status_code == 503 else 0


async def _back_after(nodes: list[LocalKafka], seconds: float) -> None:
    """The killed brokers started again after ``seconds`` (intake refuses meanwhile)."""
    await asyncio.sleep(seconds)
    down = [n for n in nodes if not n.proc.running()]
    for node in down:
        node.start(log=lambda m: None, wait=False)
    for node in down:
        await asyncio.to_thread(node.wait_ready, 180)


async def soak(run: Run, scale: Scale, books: Books) -> None:
    """A steady rate for ``soak_s`` through all four services: every service's RSS stays flat
    (the slope is reported), lag does not grow, alerts still fire and reach their receivers,
    the DLQ stays empty, and live equals replay."""
    async with notifier_receivers(run) as (hook, box, env):
        _, events, key = await _start(run, scale, others={"feedback": {}, "notifier": env})
        rate = scale.soak_rate
        n = int(rate * scale.soak_s)
        more = (events * (n // max(1, len(events)) + 1))[:n]
        load = [{**e, "event_id": _fresh_id(e["event_id"], i)} for i, e in enumerate(more)]
        watch = Watch(run)
        await watch.start()
        try:
            sent = await send(run.url("intake"), key, load, rate, watch.sample)
        finally:
            await watch.stop()
        books.sent = len(load)
        await keep_books(run, books, sent, scale.timeout_s)
        books.notes["rate_per_s"] = rate
        watch.report(books, rate)
        books.notes["alerts_arrived_by_minute"] = _by_minute(hook.arrived.values(), watch.t0)
        await notifier_books(run, scale, books, hook, box, killed=False)
    dead = await topic_ids(run.stack.ports.kafka_bootstrap, run.topics.dlq)
    books.notes["dlq_records"] = sum(dead.values())
    if sum(dead.values()):
        books.notes["failed"] = "the DLQ is not empty after the soak"
    if not books.notes["notifier"]["alerts"]:
        books.notes["failed"] = "no alert fired during the soak"
    if scale.replay_unharmed:
        books.live_equals_replay, books.differences = await replay_and_compare(
            run, scale.timeout_s, books
        )


class Watch:
    """Each service's RSS and each consumer group's lag, sampled every 5 s of a soak."""

    GROUPS: ClassVar[dict[str, str]] = {
        "kinerja-scoring": "attendance",
        "kinerja-notifier": "alert",
    }
    LABELS = ("intake", "scoring", "feedback", "notifier")

    def __init__(self, run: Run) -> None:
        self.run = run
        self.t0 = time.time()
        self.rss: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self.lag: dict[str, list[tuple[float, float]]] = defaultdict(list)
        bootstrap = run.stack.ports.kafka_bootstrap
        self._probes = {group: LagProbe(bootstrap, group) for group in self.GROUPS}
        self._last = -5.0

    async def start(self) -> None:
        for probe in self._probes.values():
            await probe.start()

    async def stop(self) -> None:
        for probe in self._probes.values():
            await probe.stop()

    async def sample(self, _: int) -> None:
        now = time.time() - self.t0
        if now - self._last < 5:
            return
        self._last = now
        for label in self.LABELS:
            if pid := self.run.pid(label):
                self.rss[label].append((now, _rss_mb(pid)))
        for group, topic in self.GROUPS.items():
            lag = await self._probes[group].lag([getattr(self.run.topics, topic)])
            self.lag[group].append((now, float(sum(lag.values()))))

    def report(self, books: Books, rate: float) -> None:
        """The slopes; lag has grown if its last third's mean exceeds its first third's by
        more than 5 s of traffic."""
        books.notes["rss_slope_mib_per_min"] = {
            label: round(_slope(points) * 60, 2) for label, points in self.rss.items()
        }
        books.notes["rss_mib_last"] = {label: round(p[-1][1], 1) for label, p in self.rss.items()}
        books.notes["lag_max"] = {g: max((v for _, v in p), default=0) for g, p in self.lag.items()}
        books.notes["lag_slope_per_min"] = {
            group: round(_slope(points) * 60, 1) for group, points in self.lag.items()
        }
        for group, points in self.lag.items():
            third = max(1, len(points) // 3)
            first, last = (
                statistics.fmean(v for _, v in p) for p in (points[:third], points[-third:])
            )
            if last > first + 5 * rate:
                books.notes["failed"] = f"{group}'s lag grew: {first:.0f} → {last:.0f}"


def _by_minute(times: Iterable[float], t0: float) -> list[int]:
    """How many arrived in each minute since ``t0``."""
    counts = Counter(int((t - t0) // 60) for t in times)
    return [counts[m] for m in range(max(counts, default=-1) + 1)]


def _fresh_id(event_id: str, i: int) -> str:
    """A new id for a repeated punch of the soak (the same punch again is a new event)."""
    return str(uuid.uuid5(uuid.UUID(event_id), str(i))) if len(event_id) == 36 else f"{i}"


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _slope(points: list[tuple[float, float]]) -> float:
    """MiB per second by least squares (0 with fewer than three samples)."""
    if len(points) < 3:
        return 0.0
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


SCENARIOS: dict[str, Callable[[Run, Scale, Books], Coroutine[Any, Any, None]]] = {
    "scoring_killed": scoring_killed,
    "broker_killed": broker_killed,
    "store_killed": store_killed,
    "poison": poison,
    "replica_killed": replica_killed,
    "cluster_brokers_killed": cluster_brokers_killed,
    "soak": soak,
}


@contextmanager
def suite_stack() -> Iterator[tuple[Stack, LocalKafka, LocalFerretDB]]:
    """A Kafka and a FerretDB of the suite's own, with handles to kill and restart them."""
    with local_stack() as stack:
        kafka = LocalKafka(stack.state, stack.ports.kafka, stack.ports.kafka_controller)
        ferret = LocalFerretDB(stack.state, stack.ports.mongodb)
        yield stack, kafka, ferret


def run_one(parts: tuple[Stack, LocalKafka, LocalFerretDB], name: str, scale: Scale) -> Books:
    """One scenario in its own namespace; the broker and the store are up again afterwards."""
    stack, kafka, ferret = parts
    run = Run(stack, kafka, ferret, name, scale)
    books = Books(name)
    started = time.perf_counter()
    try:
        asyncio.run(SCENARIOS[name](run, scale, books))
    except Exception as exc:  # noqa: BLE001 - a scenario that breaks is a failed one
        books.notes["failed"] = f"{type(exc).__name__}: {exc}"
    finally:
        run.stop_all()
        kafka.start(log=lambda m: None)  # back up if a scenario left it down
        ferret.start(log=lambda m: None)
    books.notes["seconds"] = round(time.perf_counter() - started, 1)
    console.print(f"{name}: {'passed' if books.passed else 'FAILED'} {asdict(books)}")
    return books


def run_suite(scale: Scale, only: list[str] | None = None) -> list[Books]:
    """Every scenario (or ``only`` those) on one stack of the suite's own, in turn."""
    with suite_stack() as parts:
        return [run_one(parts, name, scale) for name in SCENARIOS if not only or name in only]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", action="store_true", help="the short forms")
    parser.add_argument("--only", action="append", choices=list(SCENARIOS))
    args = parser.parse_args()
    scale = SHORT if args.short else FULL
    results = run_suite(scale, args.only)
    name = "chaos_short" if args.short else "chaos"
    scenarios = _merged(name, [{**asdict(b), "passed": b.passed} for b in results], args.only)
    rows = [_row(s) for s in scenarios]
    write_result(name, {"scale": asdict(scale), "scenarios": scenarios}, rows)
    raise SystemExit(0 if all(b.passed for b in results) else 1)


def _merged(name: str, fresh: list[dict[str, Any]], only: list[str] | None) -> list[dict[str, Any]]:
    """``--only`` runs replace those scenarios in the results file and keep the others (each
    says when it ran); a full run replaces them all."""
    stamped = [
        {**s, "ran_at": datetime.now().astimezone().isoformat(timespec="seconds")} for s in fresh
    ]
    path = RESULTS / f"{name}.json"
    if not only or not path.exists():
        return stamped
    kept = {s["scenario"]: s for s in json.loads(path.read_text()).get("scenarios", [])}
    kept.update({s["scenario"]: s for s in stamped})
    return [kept[n] for n in SCENARIOS if n in kept]


def _row(s: dict[str, Any]) -> tuple[str, str, str]:
    figures = f"{s['acknowledged']:,} acked · {s['lost']} lost · {s['counted_twice']} twice"
    if s.get("differences") is not None:
        figures += f" · replay {'=' if s['live_equals_replay'] else '≠'}"
    if s.get("refused_503"):
        figures += f" · {s['refused_503']}×503"
    if notices := s["notes"].get("notifier"):
        figures += f" · notices {notices['alerts']}, {notices['lost']} lost"
        figures += f", {notices['sent_twice']} sent twice (≤ {notices['window']})"
    return s["scenario"], figures, "passed" if s["passed"] else "FAILED"


if __name__ == "__main__":
    main()
