"""One employee's evaluation for a period, composed from per-day facts (pure), with its evidence:
every rule's inputs, result, rule name and the policy version, so a supervisor, the employee or an
auditor can trace each figure back.

Absence is the lack of records, so a day counts as "tanpa keterangan" only once it is closed
(a ``day_closed`` record); before that a day without a record is simply not judged yet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.calendar import DayStanding, DayStatus, Permit, WorkSchedule, day_standing
from scoring.domain.discipline import DisciplineOutcome, TppDeduction, discipline, tpp_deduction
from scoring.domain.ikm import IkmResult
from scoring.domain.performance import Predikat, Rating, perilaku_proposal, predikat
from scoring.domain.policy import Policy, Schedule


@dataclass(frozen=True, slots=True)
class DayFacts:
    """What the records say of one local day (earliest check-in, latest check-out, excuse)."""

    first_in: datetime | None = None
    last_out: datetime | None = None
    excused: bool = False
    late_until: datetime | None = None  # a permission to arrive late, until
    early_from: datetime | None = None  # a permission to leave early, from
    last_in: datetime | None = None  # the latest check-in (a night shift's)
    first_out: datetime | None = None  # the earliest check-out (a night shift's, next morning)


@dataclass(frozen=True, slots=True)
class Evidence:
    rule: str
    inputs: dict[str, Any]
    result: Any


def standings(
    start: date,
    end: date,
    facts: Mapping[date, DayFacts],
    closed: frozenset[date],
    schedule: Schedule | WorkSchedule,
    holidays: frozenset[date],
    tz: ZoneInfo,
    policy: Policy,
) -> list[DayStanding]:
    """Each day of [start, end] that can be judged: closed days, and open days with a record.
    ``schedule``: one for every day, or the employee's ``WorkSchedule`` (hours by date)."""
    out: list[DayStanding] = []
    day = start
    while day <= end:
        f = _shift_facts(day, facts, hours := _hours_on(schedule, day), tz)
        if day in closed or f.first_in or f.last_out or f.excused:
            s = day_standing(
                day,
                policy,
                hours,
                holidays,
                tz,
                f.first_in,
                f.last_out,
                f.excused,
                permit=Permit(f.late_until, f.early_from),
            )
            if s.status is not DayStatus.LIBUR:
                out.append(s)
        day += timedelta(days=1)
    return out


def _hours_on(schedule: Schedule | WorkSchedule, day: date) -> Schedule:
    return schedule.on(day) if isinstance(schedule, WorkSchedule) else schedule


#: How far from a night shift's start and end its punches may be and still belong to it: the
#: morning's check-out of the shift before is no check-in for tonight's.
SHIFT_WINDOW = timedelta(hours=4)


def _shift_facts(
    day: date, facts: Mapping[date, DayFacts], hours: Schedule, tz: ZoneInfo
) -> DayFacts:
    """The punches of the day's shift: the day's own, or for a night shift the evening's last
    check-in and the next morning's first check-out, each near the shift's start or end."""
    f = facts.get(day) or DayFacts()
    if not hours.overnight or day.weekday() not in hours.hours:
        return f
    morning = facts.get(day + timedelta(days=1)) or DayFacts()
    start, end = hours.span(day, tz)
    came = f.last_in if f.last_in and f.last_in >= start - SHIFT_WINDOW else None
    left = (
        morning.first_out if morning.first_out and morning.first_out <= end + SHIFT_WINDOW else None
    )
    return replace(f, first_in=came, last_out=left)


@dataclass(frozen=True)
class Evaluation:
    period: str
    start: date
    end: date
    working_days_judged: int
    hadir: int
    izin: int
    tanpa_keterangan: int
    tl_psw_days: int
    late_minutes: int
    early_minutes: int
    categories: dict[str, int]
    tpp: TppDeduction | None
    discipline: DisciplineOutcome
    ikm: IkmResult | None
    hasil_kerja: Rating | None
    perilaku_kerja: Rating
    perilaku_is_proposal: bool
    predikat: Predikat | None
    policy_version: str
    schedule_name: str = "standar"
    evidence: list[Evidence] = field(default_factory=list)


