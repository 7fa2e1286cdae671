"""``kinerja-ops``: the DLQ by reason, one message, a redrive after a fix; a scoring replay.

kinerja-ops dlq list [--reason invalid] [--service scoring]
kinerja-ops dlq show 0:42
kinerja-ops dlq redrive --reason period_closed [--ids 0:42,0:43] [--yes]
kinerja-ops replay-scoring --database kinerja_scoring_rebuilt
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from kinerja_ops.dlq import DeadLetter, read_all, redrive, select, summarise
from kinerja_shared.topics import Topics

app = typer.Typer(
    help="Kinerja operations: the dead-letter queue and replays.", no_args_is_help=True
)
dlq_app = typer.Typer(help="The dead-letter queue (kinerja.dlq.v1).", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")
console = Console()

Bootstrap = Annotated[
    str, typer.Option(envvar="KINERJA_KAFKA_BOOTSTRAP", help="Kafka bootstrap servers")
]
Prefix = Annotated[str, typer.Option(envvar="KINERJA_TOPIC_PREFIX", help="Topic name prefix")]
Reason = Annotated[str | None, typer.Option(help="Only this reason (invalid, period_closed, …)")]
Service = Annotated[str | None, typer.Option(help="Only what this service dead-lettered")]


def _read(bootstrap: str, prefix: str) -> list[DeadLetter]:
    with Progress(
        TextColumn("reading the DLQ"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("read", total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        try:
            return asyncio.run(read_all(bootstrap, Topics(prefix).dlq, step))
        except Exception as exc:  # noqa: BLE001 - say what to do, not a traceback
            console.print(f"[red]cannot read the DLQ at {bootstrap}: {exc}[/]; is Kafka running?")
            raise typer.Exit(2) from None


@dlq_app.command("list")
def list_(
    bootstrap: Bootstrap = "127.0.0.1:9092",
    prefix: Prefix = "",
    reason: Reason = None,
    service: Service = None,
    details: Annotated[bool, typer.Option(help="One line per message")] = False,
) -> None:
    """Dead letters grouped by service, reason and original topic."""
    letters = select(_read(bootstrap, prefix), reason=reason, service=service)
    table = Table(title=f"DLQ: {len(letters)} message(s)")
    for column in ("service", "reason", "original topic", "count", "newest"):
        table.add_column(column, justify="right" if column == "count" else "left")
    for row in summarise(letters):
        table.add_row(*(str(c) for c in row))
    console.print(table)
    if details:
        lines = Table("id", "at", "service", "reason", "from", "detail")
        for d in letters:
            lines.add_row(
                d.id,
                d.at.isoformat(timespec="seconds"),
                d.service,
                d.reason,
                d.origin,
                d.detail[:80],
            )
        console.print(lines)


@dlq_app.command()
def show(
    message_id: Annotated[str, typer.Argument(help="partition:offset, as `list --details` shows")],
    bootstrap: Bootstrap = "127.0.0.1:9092",
    prefix: Prefix = "",
) -> None:
    """One dead letter: where it came from, why, and its bytes."""
    found = select(_read(bootstrap, prefix), ids={message_id})
    if not found:
        console.print(
            f"[red]no DLQ message {message_id}[/]; `kinerja-ops dlq list --details` lists them"
        )
        raise typer.Exit(1)
    d = found[0]
    console.print(f"[bold]{d.id}[/] at {d.at.isoformat()} from {d.origin}")
    console.print(f"service {d.service}, reason [bold]{d.reason}[/]: {d.detail}")
    try:
        console.print_json(json.dumps(json.loads(d.value)))
    except (json.JSONDecodeError, UnicodeDecodeError):
        console.print(repr(d.value[:2000]))


@dlq_app.command("redrive")
def redrive_(
    bootstrap: Bootstrap = "127.0.0.1:9092",
    prefix: Prefix = "",
    reason: Reason = None,
    service: Service = None,
    ids: Annotated[
        str | None, typer.Option(help="Only these, comma-separated partition:offset")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask")] = False,
) -> None:
    """Send selected dead letters back to their original topic (after the fix is deployed)."""
    wanted = set(ids.split(",")) if ids else None
    letters = select(_read(bootstrap, prefix), reason=reason, service=service, ids=wanted)
    if not letters:
        console.print("nothing matches; nothing was sent")
        return
    if not yes and not typer.confirm(
        f"redrive {len(letters)} message(s) to their original topics?"
    ):
        raise typer.Exit(1)
    with Progress(
        TextColumn("redriving"), BarColumn(), MofNCompleteColumn(), console=console
    ) as bar:
        task = bar.add_task("redrive", total=len(letters))
        published, skipped, impossible = asyncio.run(
            redrive(bootstrap, prefix, letters, lambda done, _: bar.update(task, completed=done))
        )
    table = Table("redriven", "already redriven before", "no original topic")
    table.add_row(str(published), str(skipped), str(impossible))
    console.print(table)


@app.command("replay-scoring")
def replay_scoring(
    database: Annotated[
        str, typer.Option(help="A fresh database to rebuild into")
    ] = "kinerja_scoring_rebuilt",
) -> None:
    """Rebuild every evaluation from Kafka into a fresh database (kinerja-scoring-tools)."""
    tool = shutil.which("kinerja-scoring-tools")
    if tool is None:
        console.print(
            "[red]kinerja-scoring-tools is not installed here[/]; run it where scoring is"
        )
        raise typer.Exit(2)
    raise typer.Exit(
        subprocess.run([tool, "replay", "--database", database], check=False).returncode
    )
