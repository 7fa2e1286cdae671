"""Validating reference data as a whole before anything is stored or published (pure, no I/O).

Every bad row is reported with its line number (the CSV line, header = line 1; for JSON, the
item's position starting at 1), the field and the reason, so an administrator fixes the whole file
in one pass.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kinerja_shared.reference import (
    EMPLOYEE_CSV_COLUMNS,
    MAX_SCHEDULE_HISTORY,
    CalendarYear,
    Employee,
    Holiday,
    ScheduleSince,
    SourceText,
)

EMPLOYEE_COLUMNS = EMPLOYEE_CSV_COLUMNS
REQUIRED_COLUMNS = ("nip", "name", "unit_code", "position")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    reason: str


#: Rows one upload may hold: a whole city's file fits; a country's is sent in parts.
MAX_IMPORT_ROWS = 50_000


def read_employee_csv(text: str) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    """Rows of an employee CSV with their line numbers; header problems are errors on line 1.

    ``device_pins`` holds several PINs separated by ``;`` or spaces; empty cells mean "not given".
    """
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    errors = [
        RowError(1, col, "required column is missing")
        for col in REQUIRED_COLUMNS
        if col not in header
    ]
    errors += [
        RowError(1, col, f"unknown column; expected some of {', '.join(EMPLOYEE_COLUMNS)}")
        for col in header
        if col not in EMPLOYEE_COLUMNS
    ]
    if errors:
        return [], errors
    rows: list[tuple[int, dict[str, Any]]] = []
    for raw in reader:
        line = reader.line_num
        if len(rows) == MAX_IMPORT_ROWS:
            return [], [RowError(line, "(file)", f"more than {MAX_IMPORT_ROWS:,} rows: split it")]
        if None in raw:
            errors.append(RowError(line, "(row)", "more cells than columns in the header"))
            continue
        row: dict[str, Any] = {k.strip(): (v or "").strip() for k, v in raw.items()}
        row = {k: v for k, v in row.items() if v != ""}
        if "device_pins" in row:
            row["device_pins"] = [p for p in row["device_pins"].replace(";", " ").split() if p]
        rows.append((line, row))
    return rows, errors


def validate_employees(
    rows: Iterable[tuple[int, Mapping[str, Any]]],
    known_units: set[str],
    existing_supervisor_of: Mapping[str, str | None],
    known_schedules: Collection[str] | None = None,
) -> tuple[list[Employee], list[RowError]]:
    """Check each row and the file as a whole: unique NIPs and PINs, known units, schedules and
    supervisors, and no cycle in the supervisor chain (with the employees already registered)."""
    errors: list[RowError] = []
    valid: list[tuple[int, Employee]] = []
    for line, row in rows:
        try:
            valid.append((line, Employee.model_validate(dict(row))))
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                field = ".".join(str(p) for p in err["loc"]) or "(row)"
                errors.append(RowError(line, field, err["msg"]))
    errors += _unique_and_known(valid, known_units)
    if known_schedules is not None:
        errors += unknown_schedules(valid, known_schedules)
    errors += _chain_errors(valid, existing_supervisor_of)
    errors.sort(key=lambda e: (e.line, e.field))
    return [emp for _, emp in valid], errors


def _unique_and_known(valid: list[tuple[int, Employee]], known_units: set[str]) -> list[RowError]:
    """Each NIP once, each unit registered, each PIN of a unit one person's."""
    errors: list[RowError] = []
    line_of: dict[str, int] = {}
    pin_owner: dict[tuple[str, str], str] = {}
    for line, emp in valid:
        if emp.nip in line_of:
            errors.append(RowError(line, "nip", f"duplicate of line {line_of[emp.nip]}"))
            continue
        line_of[emp.nip] = line
        if emp.unit_code not in known_units:
            errors.append(
                RowError(line, "unit_code", f"unknown unit {emp.unit_code!r}; register it first")
            )
        for pin in emp.device_pins:
            owner = pin_owner.setdefault((emp.unit_code, pin), emp.nip)
            if owner != emp.nip:
                what = f"PIN {pin} already belongs to {owner} in {emp.unit_code}"
                errors.append(RowError(line, "device_pins", what))
    return errors


