"""End to end: from intake's 202 to the evaluation that reflects the event, at a sustained rate.

    uv run python -m bench.end_to_end [--rate 1000] [--seconds 300]

Its own Kafka and FerretDB; intake and scoring as separate processes; a city of 4,500
registered. The load is the city's attendance of the last weeks, sent through
``POST /v1/events`` in batches of 100 at ``--rate`` events per second. Beside it, once a second,
a probe: a check-out of one probe employee stamped with the current second, sent alone; its
latency runs from intake's 202 to the first read of ``GET /v1/employees/{nip}/evaluation`` that
shows that check-out as the day's last (one reader for all probes, every 50 ms). Target: p99 ≤ 1 s
at 1,000 events/s for 5 minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.common import console, local_stack, peak_rss_mb, percentile, service, write_result
from kinerja_local.city import generate_city
from kinerja_local.provision import admin_headers, provision_city
from kinerja_local.simulator import attendance_events

WIB = ZoneInfo("Asia/Jakarta")
BATCH = 100
#: A probe not reflected this long after the load ends counts as missed.
PROBE_WAIT_S = 30


def load(city: Any, today: date) -> Iterator[dict[str, Any]]:
    """The city's punches of past days, over and over (each pass with new event ids)."""
    while True:
        for e in attendance_events(city, today - timedelta(days=30), today - timedelta(days=1)):
            yield {**e, "event_id": str(uuid.uuid4())}


async def send_load(
    client: httpx.AsyncClient, events: Iterator[dict[str, Any]], rate: int, until: float
) -> int:
    sent, started = 0, time.monotonic()
    while time.monotonic() < until:
        batch = [next(events) for _ in range(BATCH)]
        r = await client.post("/v1/events", json=batch)
        if r.status_code == 202:
            sent += len(batch)
        due = started + sent / rate
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
    return sent


async def send_probe(intake: httpx.AsyncClient, nip: str, serial: str) -> Probe | None:
    at = datetime.now(WIB).replace(microsecond=0)  # a second of its own: probes are 1 s apart
    punch = {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.recorded",
        "occurred_at": at.isoformat(),
        "nip": nip,
        "source": {"kind": "device", "id": serial},
        "payload": {"direction": "out", "method": "fingerprint", "device_sn": serial},
    }
    r = await intake.post("/v1/events", json=[punch])
    return Probe(at, time.monotonic()) if r.status_code == 202 else None


@dataclass
class Probe:
    at: datetime  # the check-out's own time
    accepted: float  # monotonic, at intake's 202
    latency: float | None = None


async def watch(scoring: httpx.AsyncClient, nip: str, probes: list[Probe], until: float) -> None:
    """One reader for every probe, every 50 ms, as one console page would poll: a reader per
    probe would itself load the store with the very reads that slow it down."""
    while time.monotonic() < until:
        waiting = [p for p in probes if p.latency is None]
        if waiting:
            month = f"{waiting[-1].at:%Y-%m}"
            ev = await scoring.get(f"/v1/employees/{nip}/evaluation", params={"period": month})
            seen = max(_last_outs(ev.json()), default=None) if ev.status_code == 200 else None
            now = time.monotonic()
            for p in waiting:
                # Its own check-out or a later probe's: one NIP's records keep their order, so
                # a later probe reflected means this one was applied too.
                if seen is not None and seen >= p.at:
                    p.latency = now - p.accepted
        await asyncio.sleep(0.05)


def _last_outs(body: Any) -> set[datetime]:
    """Every ``last_check_out`` anywhere in the evaluation."""
    found: set[datetime] = set()
    stack = [body]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if isinstance(item.get("last_check_out"), str):
                found.add(datetime.fromisoformat(item["last_check_out"]))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


async def run(intake_url: str, scoring_url: str, key: str, city: Any, args: Any) -> dict[str, Any]:
    probe = next(e for e in city.employees if e.supervisor_nip)
    serial = next(u for u in city.units if u.code == probe.unit_code).devices[0].serial
    headers = {"X-Api-Key": key}
    async with (
        httpx.AsyncClient(base_url=intake_url, headers=headers, timeout=30) as intake,
        httpx.AsyncClient(base_url=scoring_url, headers=admin_headers(), timeout=30) as scoring,
    ):
        until = time.monotonic() + args.seconds
        loader = asyncio.create_task(send_load(intake, load(city, date.today()), args.rate, until))
        probes: list[Probe] = []
        watcher = asyncio.create_task(watch(scoring, probe.nip, probes, until + PROBE_WAIT_S))
        while time.monotonic() < until:  # one probe a second
            if (sent_probe := await send_probe(intake, probe.nip, serial)) is not None:
                probes.append(sent_probe)
            await asyncio.sleep(1.0)
        sent = await loader
        await watcher
    latencies = [p.latency for p in probes if p.latency is not None]
    return {"sent": sent, "latencies": latencies, "missed": len(probes) - len(latencies)}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--employees", type=int, default=4500)
    args = parser.parse_args()
    city = generate_city(1956, args.employees)
    with local_stack() as stack, ExitStack() as running:
        intake_url, intake = running.enter_context(service(stack, "intake"))
        scoring_url, scoring = running.enter_context(service(stack, "scoring"))
        key = provision_city(city, intake_url, lambda n: None)
        console.print(f"{args.rate} events/s for {args.seconds} s, a probe every second…")
        out = asyncio.run(run(intake_url, scoring_url, key, city, args))
        rss = {"intake": peak_rss_mb(intake.pid() or 0), "scoring": peak_rss_mb(scoring.pid() or 0)}
    lat = out["latencies"]
    p50, p99 = percentile(lat, 0.5), percentile(lat, 0.99)
    rate = out["sent"] / args.seconds
    result = {
        "offered_rate": args.rate,
        "seconds": args.seconds,
        "events_sent": out["sent"],
        "sustained_rate": round(rate),
        "probes": len(lat) + out["missed"],
        "probes_missed": out["missed"],
        "latency_p50_s": round(p50, 3),
        "latency_p99_s": round(p99, 3),
        "latency_max_s": round(max(lat, default=float("nan")), 3),
        "latencies_s": [round(v, 2) for v in lat],  # in probe order: a slow start shows
        "peak_rss_mb": {k: round(v) for k, v in rss.items()},
    }
    write_result(
        "end_to_end",
        result,
        [
            ("events sent through intake", f"{out['sent']:,} ({rate:,.0f}/s)", "1,000/s for 300 s"),
            ("probes reflected / sent", f"{len(lat)} / {len(lat) + out['missed']}", "all"),
            ("202 → evaluation reflects it, p50", f"{p50:.2f} s", ""),
            ("202 → evaluation reflects it, p99", f"{p99:.2f} s", "≤ 1 s"),
            (
                "peak RSS intake / scoring",
                f"{rss['intake']:.0f} / {rss['scoring']:.0f} MiB",
                "≤ 300 MB",
            ),
        ],
    )


if __name__ == "__main__":
    main()
