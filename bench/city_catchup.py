"""What ``make run`` does, measured: a city of 4,500 registered, this month's attendance sent as
fast as intake takes it and the past days closed; then how long scoring needs after the sender
finished until every event is evaluated, and how fast the reads people make answer meanwhile.

    uv run python -m bench.city_catchup [--employees 4500] [--days 20]

Its own Kafka and FerretDB; intake, scoring and feedback as separate processes. During the
catch-up it asks, every half second, for the first page of the team of the head of the largest
unit (through the console, as the browser does), the largest unit's summary and the city's
outcome lists. Targets: scored ≤ 60 s after the sender; first team page p95 ≤ 1 s; outcomes and
the unit summary ≤ 1 s; each service ≤ 300 MB.
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from datetime import date, timedelta
from typing import Any

import httpx

from bench.common import console, local_stack, peak_rss_mb, percentile, service, write_result
from kinerja_local.city import generate_city
from kinerja_local.provision import admin_headers, close_days, provision_city
from kinerja_local.sender import send_events
from kinerja_local.services import scoring_backlog
from kinerja_local.simulator import attendance_events, working_days
from kinerja_shared.auth import mint_dev_token
from kinerja_shared.settings import DEV_JWT_SECRET


def timed(client: httpx.Client, url: str, **kw: Any) -> tuple[float, int]:
    started = time.perf_counter()
    r = client.get(url, timeout=30, **kw)
    return time.perf_counter() - started, r.status_code


def projection_work(scoring_url: str) -> dict[str, float]:
    """The projector's counters from scoring's metrics."""
    names = {
        "kinerja_scoring_projected_employees_total": "projected",
        "kinerja_scoring_projection_round_seconds_count": "rounds",
        "kinerja_scoring_projection_round_seconds_sum": "round_seconds",
    }
    out = dict.fromkeys(names.values(), 0.0)
    for line in httpx.get(f"{scoring_url}/metrics", timeout=10).text.splitlines():
        name, _, value = line.partition(" ")
        if name in names:
            out[names[name]] = float(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=4500)
    parser.add_argument("--days", type=int, default=20, help="working days of attendance")
    args = parser.parse_args()
    city = generate_city(1956, args.employees)
    today = date.today()
    start = today - timedelta(days=40)
    days = list(working_days(start, today))[-args.days :]
    units = {u.code: sum(1 for e in city.employees if e.unit_code == u.code) for u in city.units}
    largest = max(units, key=lambda u: units[u])
    head = next(e for e in city.employees if e.unit_code == largest and e.supervisor_nip is None)
    with local_stack() as stack, ExitStack() as running:
        intake_url, _ = running.enter_context(service(stack, "intake"))
        scoring_url, scoring = running.enter_context(service(stack, "scoring"))
        feedback_url, feedback = running.enter_context(
            service(stack, "feedback", {"KINERJA_FEEDBACK_SCORING_URL": scoring_url})
        )
        key = provision_city(city, intake_url, lambda n: None)
        console.print(f"sending {len(days)} working days of {len(city.employees):,} employees…")
        t0 = time.perf_counter()
        report = send_events(
            attendance_events(city, days[0], days[-1]), intake_url, headers={"X-Api-Key": key}
        )
        close_days(intake_url, [d for d in days if d < today])
        sent = time.perf_counter()
        console.print(f"sent {report.sent:,} events in {sent - t0:.1f}s; measuring the catch-up…")
        head_auth = {
            "Authorization": f"Bearer {mint_dev_token(DEV_JWT_SECRET, head.nip, ['supervisor'])}"
        }
        team, summary, outcomes = [], [], []
        quiet = 0
        with httpx.Client() as client:
            while time.perf_counter() - sent < 900:
                secs, status = timed(client, f"{feedback_url}/v1/console/team", headers=head_auth)
                team.append((secs, status))
                month = f"{today:%Y-%m}"
                summary.append(
                    timed(
                        client,
                        f"{scoring_url}/v1/units/{largest}/summary",
                        params={"period": month},
                        headers=admin_headers(),
                    )
                )
                outcomes.append(
                    timed(
                        client,
                        f"{scoring_url}/v1/outcomes",
                        params={"year": today.year},
                        headers=admin_headers(),
                    )
                )
                quiet = quiet + 1 if scoring_backlog(scoring_url) == 0 else 0
                if quiet >= 3:
                    break
                time.sleep(0.5)
        scored = time.perf_counter() - sent - 1.0  # the two quiet readings after the last one
        work = projection_work(scoring_url)
        rss = {
            "scoring": peak_rss_mb(scoring.pid() or 0),
            "feedback": peak_rss_mb(feedback.pid() or 0),
        }
    ok_team = [s for s, status in team if status == 200]
    result = {
        "employees": len(city.employees),
        "events": report.sent,
        "largest_unit": largest,
        "largest_unit_employees": units[largest],
        "sender_seconds": round(sent - t0, 1),
        "scored_after_sender_s": round(scored, 1),
        "team_page_p95_s": round(percentile(ok_team, 0.95), 3),
        "team_page_errors": sum(1 for _, status in team if status != 200),
        "unit_summary_max_s": round(max(s for s, _ in summary), 3),
        "outcomes_max_s": round(max(s for s, _ in outcomes), 3),
        "peak_rss_mb": {k: round(v) for k, v in rss.items()},
        # Where a catch-up's time goes: how often each employee was evaluated, in how many
        # rounds, and how long the rounds took together.
        "projections_per_employee": round(work["projected"] / len(city.employees), 2),
        "projection_rounds": int(work["rounds"]),
        "projection_seconds": round(work["round_seconds"], 1),
    }
    write_result(
        "city_catchup",
        result,
        [
            ("events sent (intake)", f"{report.sent:,} in {sent - t0:.1f}s", ""),
            ("fully scored after the sender", f"{scored:.1f} s", "≤ 60 s"),
            (f"team page of the head of {largest} p95", f"{result['team_page_p95_s']} s", "≤ 1 s"),
            ("team page errors", str(result["team_page_errors"]), "0"),
            ("unit summary, slowest", f"{result['unit_summary_max_s']} s", "≤ 1 s"),
            ("outcomes, slowest", f"{result['outcomes_max_s']} s", "≤ 1 s"),
            (
                "evaluations per employee (rounds, their time)",
                f"{result['projections_per_employee']} ({result['projection_rounds']}, "
                f"{result['projection_seconds']} s)",
                "",
            ),
            (
                "peak RSS scoring / feedback",
                f"{rss['scoring']:.0f} / {rss['feedback']:.0f} MiB",
                "≤ 300 MB",
            ),
        ],
    )


if __name__ == "__main__":
    main()