def _chain_errors(
    valid: list[tuple[int, Employee]], existing_supervisor_of: Mapping[str, str | None]
) -> list[RowError]:
    """Each supervisor known (in this file or before), nobody their own, no chain a loop."""
    errors: list[RowError] = []
    supervisor_of = dict(existing_supervisor_of)
    supervisor_of.update({emp.nip: emp.supervisor_nip for _, emp in valid})
    for line, emp in valid:
        sup = emp.supervisor_nip
        if sup is None:
            continue
        if sup == emp.nip:
            errors.append(RowError(line, "supervisor_nip", "an employee cannot supervise themself"))
        elif sup not in supervisor_of:
            what = f"unknown supervisor {sup}; add them in this file or first"
            errors.append(RowError(line, "supervisor_nip", what))
        elif _in_cycle(emp.nip, supervisor_of):
            what = "the supervisor chain loops back to this employee"
            errors.append(RowError(line, "supervisor_nip", what))
    return errors


def _in_cycle(nip: str, supervisor_of: Mapping[str, str | None]) -> bool:
    """True when following supervisors from ``nip`` comes back to ``nip``."""
    seen: set[str] = set()
    current = supervisor_of.get(nip)
    while current is not None and current not in seen:
        if current == nip:
            return True
        seen.add(current)
        current = supervisor_of.get(current)
    return False


class CalendarHeader(BaseModel):
    """A year's calendar file: the year, the decree it comes from, and its days (below)."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100)
    source: SourceText
    days: list[Any] = Field(min_length=1, max_length=60)


def read_calendar(data: Any) -> tuple[CalendarYear | None, list[Holiday], list[RowError]]:
    """A year's calendar file (JSON, ``deploy/local/samples/tanjungbalai/calendar-2026.json``):
    ``{"year", "source", "days": [{"date", "name", "holiday_kind"}]}``. Errors name the day by
    its position (line 1 is the file's own fields), the field and the reason; every day must
    fall in the year, once."""
    try:
        header = CalendarHeader.model_validate(data)
    except ValidationError as exc:
        return None, [], [_error(1, e) for e in exc.errors(include_url=False)]
    days: list[Holiday] = []
    errors: list[RowError] = []
    for line, row in enumerate(header.days, start=2):
        try:
            day = Holiday.model_validate(row)
        except ValidationError as exc:
            errors += [_error(line, e) for e in exc.errors(include_url=False)]
            continue
        if day.date.year != header.year:
            errors.append(RowError(line, "date", f"{day.date} is not in {header.year}"))
        elif any(d.date == day.date for d in days):
            errors.append(RowError(line, "date", f"{day.date} is listed twice"))
        days.append(day)
    if errors:
        return None, [], errors
    return CalendarYear(year=header.year, source=header.source, days=len(days)), days, []


def _error(line: int, e: Mapping[str, Any]) -> RowError:
    return RowError(line, ".".join(str(p) for p in e["loc"]) or "(row)", str(e["msg"]))


def with_schedule_history(new: Employee, stored: Employee | None, today: date) -> Employee:
    """The new record carries the stored one's schedule history: a changed schedule begins on
    the upload's ``schedule_since`` or today, and the one before joins the history, so past
    days keep the hours they had."""
    if stored is None:
        return new
    if new.schedule == stored.schedule:
        return new.model_copy(
            update={
                "schedule_since": new.schedule_since or stored.schedule_since,
                "schedule_history": stored.schedule_history,
            }
        )
    before = ScheduleSince(since=stored.schedule_since, schedule=stored.schedule)
    history = (*stored.schedule_history, before)[-MAX_SCHEDULE_HISTORY:]
    return new.model_copy(
        update={"schedule_since": new.schedule_since or today, "schedule_history": history}
    )


def unknown_schedules(
    employees: Iterable[tuple[int, Employee]], known: Collection[str]
) -> list[RowError]:
    """A schedule the city's policy does not define is refused, not judged by another's hours."""
    return [
        RowError(line, "schedule", f"unknown schedule {e.schedule!r}; known: {', '.join(known)}")
        for line, e in employees
        if e.schedule not in known
    ]
