"""``kinerja-scoring-tools``: rebuild scoring's state from Kafka, and compare two states.

    kinerja-scoring-tools replay --database kinerja_scoring_replay
    kinerja-scoring-tools compare kinerja_scoring kinerja_scoring_replay

A replay reads every topic from its earliest offset with a consumer group of its own into the
named (fresh) database, raising no alerts and publishing no updates, and stops once it has caught
up. Settings come from the usual KINERJA_SCORING_* variables.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kinerja_shared.kafka import LagProbe
from kinerja_shared.logs import configure_logging
from kinerja_shared.mongo import make_client
from scoring.consumer import consumed_topics
from scoring.settings import ScoringSettings
from scoring.store import StaleQueue

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)
console = Console()

#: Collections a replay rebuilds (the alert bookkeeping is not part of the evaluations).
STATE = (
    "facts",
    "employees",
    "calendar_days",
    "unit_index",
    "evaluations",
    "unit_summaries",
    "outcomes",
)
VOLATILE = {"updated_at"}
REPLAY_WINDOW_S = 10.0**9
REPLAY_BATCH = 30_000


class ReplayTimeout(Exception):
    pass


async def _replay(settings: ScoringSettings, timeout_s: float) -> int:
    from scoring.app import create_app  # the service's own wiring, nothing re-implemented

    watched = consumed_topics(settings.topics)
    probe = LagProbe(settings.kafka, settings.consumer_group)
    client = make_client(
        settings.mongodb_url, app_name="kinerja-scoring-replay", **settings.mongodb_options
    )
    stale = StaleQueue(client[settings.mongodb_database])
    await probe.start()
    try:
        total = sum((await probe.lag(watched)).values())
        fastapi_app = create_app(settings)
        started = time.monotonic()
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("events", total=total, rate="")
            async with fastapi_app.router.lifespan_context(fastapi_app):
                while True:
                    left = sum((await probe.lag(watched)).values())
                    secs = max(time.monotonic() - started, 1e-9)
                    rate = f"{(total - left) / secs:,.0f} records/s"
                    progress.update(task, completed=total - left, rate=rate)
                    if left == 0:
                        break
                    _check_time(started, timeout_s)
                    await asyncio.sleep(0.5)
                # Then the read models: the projector works off what the consumers marked.
                waiting = progress.add_task("read models", total=None, rate="")
                while (marks := await stale.size()) > 0:
                    progress.update(waiting, rate=f"{marks} batches waiting")
                    _check_time(started, timeout_s)
                    await asyncio.sleep(0.25)
                progress.update(waiting, total=1, completed=1, rate="done")
        return total
    finally:
        await probe.stop()
        await client.close()


def _check_time(started: float, timeout_s: float) -> None:
    if time.monotonic() - started > timeout_s:
        raise ReplayTimeout(
            f"the replay did not catch up in {timeout_s:.0f}s; run it again with a longer --timeout"
        )


@app.command()
def replay(
    database: Annotated[str, typer.Option(help="A fresh database to rebuild into")],
    group: Annotated[str, typer.Option(help="Consumer group (default: a new one)")] = "",
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds")] = 3600,
    batch: Annotated[
        int, typer.Option(min=1, max=100_000, help="Records per batch: larger coalesces more")
    ] = REPLAY_BATCH,
) -> None:
    """Rebuild every evaluation from the earliest offsets, with no alerts and no updates."""
    base = ScoringSettings()
    configure_logging("scoring-replay", "WARNING", base.log_format)
    settings = base.model_copy(
        update={
            "mongodb_database": database,
            "consumer_group": group or f"{base.consumer_group}-replay-{int(time.time())}",
            "publish_alerts": False,
            "publish_updates": False,
            # One projection at the end, when the consumers have caught up: each employee's
            # year is then one write per read model, not one per window.
            "projection_catchup_window_s": REPLAY_WINDOW_S,
            # An employee's many days in one batch are one write of their facts.
            "batch_max_records": batch,
            "batch_partition_fetch_bytes": max(base.batch_partition_fetch_bytes, 16 << 20),
        }
    )
    started = time.monotonic()
    try:
        records = asyncio.run(_replay(settings, timeout))
    except ReplayTimeout as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    secs = time.monotonic() - started
    console.print(
        f"replayed {records:,} records into {database} in {secs:.1f}s "
        f"({records / max(secs, 1e-9):,.0f}/s)"
    )


async def _differences(url: str, a: str, b: str) -> dict[str, list[tuple[str, str]]]:
    client = make_client(url, app_name="kinerja-scoring-compare")
    try:
        out: dict[str, list[tuple[str, str]]] = {}
        for name in STATE:
            docs: list[dict[str, dict[str, Any]]] = []
            for db in (a, b):
                docs.append(
                    {
                        str(d["_id"]): {k: v for k, v in d.items() if k not in VOLATILE}
                        async for d in client[db][name].find({})
                    }
                )
            left, right = docs
            diffs = [(k, "only in " + a) for k in left.keys() - right.keys()]
            diffs += [(k, "only in " + b) for k in right.keys() - left.keys()]
            diffs += [
                (k, "differs")
                for k in left.keys() & right.keys()
                if _normal(left[k]) != _normal(right[k])
            ]
            out[name] = sorted(diffs)
        return out
    finally:
        await client.close()


def _normal(value: Any) -> Any:
    """Sets stored as arrays compare as sets (their order depends on arrival)."""
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((_normal(v) for v in value), key=repr)
    return value


@app.command()
def compare(database_a: str, database_b: str) -> None:
    """Show every document that differs between two scoring databases (exit 1 if any)."""
    settings = ScoringSettings()
    diffs = asyncio.run(_differences(settings.mongodb_url, database_a, database_b))
    table = Table(title=f"{database_a} vs {database_b}")
    table.add_column("collection")
    table.add_column("differences", justify="right")
    table.add_column("first ones")
    for name, rows in diffs.items():
        table.add_row(name, str(len(rows)), "; ".join(f"{k} ({why})" for k, why in rows[:3]))
    console.print(table)
    if any(diffs.values()):
        raise typer.Exit(1)
    console.print("[green]identical[/]")
