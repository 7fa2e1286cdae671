"""``kinerja-local``: install, start and stop Kinerja on this machine, and feed it a city.

kinerja-local install        fetch Kafka's jars and build FerretDB (cached)
kinerja-local up             Kafka, FerretDB and the four services, in the background
kinerja-local down           stop everything this folder started
kinerja-local status         what runs, where
kinerja-local simulate       send a simulated Tanjungbalai's attendance to intake
kinerja-local run            up + simulate, then wait for Ctrl-C and stop everything
kinerja-local year           put a simulated year (org chart, punches, leave, ratings, targets)
                             onto the topics of a fresh stack, or into a file
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import signal
import time
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from kinerja_local.city import City, generate_city
from kinerja_local.provision import (
    admin_headers,
    close_days,
    load_calendars,
    provision_city,
    write_city_files,
)
from kinerja_local.sender import SendReport, publish_records, send_events
from kinerja_local.services import (
    default_services,
    scoring_backlog,
    start_services,
    stop_services,
)
from kinerja_local.simulator import WIB, attendance_events, working_days
from kinerja_local.stack import (
    REPO_ROOT,
    LocalFerretDB,
    LocalKafka,
    Ports,
    Process,
    StackError,
    install_ferretdb,
    install_kafka,
)
from kinerja_local.work import service_ratings, target_progress
from kinerja_local.year import year_records

console = Console()
app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False)


class LocalSettings(BaseSettings):
    """Ports and folders of the local stack; environment variables start with KINERJA_LOCAL_."""

    model_config = SettingsConfigDict(env_prefix="KINERJA_LOCAL_")

    kafka_port: int = Field(9092, ge=1, le=65535)
    kafka_controller_port: int = Field(9093, ge=1, le=65535)
    mongodb_port: int = Field(27017, ge=1, le=65535)
    base_port: int = Field(8001, ge=1, le=65530, description="intake; scoring +1, ...")
    state_dir: Path = REPO_ROOT / ".local"
    kafka_heap_mb: int = 512

    @property
    def ports(self) -> Ports:
        return Ports(self.kafka_port, self.kafka_controller_port, self.mongodb_port)


def _components(s: LocalSettings) -> tuple[LocalKafka, LocalFerretDB]:
    return (
        LocalKafka(s.state_dir, s.kafka_port, s.kafka_controller_port, s.kafka_heap_mb),
        LocalFerretDB(s.state_dir, s.mongodb_port),
    )


def _fail(exc: StackError) -> typer.Exit:
    console.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(1)


def _log(msg: str) -> None:
    console.print(f"[dim]•[/] {msg}")


@app.command()
def install() -> None:
    """Fetch Kafka's jars (Maven) and build FerretDB (Go), once; later calls return at once."""
    try:
        t0 = time.monotonic()
        libs = install_kafka(_log)
        binary = install_ferretdb(_log)
    except StackError as exc:
        raise _fail(exc) from None
    console.print(
        f"Kafka jars: {libs}\nFerretDB:   {binary}\n"
        f"[green]installed[/] in {time.monotonic() - t0:.1f}s"
    )


def _up(s: LocalSettings, services: bool) -> None:
    kafka, ferret = _components(s)
    t0 = time.monotonic()
    kafka.start(_log)
    _log(f"Kafka ready on {s.ports.kafka_bootstrap}")
    ferret.start(_log)
    _log(f"FerretDB ready on {s.ports.mongodb_url}")
    if services:
        start_services(default_services(s.base_port), s.ports, s.state_dir, _log)
    console.print(f"[green]up[/] in {time.monotonic() - t0:.1f}s")
    _print_where(s, services)


def _print_where(s: LocalSettings, services: bool) -> None:
    table = Table(title="Kinerja on this machine", show_lines=False)
    table.add_column("component")
    table.add_column("where")
    table.add_row("Kafka", s.ports.kafka_bootstrap)
    table.add_row("MongoDB wire (FerretDB)", s.ports.mongodb_url)
    if services:
        for spec in default_services(s.base_port):
            table.add_row(spec.name, f"{spec.url}  (docs {spec.url}/docs, metrics /metrics)")
    table.add_row("logs", str(s.state_dir / "logs"))
    console.print(table)


