"""Reference data contracts, published by intake to the compacted ``kinerja.reference.v1``.

Records are keyed ``<kind>:<id>`` (``employee:<nip>``, ``unit:<code>``, ``device:<serial>``,
``holiday:<date>``, ``org_predicate:<unit>:<year>``, ``calendar_year:<year>``) so compaction
keeps the latest of each; a tombstone (empty value) removes one.
This departs from "every topic keyed by NIP": units, devices and holidays belong to no employee.
"""

from __future__ import annotations

import ipaddress
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
)

from kinerja_shared.events import Code, Nip, ShortText

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,9}$")]
#: The decision or decree a record comes from, named as it is signed.
SourceText = Annotated[str, StringConstraints(min_length=3, max_length=300, strip_whitespace=True)]
TimeZoneName = Literal["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]  # WIB, WITA, WIT


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Unit(_Strict):
    """An OPD (perangkat daerah) or one of its sub-units."""

    kind: Literal["unit"] = "unit"
    code: Code
    name: Name
    parent_code: Code | None = None


class ScheduleSince(_Strict):
    """A working schedule an employee had from a date on (None: from the start)."""

    since: date | None = None
    schedule: Code


#: Schedule changes kept per employee: decades of rotations, and a bound on the record.
MAX_SCHEDULE_HISTORY = 60


class Employee(_Strict):
    kind: Literal["employee"] = "employee"
    nip: Nip
    name: Name
    unit_code: Code
    position: Name
    supervisor_nip: Nip | None = None
    schedule: Code = "standar"
    # The date the current schedule began (an upload may say; else intake takes the day it hears
    # of a change), and every earlier schedule: the compacted topic keeps only the latest record,
    # so the record carries its history and a past day keeps the hours it had.
    schedule_since: date | None = None
    schedule_history: tuple[ScheduleSince, ...] = Field((), max_length=MAX_SCHEDULE_HISTORY)
    email: EmailStr | None = None
    device_pins: tuple[Pin, ...] = ()


#: The columns of the employees CSV the admin API takes (a header row names them).
EMPLOYEE_CSV_COLUMNS = (
    "nip",
    "name",
    "unit_code",
    "position",
    "supervisor_nip",
    "schedule",
    "email",
    "device_pins",
    "schedule_since",
)


class HolidayKind(StrEnum):
    LIBUR_NASIONAL = "libur_nasional"  # national holiday
    CUTI_BERSAMA = "cuti_bersama"  # collective leave day


class Holiday(_Strict):
    kind: Literal["holiday"] = "holiday"
    date: date
    name: ShortText
    holiday_kind: HolidayKind = HolidayKind.LIBUR_NASIONAL


def _network(value: str) -> str:
    """A source address or CIDR block, written canonically ("10.1.2.0/24")."""
    try:
        return str(ipaddress.ip_network(value, strict=False))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address or CIDR block") from None


Network = Annotated[str, StringConstraints(max_length=64), AfterValidator(_network)]


class Device(_Strict):
    """An attendance machine (mesin absensi) registered to a unit."""

    kind: Literal["device"] = "device"
    serial: Code
    unit_code: Code
    timezone: TimeZoneName = "Asia/Jakarta"
    active: bool = True
    # A serial alone is easy to spoof: where the machines' addresses are known (their VLAN, or
    # the gateway they reach intake through), name them and nothing else may speak for it.
    allowed_sources: list[Network] = Field(
        default_factory=list, max_length=32, description="Addresses it may call from; [] any"
    )

    def admits(self, address: str | None) -> bool:
        if not self.allowed_sources:
            return True
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            return False
        return any(ip in ipaddress.ip_network(n) for n in self.allowed_sources)


class CalendarYear(_Strict):
    """A year's working calendar is loaded: its national holidays and cuti bersama, from that
    year's joint decree (SKB 3 Menteri, which also sets the moving holidays). Until it is,
    intake holds that year's days instead of closing them: a day closed without the calendar
    would judge a holiday as everyone's unexcused absence."""

    kind: Literal["calendar_year"] = "calendar_year"
    year: Annotated[int, Field(ge=2000, le=2100)]
    source: SourceText  # the decree, e.g. "SKB No. 1497/2025, 2/2025, 5/2025"
    days: Annotated[int, Field(ge=0, le=366)]  # holidays and cuti bersama in it


class OrgPredicate(_Strict):
    """A unit's organisational predicate (predikat kinerja organisasi) for a year, PermenPANRB
    6/2022: set by the leader above the unit and entered by an admin with the document it comes
    from. It sets the pattern the unit's employee predicates should follow, and the Hasil Kerja
    rating of the unit's head follows it (``head_nip``: who led the unit that year)."""

    kind: Literal["org_predicate"] = "org_predicate"
    unit_code: Code
    year: Annotated[int, Field(ge=2000, le=2100)]
    predicate: Literal["Istimewa", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang"]
    source: SourceText  # the decision, e.g. "Keputusan Wali Kota No. 800/12/2027"
    head_nip: Nip | None = None

    @field_validator("predicate", mode="before")
    @classmethod
    def _cukup(cls, value: object) -> object:
        # Sources name the middle predicate "Butuh Perbaikan" or "Cukup" (domain rules §1.5).
        if isinstance(value, str) and value.strip().lower() in ("cukup", "butuh perbaikan/cukup"):
            return "Butuh Perbaikan"
        return value


class DayClosed(_Strict):
    """A calendar day is over: from now on a scheduled employee with no record and no excuse on
    it is absent without a valid reason. Published once per date on a schedule (idempotent: the
    same key); absence is the lack of events, so this record is what lets a replay reproduce it."""

    kind: Literal["day_closed"] = "day_closed"
    date: date


ReferenceRecord: TypeAlias = Annotated[
    Unit | Employee | Holiday | Device | DayClosed | OrgPredicate | CalendarYear,
    Field(discriminator="kind"),
]
AnyReference: TypeAlias = (
    Unit | Employee | Holiday | Device | DayClosed | OrgPredicate | CalendarYear
)
REFERENCE_ADAPTER: TypeAdapter[ReferenceRecord] = TypeAdapter(ReferenceRecord)


def reference_key(record: AnyReference) -> str:
    match record:
        case Unit():
            return f"unit:{record.code}"
        case Employee():
            return f"employee:{record.nip}"
        case Holiday():
            return f"holiday:{record.date.isoformat()}"
        case Device():
            return f"device:{record.serial}"
        case DayClosed():
            return f"day_closed:{record.date.isoformat()}"
        case OrgPredicate():
            return f"org_predicate:{record.unit_code}:{record.year}"
        case CalendarYear():
            return f"calendar_year:{record.year}"
