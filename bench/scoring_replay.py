"""A year of a city, scored live and then rebuilt by ``replay``; the two stores compared.

    uv run python -m bench.scoring_replay [--events 1000000] [--employees 4500]

Starts its own Kafka and FerretDB and puts the simulated city's year on the topics
(``kinerja_local.year``: the org chart, punches, leave, citizens' ratings, targets, behaviour
ratings and each day's closing), up to ``--events`` events in time order (0: the whole year,
about 2.5 million records). Then:

1. live: scoring starts as a service (alerts off) and works the topics off; timed until its
   group has committed everything and the projector has written every read model;
2. replay: ``kinerja-scoring-tools replay`` rebuilds into a fresh database, timed the same way;
3. ``kinerja-scoring-tools compare`` reports the differences (target: 0);
4. Kafka's ConsumerPerformance reads the attendance topic (the ceiling).

Target: the replay of 1M events in 5 minutes or less (3,333 events/s).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from bench.common import Stack, console, local_stack, peak_rss_mb, service, write_result
from bench.scoring_throughput import consumer_performance, wait_projected
from kinerja_local.city import generate_city
from kinerja_local.sender import publish_records
from kinerja_local.services import ServiceSpec, service_env
from kinerja_local.stack import install_kafka
from kinerja_local.year import Record, year_records
from kinerja_shared import topics as base
from kinerja_shared.kafka import LagProbe, ensure_topics
from kinerja_shared.topics import Topics

CONSUMED = (base.ATTENDANCE, base.SERVICE_QUALITY, base.TARGET_PROGRESS, base.FEEDBACK)
WATCHED = [*CONSUMED, base.REFERENCE]
TOOLS = str(Path(sys.executable).parent / "kinerja-scoring-tools")


def capped(records: Iterator[Record], events: int, counts: Counter[str]) -> Iterator[Record]:
    """The org chart and the closings always; events until ``events`` (0: all), counted per
    topic into ``counts``."""
    n = 0
    for r in records:
        if r.topic in CONSUMED:
            if events and n >= events:
                return
            n += 1
        counts[r.topic] += 1
        yield r


async def wait_group(bootstrap: str, group: str, timeout_s: float) -> float:
    probe = LagProbe(bootstrap, group)
    await probe.start()
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout_s:
            lag = await probe.lag(WATCHED)
            if lag and sum(lag.values()) == 0:
                return time.perf_counter()
            await asyncio.sleep(0.5)
        raise SystemExit(f"{group} did not catch up in {timeout_s:.0f}s")
    finally:
        await probe.stop()


def tools_env(stack: Stack) -> dict[str, str]:
    env = {**os.environ, **service_env(ServiceSpec("scoring", "scoring", 0), stack.ports)}
    env["KINERJA_SCORING_LOG_LEVEL"] = "WARNING"
    return env


def replay(stack: Stack, timeout: float) -> tuple[float, float, str]:
    """Seconds the replay took, its peak RSS (MiB), and its last line."""
    cmd = [TOOLS, "replay", "--database", "kinerja_scoring_replay"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*cmd, "--timeout", str(timeout)],
        env=tools_env(stack),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak = 0.0
    while proc.poll() is None:
        peak = max(peak, peak_rss_mb(proc.pid))
        time.sleep(0.5)
    secs = time.perf_counter() - started
    output = (proc.stdout.read() if proc.stdout else "").strip()
    if proc.returncode != 0:
        raise SystemExit(f"replay failed ({proc.returncode}):\n{output[-3000:]}")
    return secs, peak, output.splitlines()[-1] if output else ""


def compare(stack: Stack) -> tuple[int, str]:
    out = subprocess.run(
        [TOOLS, "compare", "kinerja_scoring", "kinerja_scoring_replay"],
        env={**tools_env(stack), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        check=False,
    )
    return out.returncode, out.stdout + out.stderr


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="0: the whole year")
    parser.add_argument("--employees", type=int, default=4500)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    libs = install_kafka(lambda m: console.print(f"[dim]{m}"), tools=True)
    city = generate_city(1956, args.employees)
    topics = Topics()
    with local_stack() as stack:
        bootstrap = stack.ports.kafka_bootstrap
        asyncio.run(ensure_topics(bootstrap, topics, None, partitions=6))
        t = time.perf_counter()
        counts: Counter[str] = Counter()
        records = capped(year_records(city, args.year), args.events, counts)
        published = asyncio.run(publish_records(bootstrap, records))
        console.print(f"{published:,} records on the topics in {time.perf_counter() - t:.0f}s")
        attendance = counts[base.ATTENDANCE]
        events = sum(counts[t] for t in CONSUMED)
        console.print(f"{events:,} events ({attendance:,} attendance); scoring them live…")
        t0 = time.perf_counter()
        with service(stack, "scoring", {"KINERJA_SCORING_PUBLISH_ALERTS": "false"}) as (_, proc):
            pid = proc.pid()
            assert pid is not None
            asyncio.run(wait_group(bootstrap, "kinerja-scoring", args.timeout))
            live_done = asyncio.run(
                wait_projected(stack.ports.mongodb_url, "kinerja_scoring", args.timeout)
            )
            live_rss = peak_rss_mb(pid)
        live_s = live_done - t0
        console.print(f"live: {live_s:.0f}s; replaying…")
        replay_s, replay_rss, replay_line = replay(stack, args.timeout)
        console.print(replay_line)
        code, report = compare(stack)
        console.print(report)
        cp = consumer_performance(stack, topics.attendance, attendance, libs)
    differences = _count_differences(report)
    per_million = 1e6 / (events / replay_s)
    result = {
        "employees": len(city.employees),
        "year": args.year,
        "records": published,
        "events": events,
        "live_seconds": round(live_s, 1),
        "live_events_per_s": round(events / live_s),
        "live_peak_rss_mb": round(live_rss, 1),
        "replay_seconds": round(replay_s, 1),
        "replay_events_per_s": round(events / replay_s),
        "replay_seconds_per_million": round(per_million, 1),
        "replay_peak_rss_mb": round(replay_rss, 1),
        "compare_exit_code": code,
        "differences": differences,
        "compare_report": report[-4000:],
        "consumer_performance": cp,
    }
    write_result(
        "scoring_replay",
        result,
        [
            ("events of the year (records with org chart)", f"{events:,} ({published:,})", ""),
            ("live: scored and projected", f"{live_s:.0f} s ({events / live_s:,.0f}/s)", ""),
            ("replay: rebuilt", f"{replay_s:.0f} s ({events / replay_s:,.0f}/s)", ""),
            ("replay: seconds per million events", f"{per_million:.0f} s", "≤ 300 s"),
            ("compare live vs replay", f"{differences} differences", "0"),
            ("Kafka ConsumerPerformance", f"{cp['messages_per_s']:,.0f} messages/s", "ceiling"),
            ("peak RSS live / replay", f"{live_rss:.0f} / {replay_rss:.0f} MiB", "≤ 300 MB"),
        ],
    )


def _count_differences(report: str) -> int:
    """The sum of the compare table's "differences" column."""
    total = 0
    for line in report.splitlines():
        cells = [c.strip() for c in line.replace("┃", "│").split("│") if c.strip()]
        if len(cells) >= 2 and cells[1].isdigit():
            total += int(cells[1])
    return total


if __name__ == "__main__":
    main()