@app.command()
def up(
    services: Annotated[bool, typer.Option(help="Start the four services too")] = True,
) -> None:
    """Start Kafka, FerretDB and the services in the background (installing on first use)."""
    try:
        _up(LocalSettings(), services)
    except StackError as exc:
        raise _fail(exc) from None


@app.command()
def down() -> None:
    """Stop the services, FerretDB and Kafka that this folder started."""
    s = LocalSettings()
    stopped = stop_services(default_services(s.base_port), s.state_dir)
    kafka, ferret = _components(s)
    if ferret.stop():
        stopped.append("ferretdb")
    if kafka.stop():
        stopped.append("kafka")
    console.print(f"stopped: {', '.join(stopped) if stopped else 'nothing was running'}")


def down_quietly() -> None:
    """``down`` without a word: when the terminal is gone, what matters is that it all stops."""
    s = LocalSettings()
    stop_services(default_services(s.base_port), s.state_dir)
    kafka, ferret = _components(s)
    ferret.stop()
    kafka.stop()


@app.command()
def status() -> None:
    """Show which local processes run."""
    s = LocalSettings()
    table = Table()
    table.add_column("process")
    table.add_column("pid")
    table.add_column("log")
    for name in ["kafka", "ferretdb"] + [x.name for x in default_services(s.base_port)]:
        proc = Process(name, s.state_dir)
        pid = proc.pid()
        table.add_row(name, str(pid) if pid else "[red]stopped[/]", str(proc.log_file))
    console.print(table)


def _simulate(
    intake_url: str, employees: int, start: date, end: date, seed: int, speed: float | None
) -> None:
    city = generate_city(seed, employees)
    days = list(working_days(start, end))
    console.print(
        f"city: {len(city.units)} OPD, {len(city.employees)} employees; "
        f"{len(days)} working days {start}..{end}"
    )
    expected = round(len(city.employees) * 1.96 * len(days))
    with _bars() as progress:
        loading = progress.add_task("registering the city", total=len(city.employees))
        key = provision_city(city, intake_url, lambda n: progress.advance(loading, n))
        load_calendars(intake_url, {start.year, end.year})
        task = progress.add_task("sending attendance", total=expected)
        report = send_events(
            attendance_events(city, start, end),
            intake_url,
            speed=speed,
            on_batch=lambda n: progress.advance(task, n),
            headers={"X-Api-Key": key},
        )
        progress.update(task, total=report.sent, completed=report.sent)
    _report("attendance", report)
    _send_work(city, intake_url, start, end, key)
    # The days that are over are closed, as the city's evening job does: absences then count.
    closed = close_days(intake_url, [d for d in days if d < date.today()])  # noqa: DTZ011
    if closed:
        console.print(f"closed {len(closed)} past working days ({closed[0]}..{closed[-1]})")


def _report(what: str, report: SendReport) -> None:
    console.print(
        f"{what}: sent {report.sent} events in {report.batches} batches: "
        f"{report.accepted} accepted, {report.duplicates} duplicates, "
        f"{report.rejected} rejected"
    )
    for err in report.errors[:5]:
        console.print(f"[yellow]rejected:[/] {err}")


def _send_work(city: City, intake_url: str, start: date, end: date, key: str) -> None:
    """Citizens' ratings of the desks and the SKP progress, so every page has figures."""
    end_of_day = datetime(end.year, end.month, end.day, 16, tzinfo=WIB)
    as_of = min(end_of_day, datetime.now(WIB) - timedelta(minutes=1))
    reports = []
    with _bars() as progress:
        for what, events in [
            ("service ratings", list(service_ratings(city, start, end))),
            ("target progress", list(target_progress(city, as_of))),
        ]:
            task = progress.add_task(f"sending {what}", total=len(events))
            advance = partial(progress.advance, task)
            reports.append(
                (
                    what,
                    send_events(events, intake_url, on_batch=advance, headers={"X-Api-Key": key}),
                )
            )
    for what, report in reports:
        _report(what, report)


