"""What the benchmarks share: a stack to run on, a service process to measure, result output."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from kinerja_local.services import ServiceSpec, service_env, wait_ready
from kinerja_local.stack import LocalFerretDB, LocalKafka, Ports, Process, free_port, kafka_version

RESULTS = Path(__file__).resolve().parent / "results"
console = Console()


@dataclass(frozen=True)
class Stack:
    ports: Ports
    state: Path


@contextmanager
def local_stack() -> Iterator[Stack]:
    """Kafka and FerretDB of their own, on free ports, removed afterwards."""
    state = Path(tempfile.mkdtemp(prefix="kinerja-bench-"))
    kafka = LocalKafka(state, free_port(), free_port(), heap_mb=1024)
    ferret = LocalFerretDB(state, free_port())
    try:
        kafka.start(log=lambda m: console.print(f"[dim]{m}"))
        ferret.start(log=lambda m: console.print(f"[dim]{m}"))
        yield Stack(Ports(kafka.port, kafka.controller_port, ferret.port), state)
    finally:
        ferret.stop()
        kafka.stop()
        shutil.rmtree(state, ignore_errors=True)


@contextmanager
def service(
    stack: Stack, name: str, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, Process]]:
    spec = ServiceSpec(name, name, free_port())
    proc = Process(name, stack.state)
    env = service_env(spec, stack.ports)
    env[f"{spec.env_prefix}LOG_LEVEL"] = "WARNING"
    env.update(extra_env or {})
    proc.start([sys.executable, "-m", spec.module], env=env)
    try:
        wait_ready(spec, proc, 120)
        yield spec.url, proc
    finally:
        proc.stop()


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of a running process (VmHWM), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest-rank method."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def producer_performance(
    bootstrap: str, topic: str, records: int, record_size: int, libs: Path
) -> dict[str, Any]:
    """Kafka's own producer benchmark with the producer settings intake uses."""
    subprocess.run(
        [
            "java",
            "-cp",
            f"{libs}/*",
            "org.apache.kafka.tools.TopicCommand",
            "--bootstrap-server",
            bootstrap,
            "--create",
            "--topic",
            topic,
            "--partitions",
            "6",
            "--replication-factor",
            "1",
        ],
        capture_output=True,
        check=False,
    )
    out = subprocess.run(
        [
            "java",
            "-Xmx512m",
            "-cp",
            f"{libs}/*",
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic",
            topic,
            "--num-records",
            str(records),
            "--record-size",
            str(record_size),
            "--throughput",
            "-1",
            "--producer-props",
            f"bootstrap.servers={bootstrap}",
            "acks=all",
            "enable.idempotence=true",
            "linger.ms=5",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    last = [line for line in out.stdout.splitlines() if "records sent" in line][-1]
    # "500000 records sent, 151057.4 records/sec (60.12 MB/sec), 140.2 ms avg latency, ..."
    rate = re.search(r"([0-9.]+) records/sec", last)
    latency = re.search(r"([0-9.]+) ms avg latency", last)
    if rate is None or latency is None:
        raise RuntimeError(f"unexpected ProducerPerformance output: {last}")
    return {
        "records_per_s": float(rate.group(1)),
        "avg_latency_ms": float(latency.group(1)),
        "line": last.strip(),
    }


def write_result(name: str, result: dict[str, Any], rows: list[tuple[str, str, str]]) -> Path:
    result = {
        "benchmark": name,
        "at": datetime.now(UTC).isoformat(),
        "kafka_version": kafka_version(),
        "cpus": os.cpu_count(),
        **result,
        "rows": [list(r) for r in rows],  # what the summary shows: measure, value, target
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    table = Table(title=f"{name} ({time.strftime('%Y-%m-%d %H:%M')})")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    console.print(f"written to {path}")
    return path


def admin_token() -> dict[str, str]:
    from kinerja_local.provision import admin_headers

    return admin_headers()


def issue_key(intake_url: str) -> str:
    r = httpx.post(
        f"{intake_url}/v1/admin/keys",
        headers=admin_token(),
        json={
            "kind": "system",
            "owner": "bench",
            "units": ["*"],
            "rate_per_minute": 10_000_000,
            "event_types": ["attendance.recorded"],
        },
    )
    r.raise_for_status()
    return str(r.json()["api_key"])