def evaluate(
    period: str,
    start: date,
    end: date,
    period_days: Sequence[DayStanding],
    year_to_date: Sequence[DayStanding],
    ikm_result: IkmResult | None,
    hasil_kerja: Rating | None,
    supervisor_rating: Rating | None,
    schedule: Schedule,
    policy: Policy,
    monthly: bool,
    december_before: Sequence[DayStanding] = (),
    schedule_name: str = "standar",
) -> Evaluation:
    j = _judge(
        period_days,
        (year_to_date, december_before),
        ikm_result,
        (hasil_kerja, supervisor_rating),
        policy,
        monthly,
    )
    return Evaluation(
        period=period,
        start=start,
        end=end,
        working_days_judged=len(period_days),
        hadir=j.count[DayStatus.HADIR],
        izin=j.count[DayStatus.IZIN],
        tanpa_keterangan=j.count[DayStatus.TANPA_KETERANGAN],
        tl_psw_days=j.tl_psw_days,
        late_minutes=sum(s.late_minutes for s in period_days),
        early_minutes=sum(s.early_minutes for s in period_days),
        categories=j.categories,
        tpp=j.tpp,
        discipline=j.disc,
        ikm=ikm_result,
        hasil_kerja=hasil_kerja,
        perilaku_kerja=j.perilaku,
        perilaku_is_proposal=j.proposal,
        predikat=j.pred,
        policy_version=policy.version,
        schedule_name=schedule_name,
        evidence=_evidence(period_days, j, (schedule_name, schedule), policy),
    )


@dataclass(frozen=True)
class _Judged:
    """A period's figures, as the rules gave them."""

    count: Mapping[DayStatus, int]
    categories: dict[str, int]
    tl_psw_days: int
    disc: DisciplineOutcome
    tpp: TppDeduction | None
    ikm_result: IkmResult | None
    perilaku: Rating
    proposal: bool
    hasil_kerja: Rating | None
    pred: Predikat | None

    @property
    def ikm_category(self) -> str | None:
        r = self.ikm_result
        return r.category if r is not None and r.final else None


def _judge(
    period_days: Sequence[DayStanding],
    years: tuple[Sequence[DayStanding], Sequence[DayStanding]],
    ikm_result: IkmResult | None,
    ratings: tuple[Rating | None, Rating | None],
    policy: Policy,
    monthly: bool,
) -> _Judged:
    """``years``: this year to date and the December before; ``ratings``: Hasil Kerja and the
    supervisor's Perilaku Kerja (None: not rated, Kinerja proposes one)."""
    (year_to_date, december_before), (hasil_kerja, supervisor_rating) = years, ratings
    categories: dict[str, int] = {}
    for s in period_days:
        for cat in (s.tl, s.psw):
            if cat:
                categories[cat] = categories.get(cat, 0) + 1
    count = {status: sum(1 for s in period_days if s.status is status) for status in DayStatus}
    tl_psw_days = sum(1 for s in period_days if s.tl or s.psw)
    disc = discipline(year_to_date, policy, december_before)
    tpp = tpp_deduction(period_days, policy) if monthly else None
    ikm_category = ikm_result.category if ikm_result and ikm_result.final else None
    perilaku, proposal = supervisor_rating, False
    if perilaku is None:
        unexcused = count[DayStatus.TANPA_KETERANGAN]
        perilaku = perilaku_proposal(disc.level, ikm_category, unexcused, tl_psw_days, policy)
        proposal = True
    pred = predikat(hasil_kerja, perilaku) if hasil_kerja is not None else None
    return _Judged(
        count, categories, tl_psw_days, disc, tpp, ikm_result, perilaku, proposal, hasil_kerja, pred
    )