def _bars() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _month_start(today: date) -> date:
    return today.replace(day=1)


@app.command()
def simulate(
    intake_url: Annotated[str, typer.Option(help="Intake's base URL")] = "",
    employees: Annotated[int, typer.Option(min=3, help="City size")] = 4500,
    days: Annotated[int, typer.Option(min=0, help="Days back from today (0: this month)")] = 0,
    seed: Annotated[int, typer.Option(help="Same seed, same city and events")] = 1956,
    speed: Annotated[
        float, typer.Option(help="0: as fast as possible; 1: real time; 3600: an hour per second")
    ] = 0,
) -> None:
    """Send a simulated city's attendance to intake."""
    s = LocalSettings()
    today = date.today()  # noqa: DTZ011 - the city's calendar day
    start = today - timedelta(days=days) if days else _month_start(today)
    _simulate(
        intake_url or f"http://127.0.0.1:{s.base_port}",
        employees,
        start,
        today,
        seed,
        speed or None,
    )


@app.command()
def year(
    year: Annotated[int, typer.Option(help="The calendar year")] = 2026,
    until: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD; default: 31 December)")] = "",
    employees: Annotated[int, typer.Option(min=3, help="City size")] = 4500,
    seed: Annotated[int, typer.Option(help="Same seed, same city and records")] = 1956,
    out: Annotated[
        Path | None, typer.Option(help="Write JSON lines (topic, key, value) here, gzipped")
    ] = None,
) -> None:
    """A simulated city's year: onto the running stack's topics (as if it had been live all year;
    intake refuses events older than 35 days), or into a file with --out."""
    try:
        last = date.fromisoformat(until) if until else None
    except ValueError:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--until") from None
    records = year_records(generate_city(seed, employees), year, last)
    with Progress(
        TextColumn("[bold]{task.description}"),
        TextColumn("{task.completed:,} records"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("year " + str(year), total=None)
        if out is not None:
            with gzip.open(out, "wt") as f:
                for r in records:
                    f.write(json.dumps({"topic": r.topic, "key": r.key, "value": r.value}) + "\n")
                    progress.advance(task)
            sent = int(progress.tasks[0].completed)
        else:
            bootstrap = f"127.0.0.1:{LocalSettings().kafka_port}"
            advance = lambda n: progress.advance(task, n)  # noqa: E731
            sent = asyncio.run(publish_records(bootstrap, records, on_batch=advance))
    console.print(f"{sent:,} records of {year} " + (f"in {out}" if out else "on the topics"))


@app.command()
def city(
    out: Annotated[Path, typer.Option(help="Folder to write the files into")],
    employees: Annotated[int, typer.Option(min=3)] = 4500,
    seed: Annotated[int, typer.Option()] = 1956,
) -> None:
    """Write a simulated city's reference data as the admin API takes it (CSV and JSON)."""
    written = write_city_files(generate_city(seed, employees), out)
    for path in written:
        console.print(f"wrote {path}")


@app.command()
def token(
    nip: Annotated[str, typer.Option(help="The NIP the token speaks for")],
    roles: Annotated[str, typer.Option(help="Comma-separated: admin,supervisor,employee,ops")],
    hours: Annotated[float, typer.Option(min=0.1, help="Validity")] = 8,
) -> None:
    """Mint a development bearer token (signed with the development secret)."""
    from datetime import timedelta as _td

    from kinerja_shared.auth import mint_dev_token
    from kinerja_shared.nip import parse_nip
    from kinerja_shared.settings import DEV_JWT_SECRET

    try:
        parse_nip(nip, date.today())  # noqa: DTZ011
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--nip") from None
    wanted = [r.strip() for r in roles.split(",") if r.strip()]
    print(mint_dev_token(DEV_JWT_SECRET, nip, wanted, _td(hours=hours)))


def _wait_for_scoring(scoring_url: str, sent_at: float, timeout_s: float = 900) -> None:
    """Shows scoring catching up with what was sent, and how long it took after the sender."""
    with Progress(
        TextColumn("[bold]scoring catches up"),
        BarColumn(),
        TextColumn("{task.fields[left]}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("scoring", total=None, left="")
        quiet = 0
        while time.monotonic() - sent_at < timeout_s:
            backlog = scoring_backlog(scoring_url)
            if backlog is not None:
                progress.update(task, left=f"{backlog:,.0f} records and batches left")
                quiet = quiet + 1 if backlog == 0 else 0
                if quiet >= 3:  # three readings in a row: nothing is on its way any more
                    break
            time.sleep(1)
    took = time.monotonic() - sent_at
    console.print(f"scoring has every event evaluated, {took:.0f}s after the sender finished")


def _print_first_steps(s: LocalSettings, city: City, today: date) -> None:
    """Where to sign in, with whom, and a request that works when pasted."""
    heads = [e for e in city.employees if e.supervisor_nip is None]
    head = max(heads, key=lambda h: sum(1 for e in city.employees if e.unit_code == h.unit_code))
    supervisor = next(e for e in city.employees if e.supervisor_nip == head.nip)
    staff = next(e for e in city.employees if e.supervisor_nip == supervisor.nip)
    table = Table(title="Sign in to the console", show_lines=False)
    for column in ("who", "NIP", "role", "name"):
        table.add_column(column)
    table.add_row(f"head of {head.unit_code}", head.nip, "supervisor", head.name)
    table.add_row("a supervisor", supervisor.nip, "supervisor", supervisor.name)
    table.add_row("an employee", staff.nip, "employee", staff.name)
    # BKPSDM's administrators are ASN of the personnel agency (BKD here): someone the console's
    # sign-in finds in the reference data, signed in with the admin role.
    admin = next((e for e in city.employees if e.unit_code == "BKD"), city.employees[-1])
    table.add_row("an administrator (BKPSDM)", admin.nip, "admin", admin.name)
    console.print(f"\nConsole: [bold]http://127.0.0.1:{s.base_port + 2}/[/]")
    console.print(table)
    auth = admin_headers()["Authorization"]
    url = (
        f"http://127.0.0.1:{s.base_port + 1}/v1/employees/{staff.nip}/evaluation"
        f"?period={today:%Y-%m}"
    )
    console.print("Try (one line):", style="bold")
    # Printed raw, never wrapped: a token broken across lines does not paste.
    print(f"curl -H 'Authorization: {auth}' '{url}'")
    console.print("Kinerja runs; press Ctrl-C to stop everything.")


@app.command()
def run(
    employees: Annotated[int, typer.Option(min=3)] = 4500,
    seed: Annotated[int, typer.Option()] = 1956,
) -> None:
    """Start everything, feed this month's attendance of a simulated city, wait for Ctrl-C."""
    s = LocalSettings()
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    try:
        _up(s, services=True)
        today = date.today()  # noqa: DTZ011
        _simulate(
            f"http://127.0.0.1:{s.base_port}", employees, _month_start(today), today, seed, None
        )
        sent_at = time.monotonic()
        _wait_for_scoring(f"http://127.0.0.1:{s.base_port + 1}", sent_at)
        _print_first_steps(s, generate_city(seed, employees), today)
        signal.signal(signal.SIGTERM, _stop)
        while not stop:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    except StackError as exc:
        console.print(f"[bold red]error:[/] {exc}")
    finally:
        # The terminal may be gone (a closed pipe, a killed tee): stop everything regardless.
        with contextlib.suppress(OSError):
            console.print("stopping…")
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut it short
        try:
            down()
        except OSError:
            down_quietly()


if __name__ == "__main__":
    app()
