"""What the evaluation and the unit summary answer, as the OpenAPI publishes it: clients and the
schema fuzzer check the answers against these. The documents are built by the projection
(``scoring.domain.projection``); a key added there and not here still reaches the client
(``extra="allow"``), but is then undocumented, so add it here too."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from scoring.domain.facts import DayPunches


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class EmployeeOut(_Open):
    known: bool = Field(description="The reference data knows this NIP")
    unit_code: str | None = None
    schedule: str | None = Field(None, description="The working schedule judged by")
    name: str | None = None
    position: str | None = None


class CalendarDays(_Open):
    closed_days: list[str] = Field(description="Days closed (their absences count)")
    holidays: list[str]


class AttendanceOut(_Open):
    working_days_judged: int
    hadir: int = Field(description="Days present")
    izin: int = Field(description="Days excused (leave, sick, official duty)")
    tanpa_keterangan: int = Field(description="Days absent without leave")
    tl_psw_days: int = Field(description="Days late in (TL) or out early (PSW)")
    late_minutes: int
    early_minutes: int
    categories: dict[str, int] = Field(description="TL1..TL4, PSW1..PSW4 and the rest, counted")


class DisciplineOut(_Open):
    level: str | None = Field(description="ringan, sedang, berat (PP 94/2021) or none")
    sanction: str | None = None
    counted_days: float
    unexcused_days: int
    longest_run: int
    reason: str | None = None


class IkmOut(_Open):
    responses: int
    index: float | None = None
    converted: float | None = None
    category: str | None = None
    label: str | None = None
    final: bool = Field(description="Enough responses for a figure that counts")


class HasilKerjaOut(_Open):
    rating: str | None = None
    year_elapsed: float
    indicators: list[dict[str, Any]]


class PerilakuKerjaOut(_Open):
    rating: str
    proposal: bool = Field(description="The system's proposal, not yet the supervisor's rating")


class EvidenceOut(_Open):
    rule: str = Field(description="The rule and its source")
    inputs: Any = Field(description="The figures the rule used")
    result: Any
    policy_version: str


class StandingOut(_Open):
    date: str
    status: str
    late_minutes: int | None = None
    tl: str | None = None
    early_minutes: int | None = None
    psw: str | None = None


class CorrectionOut(_Open):
    """A punch an administrator voided: the day is judged without it."""

    day: str
    punch_at: str
    reason: str
    voided_by: str
    voided_event_id: str


class PunchOut(BaseModel):
    event_id: str
    at: str
    direction: str = Field(description="in, out or unknown (counts as either)")
    voided: bool


class DayPunchesOut(BaseModel):
    """A day's punches as scoring keeps them (those recorded before days kept their punches
    show only as the day's first check-in and last check-out in the evaluation)."""

    nip: str
    date: str
    punches: list[PunchOut]
    corrections: list[CorrectionOut]

    @classmethod
    def of(cls, nip: str, kept: DayPunches) -> DayPunchesOut:
        return cls(
            nip=nip,
            date=kept.day.isoformat(),
            punches=[
                PunchOut(
                    event_id=p.event_id, at=p.at.isoformat(), direction=p.direction, voided=p.voided
                )
                for p in kept.punches
            ],
            corrections=[
                CorrectionOut(
                    day=c["day"],
                    punch_at=c["punch_at"].isoformat(),
                    reason=c["reason"],
                    voided_by=c["voided_by"],
                    voided_event_id=c["voided_event_id"],
                )
                for c in kept.corrections
            ],
        )


class EvaluationOut(_Open):
    """An employee's evaluation of a period, with every figure's evidence."""

    nip: str
    period: str
    start: str
    end: str
    employee: EmployeeOut
    calendar: CalendarDays
    attendance: AttendanceOut
    tpp_disiplin_deduction_percent: float | None = None
    discipline: DisciplineOut
    ikm: IkmOut | None = None
    hasil_kerja: HasilKerjaOut
    perilaku_kerja: PerilakuKerjaOut
    predikat: str | None = None
    policy_version: str
    evidence: list[EvidenceOut]
    standings: list[StandingOut] | None = Field(description="Day by day (months and 30 days)")
    penjelasan: dict[str, str] = Field(
        default_factory=dict, description="Each figure in one plain Indonesian sentence"
    )
    corrections: list[CorrectionOut] = Field(
        default_factory=list, description="Punches voided by an administrator, with the reason"
    )


class UnitSummaryOut(_Open):
    """A unit's picture for a period."""

    unit_code: str
    period: str
    employees: int
    predicates: dict[str, int]
    discipline_levels: dict[str, int]
    ikm: dict[str, Any] | None = None
    desks: dict[str, Any] | None = None
    distribution_check: dict[str, Any] | None = None
    policy_version: str
