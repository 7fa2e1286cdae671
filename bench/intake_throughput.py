"""Intake's throughput through ``POST /v1/events`` and its memory, beside Kafka's own producer
ceiling on the same broker and record size.

    uv run python -m bench.intake_throughput [--seconds 20]

Needs ``wrk`` (Debian: ``apt-get install wrk``) as the load generator: a C client, so the load
takes little of the two cores from intake. Starts its own Kafka and FerretDB on free ports and
intake as a separate process (its memory and CPU are its own), issues an API key, then:
1. batches of 500 unique attendance events for --seconds;
2. single-event requests for --seconds;
3. Kafka's ProducerPerformance (acks=all, idempotent) with the same record size.
Targets (2 cores): 20,000 events/s in batches, p99 < 100 ms per batch, < 200 MB resident,
2,000 single-event requests/s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    console,
    issue_key,
    local_stack,
    peak_rss_mb,
    producer_performance,
    service,
    write_result,
)
from kinerja_local.city import generate_city
from kinerja_local.stack import install_kafka
from kinerja_shared.events import encode_event, parse_event

LUA = Path(__file__).resolve().parent / "wrk_events.lua"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


def wrk(
    url: str, key: str, batch: int, connections: int, seconds: float, at: str, nips: list[str]
) -> dict[str, Any]:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{round(seconds)}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            f"{url}/v1/events",
            "--",
            key,
            str(batch),
            at,
            ",".join(nips),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stdout}{out.stderr}")
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--batch-connections", type=int, default=2)
    parser.add_argument("--single-connections", type=int, default=32)
    parser.add_argument("--pp-records", type=int, default=500_000)
    parser.add_argument(
        "--intake-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for intake, e.g. KINERJA_INTAKE_DEDUP_CAPACITY=0",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install wrk")

    tools = install_kafka(lambda m: console.print(f"[dim]{m}"), tools=True)
    nips = [e.nip for e in generate_city(seed=1, employees=300).employees][:200]
    at = (datetime.now(UTC) - timedelta(hours=1)).astimezone().isoformat(timespec="seconds")
    sample = parse_event(
        {
            "event_id": str(uuid.uuid4()),
            "type": "attendance.recorded",
            "occurred_at": at,
            "nip": nips[0],
            "source": {"kind": "device", "id": "TBL00000001"},
            "payload": {"direction": "in", "method": "fingerprint", "device_sn": "TBL00000001"},
        }
    )
    record_size = len(
        encode_event(
            sample.model_copy(
                update={"received_at": datetime.now(UTC), "trace_id": uuid.uuid4().hex}
            )
        )
    )

    with (
        local_stack() as stack,
        service(stack, "intake", dict(e.split("=", 1) for e in args.intake_env)) as (url, proc),
    ):
        key = issue_key(url)
        pid = proc.pid()
        assert pid is not None
        console.print(
            f"batches of {args.batch} over {args.batch_connections} connections, {args.seconds}s…"
        )
        cpu0 = cpu_seconds(pid)
        batch = wrk(url, key, args.batch, args.batch_connections, args.seconds, at, nips)
        batch_cpu = cpu_seconds(pid) - cpu0
        console.print(f"single events over {args.single_connections} connections, {args.seconds}s…")
        cpu0 = cpu_seconds(pid)
        single = wrk(url, key, 1, args.single_connections, args.seconds, at, nips)
        single_cpu = cpu_seconds(pid) - cpu0
        rss = peak_rss_mb(pid)
        console.print("Kafka's ProducerPerformance on the same broker…")
        pp = producer_performance(
            stack.ports.kafka_bootstrap,
            "bench-producer-performance",
            args.pp_records,
            record_size,
            tools,
        )

    events = (batch["requests"] - batch["non_2xx"]) * args.batch
    batch_rate = events / batch["seconds"]
    single_rate = (single["requests"] - single["non_2xx"]) / single["seconds"]
    result = {
        "batch": {
            **batch,
            "events_per_s": round(batch_rate),
            "batch_size": args.batch,
            "connections": args.batch_connections,
            "intake_cpu_us_per_event": round(batch_cpu / max(events, 1) * 1e6, 1),
        },
        "single": {
            **single,
            "requests_per_s": round(single_rate),
            "connections": args.single_connections,
            "intake_cpu_us_per_request": round(single_cpu / max(single["requests"], 1) * 1e6, 1),
        },
        "intake_peak_rss_mb": round(rss, 1),
        "record_size_bytes": record_size,
        "producer_performance": pp,
        "ratio_to_kafka_ceiling": round(batch_rate / pp["records_per_s"], 3),
    }
    write_result(
        "intake_throughput",
        result,
        [
            ("batches: events/s", f"{batch_rate:,.0f}", "≥ 20,000"),
            (
                "batches: p50 / p99 per batch",
                f"{batch['p50_ms']:.1f} / {batch['p99_ms']:.1f} ms",
                "p99 < 100 ms",
            ),
            (
                "batches: intake CPU per event",
                f"{result['batch']['intake_cpu_us_per_event']} µs",
                "",
            ),
            ("single events: requests/s", f"{single_rate:,.0f}", "≥ 2,000"),
            ("single events: p50 / p99", f"{single['p50_ms']:.1f} / {single['p99_ms']:.1f} ms", ""),
            (
                "single events: intake CPU per request",
                f"{result['single']['intake_cpu_us_per_request']} µs",
                "",
            ),
            ("intake peak RSS", f"{rss:.0f} MiB", "< 200 MB"),
            ("Kafka ProducerPerformance", f"{pp['records_per_s']:,.0f} records/s", "ceiling"),
            ("intake / Kafka ceiling", f"{result['ratio_to_kafka_ceiling']:.1%}", ""),
            (
                "non-2xx / socket errors",
                f"{batch['non_2xx'] + single['non_2xx']} / "
                f"{batch['socket_errors'] + single['socket_errors']}",
                "0",
            ),
        ],
    )


if __name__ == "__main__":
    main()