def _evidence(
    period_days: Sequence[DayStanding],
    j: _Judged,
    named_schedule: tuple[str, Schedule],
    policy: Policy,
) -> list[Evidence]:
    """Every rule's inputs and result, for the evaluation's reader."""
    evidence = [
        _day_evidence(period_days, j, named_schedule, policy),
        _discipline_evidence(j.disc, policy),
    ]
    if j.tpp is not None:
        evidence.append(_tpp_evidence(j.tpp, policy))
    if j.ikm_result is not None:
        evidence.append(_ikm_evidence(j.ikm_result, policy))
    evidence.append(
        Evidence(
            "perilaku_kerja.supervisor" if not j.proposal else "perilaku_kerja.proposal",
            {
                "discipline_level": j.disc.level,
                "ikm_category": j.ikm_category,
                "unexcused_days": j.count[DayStatus.TANPA_KETERANGAN],
                "tl_psw_days": j.tl_psw_days,
            },
            j.perilaku.value,
        )
    )
    evidence.append(
        Evidence(
            "predikat.permenpanrb_6_2022",
            {
                "hasil_kerja": j.hasil_kerja.value if j.hasil_kerja else None,
                "perilaku_kerja": j.perilaku.value,
            },
            j.pred.value if j.pred else "no SKP indicators for this period yet",
        )
    )
    return evidence


def _day_evidence(
    period_days: Sequence[DayStanding],
    j: _Judged,
    named_schedule: tuple[str, Schedule],
    policy: Policy,
) -> Evidence:
    name, schedule = named_schedule  # the employee's own schedule, by the name it goes by
    return Evidence(
        "calendar.day_standing",
        {
            "schedule": name,
            "schedule_hours": _spans(schedule.hours),
            "schedule_breaks": _spans(schedule.breaks),
            "missing_punch_minutes": policy.attendance.missing_punch_minutes,
            "tl_bands": policy.attendance.tl_bands,
            "psw_bands": policy.attendance.psw_bands,
            "days_judged": len(period_days),
        },
        {
            "hadir": j.count[DayStatus.HADIR],
            "izin": j.count[DayStatus.IZIN],
            "tanpa_keterangan": j.count[DayStatus.TANPA_KETERANGAN],
            "categories": j.categories,
        },
    )


def _discipline_evidence(disc: DisciplineOutcome, policy: Policy) -> Evidence:
    return Evidence(
        "discipline.pp94_2021",
        {
            "year_to_date_unexcused_days": disc.unexcused_days,
            "minutes_late_or_early": disc.minutes_late_or_early,
            "convert_minutes_to_days": policy.discipline.convert_minutes_to_days,
            "minutes_per_day": policy.discipline.minutes_per_day,
            "longest_run": disc.longest_run,
            "consecutive_days_dismissal": policy.discipline.consecutive_days_dismissal,
        },
        {
            "counted_days": disc.counted_days,
            "level": disc.level,
            "sanction": disc.sanction,
            "reason": disc.reason,
        },
    )


def _tpp_evidence(tpp: TppDeduction, policy: Policy) -> Evidence:
    return Evidence(
        "tpp.disiplin_deduction",
        {
            "by_category": tpp.by_category,
            "unexcused_days": tpp.unexcused_days,
            "percent_table": policy.tpp.deduction_percent,
            "cap": policy.tpp.cap_percent,
            # Where each figure used comes from ("aturan lokal": a local rule).
            "sources": {
                k: policy.tpp.sources[k]
                for k in (*tpp.by_category, "unexcused_absence", "cap")
                if k in policy.tpp.sources
            },
        },
        {"percent": tpp.percent, "capped": tpp.capped},
    )


def _ikm_evidence(ikm_result: IkmResult, policy: Policy) -> Evidence:
    return Evidence(
        "ikm.permenpanrb_14_2017",
        {
            "responses": ikm_result.responses,
            "nrr": ikm_result.nrr,
            "min_responses_final": policy.ikm.min_responses_final,
            "element_weight": policy.ikm.element_weight,
        },
        {
            "index": ikm_result.index,
            "converted": ikm_result.converted,
            "category": ikm_result.category,
            "final": ikm_result.final,
        },
    )


def _spans(by_weekday: Mapping[int, tuple[time, time]]) -> dict[str, list[str]]:
    return {str(k): [t.isoformat() for t in span] for k, span in sorted(by_weekday.items())}
