"""Read models from facts (pure): an employee's evaluation of each period as the document the API
returns, the line that employee adds to the unit's summary, and the year's outcome.

Scoring keeps these documents up to date when the facts under them change, so a read is one
lookup. The day standings of a year are computed once per employee and sliced per period.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kinerja_shared.periods import Period, resolve
from scoring.domain.alerts import AlertDraft, Conditions, discipline_alerts, tl_psw_week_alerts
from scoring.domain.attendance import month_attendance, month_of
from scoring.domain.calendar import DayStanding, WorkSchedule
from scoring.domain.evaluation import DayFacts, Evaluation, evaluate, standings
from scoring.domain.facts import YearFacts, time_key
from scoring.domain.ikm import ELEMENTS, OVERALL, IkmResult, IkmTally, ikm, ikm_of
from scoring.domain.performance import (
    HEAD_RATING,
    IndicatorStatus,
    OrgPredikat,
    Predikat,
    Rating,
    achievement_percent,
    annual_outcome,
    display_percent,
    hasil_kerja,
    indicator_status,
)
from scoring.domain.policy import Policy

ROLLING = "30d"
WEAK_PREDICATES = (Predikat.BUTUH_PERBAIKAN, Predikat.KURANG, Predikat.SANGAT_KURANG)


@dataclass(frozen=True, slots=True)
class UnitLead:
    """The employee led ``unit_code`` in ``year``, whose organisational predicate was set."""

    unit_code: str
    year: int
    predicate: OrgPredikat
    source: str


@dataclass(frozen=True, slots=True)
class EmployeeRef:
    """What scoring knows of an employee from the reference data."""

    nip: str
    known: bool = False
    name: str | None = None
    position: str | None = None
    unit_code: str | None = None
    supervisor_nip: str | None = None
    schedule: str = "standar"
    leads: tuple[UnitLead, ...] = ()  # the units and years this employee headed
    # (since, schedule name), oldest first, the current one last; empty: ``schedule`` always.
    schedules: tuple[tuple[date | None, str], ...] = ()

    def work_schedule(self, policy: Policy) -> WorkSchedule:
        return WorkSchedule(policy, self.schedules or ((None, self.schedule),))


@dataclass(frozen=True, slots=True)
class CalendarView:
    holidays: frozenset[date] = frozenset()
    closed: frozenset[date] = frozenset()


@dataclass(frozen=True)
class Projection:
    """Everything one employee's facts give: ``evaluations`` by period name, the ``members``
    line per period for the unit summary, IKM tallies per (unit, desk) and period, and the
    outcome of each year evaluated (``None``: on neither list)."""

    evaluations: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    ikm: dict[str, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)
    outcomes: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    alerts: AlertInput | None = None
    known: bool = True  # False: neither facts nor reference data


@dataclass(frozen=True)
class AlertInput:
    """What the alert check needs of one employee, as of the projection: the threshold
    crossings of the current year (deterministic ids) and the rolling conditions."""

    drafts: list[AlertDraft]
    conditions: Conditions
    unit_code: str | None = None
    supervisor_nip: str | None = None


def periods_to_project(months: Iterable[str], today: date) -> list[Period]:
    """The periods a change in ``months`` moves: each month from the earliest changed one to
    the year's last elapsed month (discipline counts the year to date), their quarters, the
    year, and the rolling 30 days."""
    by_year: dict[int, int] = {}
    for m in months:
        y, mm = int(m[:4]), int(m[5:])
        by_year[y] = min(by_year.get(y, 13), mm)
        if mm == 12 and y < today.year:  # a run of absences crosses into January
            by_year[y + 1] = 1
    out: list[Period] = []
    for y, first in sorted(by_year.items()):
        last = 12 if y < today.year else today.month
        for mm in range(first, max(first, last) + 1):
            out.append(resolve(f"{y:04d}-{mm:02d}", None, today))
        for q in sorted({(mm - 1) // 3 + 1 for mm in range(first, max(first, last) + 1)}):
            out.append(resolve(f"{y:04d}-Q{q}", None, today))
        out.append(resolve(str(y), None, today))
    if by_year:
        out.append(resolve(None, ROLLING, today))
    return out


def project(
    facts: Mapping[int, YearFacts],
    employee: EmployeeRef,
    calendar: CalendarView,
    periods: Sequence[Period],
    policy: Policy,
    tz: ZoneInfo,
    today: date,
) -> Projection:
    """``facts``: the employee's facts by year, for every year the periods touch."""
    judged = _judged(facts, periods, calendar, employee.work_schedule(policy), policy, tz)
    out = Projection()
    evaluated: dict[str, Evaluation] = {}
    for p in periods:
        ev_doc, ev = _evaluation(p, facts, employee, calendar, judged, policy, tz, today)
        evaluated[p.name] = ev
        out.evaluations[p.name] = ev_doc
        out.members[p.name] = _member(employee, ev)
        out.ikm[p.name] = _ikm_tallies(_responses(facts, p))
        if p.name == str(p.end.year):
            out.outcomes[p.end.year] = _outcome(out.members[p.name], ev)
    this_year = str(today.year)
    if this_year in evaluated and ROLLING in evaluated:
        year_doc = out.evaluations[this_year]
        this_year_days = [s for s in judged if s.date.year == today.year]
        out = Projection(
            out.evaluations,
            out.members,
            out.ikm,
            out.outcomes,
            with_people(
                _alert_input(
                    employee.nip, facts, evaluated, year_doc, this_year_days, policy, today
                ),
                employee,
            ),
        )
    if not employee.known and not any(f.recorded for f in facts.values()):
        out = Projection(out.evaluations, out.members, out.ikm, out.outcomes, out.alerts, False)
    return out


def _judged(
    facts: Mapping[int, YearFacts],
    periods: Sequence[Period],
    calendar: CalendarView,
    schedule: WorkSchedule,
    policy: Policy,
    tz: ZoneInfo,
) -> list[DayStanding]:
    """The day standings of every year the periods touch, and of the December before the first
    (a run of unexcused days crosses New Year)."""
    days: dict[date, DayFacts] = {
        d: DayFacts(
            r.first_in, r.last_out, r.excused, r.late_until, r.early_from, r.last_in, r.first_out
        )
        for f in facts.values()
        for d, r in (*f.december_before.items(), *f.days.items())
    }
    years = sorted({p.start.year for p in periods} | {p.end.year for p in periods})
    spans = [(date(years[0] - 1, 12, 1), date(years[0] - 1, 12, 31))] if years else []
    spans += [(date(y, 1, 1), date(y, 12, 31)) for y in years]
    return [
        s
        for first, last in spans
        for s in standings(
            first, last, days, calendar.closed, schedule, calendar.holidays, tz, policy
        )
    ]


def _outcome(line: dict[str, Any], ev: Evaluation) -> dict[str, Any] | None:
    """The employee's entry on the year's recognition or coaching list, or None."""
    result = annual_outcome(ev.predikat, ev.discipline.level, ev.discipline.reason)
    if not (result.recognition or result.coaching):
        return None
    return {
        **line,
        "recognition": result.recognition,
        "coaching": result.coaching,
        "reasons": list(result.reasons),
    }


def _alert_input(
    nip: str,
    facts: Mapping[int, YearFacts],
    evaluated: Mapping[str, Evaluation],
    year_doc: Mapping[str, Any],
    year_days: Sequence[DayStanding],
    policy: Policy,
    today: date,
) -> AlertInput:
    rules = policy.early_warning
    year = evaluated[str(today.year)]
    drafts = discipline_alerts(nip, today.year, year.discipline)
    drafts += tl_psw_week_alerts(nip, year_days, rules.tl_psw_days_in_a_week)
    # IKM over the last responses of about the last three months.
    first_month = min(month_of(rolling_start(today)), f"{today.year}-{max(1, today.month - 2):02d}")
    recent = [
        r["answers"]
        for y in sorted(facts)
        for r in facts[y].responses
        if str(r.get("month", "")) >= first_month
    ][-rules.ikm_last_responses :]
    result = ikm_of(recent, policy)
    ikm_low = (
        result.category
        if result is not None
        and len(recent) >= rules.ikm_last_responses
        and result.category in ("C", "D")
        else None
    )
    hasil = year_doc["hasil_kerja"]
    pace = policy.targets.pace_warning_percent * hasil["year_elapsed"]
    slow = [
        i["indicator_id"]
        for i in hasil["indicators"]
        if i["polarity"] == "higher_is_better" and i["achievement_percent"] < pace
    ]
    rolling = evaluated[ROLLING].predikat
    weak = rolling.value if rolling in WEAK_PREDICATES else None
    return AlertInput(drafts, Conditions(ikm_low, slow, weak))


def with_people(alerts: AlertInput, employee: EmployeeRef) -> AlertInput:
    return AlertInput(alerts.drafts, alerts.conditions, employee.unit_code, employee.supervisor_nip)


def _responses(facts: Mapping[int, YearFacts], p: Period) -> list[dict[str, Any]]:
    months = set(p.months())
    return [r for y in sorted(facts) for r in facts[y].responses if r.get("month") in months]


def _ikm_tallies(responses: Sequence[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    tallies: dict[tuple[str, str], IkmTally] = {}
    for r in responses:
        tallies.setdefault((r["unit_code"], r["desk_id"]), IkmTally()).add(r["answers"])
    return {k: asdict(t) for k, t in tallies.items()}


def ikm_of_tallies(tallies: Iterable[Mapping[str, Any]], policy: Policy) -> IkmResult | None:
    """The IKM of several employees' tallies together (sums and counts add up)."""
    total = IkmTally(0, {}, {})
    for t in tallies:
        total.responses += int(t.get("responses", 0))
        for e in (*ELEMENTS, OVERALL):
            for part in ("sums", "counts"):
                src, dst = t.get(part) or {}, getattr(total, part)
                if e in src:
                    dst[e] = dst.get(e, 0) + src[e]
    return ikm(total, policy)


def _indicators(
    facts: Mapping[int, YearFacts], p: Period, elapsed: float, policy: Policy, tz: ZoneInfo
) -> list[dict[str, Any]]:
    year = facts.get(p.end.year)
    cutoff = time_key(datetime.combine(p.end, time.max, tz), "~")
    out = []
    for meta in year.indicators if year else ():
        figures = [f for k, f in meta["figures"] if k <= cutoff]
        if not figures:
            continue
        t = figures[-1]  # the latest figure by event time decides, its main flag too
        higher = meta["polarity"] == "higher_is_better"
        achievement = achievement_percent(t["target"], t["realized"], higher)
        out.append(
            {
                **{k: meta[k] for k in ("skp_id", "indicator_id", "indicator", "polarity")},
                "target": t["target"],
                "realized": t["realized"],
                "main": bool(t.get("main", False)),
                "status": indicator_status(achievement, elapsed, higher, policy).value,
                "achievement_percent": display_percent(achievement, policy),
            }
        )
    return out


def _evaluation(
    p: Period,
    facts: Mapping[int, YearFacts],
    employee: EmployeeRef,
    calendar: CalendarView,
    judged: Sequence[DayStanding],
    policy: Policy,
    tz: ZoneInfo,
    today: date,
) -> tuple[dict[str, Any], Evaluation]:
    period_days = [s for s in judged if p.start <= s.date <= p.end]
    new_year = date(p.end.year, 1, 1)
    ytd = [s for s in judged if new_year <= s.date <= p.end]
    december_before = [s for s in judged if date(p.end.year - 1, 12, 1) <= s.date < new_year]
    ikm_result = ikm_of((r["answers"] for r in _responses(facts, p)), policy)
    elapsed = _year_elapsed(p, today)
    indicators = _indicators(facts, p, elapsed, policy, tz)
    rating = hasil_kerja([(IndicatorStatus(i["status"]), i["main"]) for i in indicators])
    lead = _lead_of(employee, p)
    if lead is not None:
        rating = HEAD_RATING[lead.predicate]
    supervisor, decided = _rated(facts.get(p.end.year), p)
    # PP 30/2019 Pasal 59: a rating the reviewer of an objection set is final.
    rating = _overridden(rating, decided, "hasil_kerja")
    behaviour = _overridden(
        Rating(supervisor["rating"]) if supervisor else None, decided, "perilaku_kerja"
    )
    work = employee.work_schedule(policy)
    schedule_name, schedule = "; ".join(work.names()), work.on(min(p.end, today))
    ev = evaluate(
        p.name,
        p.start,
        p.end,
        period_days,
        ytd,
        ikm_result,
        rating,
        behaviour,
        schedule,
        policy,
        p.monthly,
        december_before,
        schedule_name,
    )
    doc = _evaluation_doc(p, ev, employee, calendar, period_days, ikm_result, indicators, elapsed)
    if p.monthly:
        doc.update(_first_path(employee.nip, p, facts, tz))
    _explain(doc, supervisor, decided, lead)
    corrections = _corrections(facts, p)
    if corrections:  # the rare case: most documents never carry the key
        doc["corrections"] = corrections
    doc["as_of"] = today.isoformat()
    return doc, ev


def _corrections(facts: Mapping[int, YearFacts], p: Period) -> list[dict[str, Any]]:
    """The administrators' voids of punches on the period's days: what was left out, and why."""
    return [
        {
            "day": c["day"],
            "punch_at": c["punch_at"].isoformat(),
            "reason": c["reason"],
            "voided_by": c["voided_by"],
            "voided_event_id": c["voided_event_id"],
        }
        for year in sorted(facts)
        for c in facts[year].voids
        if p.start <= date.fromisoformat(c["day"]) <= p.end
    ]


def _year_elapsed(p: Period, today: date) -> float:
    """The share of the period's year gone by at its end (or today, if sooner)."""
    year_days = (date(p.end.year, 12, 31) - date(p.end.year, 1, 1)).days + 1
    return ((min(p.end, today) - date(p.end.year, 1, 1)).days + 1) / year_days


def _explain(
    doc: dict[str, Any],
    supervisor: Mapping[str, Any] | None,
    decided: Mapping[str, Any] | None,
    lead: UnitLead | None,
) -> None:
    """Who rated, the decision on an objection, and the unit a head's Hasil Kerja follows."""
    doc["perilaku_kerja"].update(
        {k: supervisor[k] for k in ("rated_by", "justification")} if supervisor else {}
    )
    if decided is not None:
        doc["keberatan"] = _objection_doc(decided)
    if lead is not None:
        doc["hasil_kerja"]["unit_head"] = {
            "unit_code": lead.unit_code,
            "org_predicate": lead.predicate.value,
            "source": lead.source,
            "rule": "PermenPANRB 6/2022: the head's Hasil Kerja follows the unit's predicate",
        }


def _rated(
    year: YearFacts | None, p: Period
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The supervisor's latest rating of the period, and the decision on an objection to it."""
    versions = year.ratings.get(p.name, ()) if year else ()
    decisions = year.decisions.get(p.name, ()) if year else ()
    return (versions[-1] if versions else None), (decisions[-1] if decisions else None)


def _overridden(
    current: Rating | None, decided: Mapping[str, Any] | None, key: str
) -> Rating | None:
    value = decided.get(key) if decided else None
    return Rating(value) if value else current


def _objection_doc(d: Mapping[str, Any]) -> dict[str, Any]:
    """What the evaluation says of the decision on the employee's objection."""
    return {
        "objection_id": d["objection_id"],
        "outcome": d["outcome"],
        "hasil_kerja": d.get("hasil_kerja"),
        "perilaku_kerja": d.get("perilaku_kerja"),
        "reasons": d["reasons"],
        "reviewer_nip": d["reviewer_nip"],
        "filed_at": d["filed_at"],
        "decided_at": d["occurred_at"],
        "rule": "PP 30/2019 Pasal 59: the appraiser's superior decides, and it is final",
    }


def _lead_of(employee: EmployeeRef, p: Period) -> UnitLead | None:
    """The unit the employee headed in the year of ``p``, for the annual evaluation only (the
    organisational predicate is the year's)."""
    if p.name != str(p.end.year):
        return None
    return next((lead for lead in employee.leads if lead.year == p.end.year), None)


def _evaluation_doc(
    p: Period,
    ev: Evaluation,
    employee: EmployeeRef,
    calendar: CalendarView,
    period_days: Sequence[DayStanding],
    ikm_result: IkmResult | None,
    indicators: list[dict[str, Any]],
    elapsed: float,
) -> dict[str, Any]:
    return {
        "nip": employee.nip,
        "period": p.name,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "employee": {
            "known": employee.known,
            "unit_code": employee.unit_code,
            "schedule": ev.schedule_name,
            "name": employee.name,
            "position": employee.position,
        },
        "calendar": {
            "closed_days": sorted(d.isoformat() for d in calendar.closed if p.start <= d <= p.end),
            "holidays": sorted(d.isoformat() for d in calendar.holidays if p.start <= d <= p.end),
        },
        "attendance": _attendance_doc(ev),
        "tpp_disiplin_deduction_percent": ev.tpp.percent if ev.tpp else None,
        "discipline": {
            "level": ev.discipline.level,
            "sanction": ev.discipline.sanction,
            "counted_days": ev.discipline.counted_days,
            "unexcused_days": ev.discipline.unexcused_days,
            "longest_run": ev.discipline.longest_run,
            "reason": ev.discipline.reason,
        },
        "ikm": None if ikm_result is None else _ikm_doc(ikm_result),
        "hasil_kerja": {
            "rating": ev.hasil_kerja.value if ev.hasil_kerja else None,
            "year_elapsed": round(elapsed, 4),
            "indicators": indicators,
        },
        "perilaku_kerja": {"rating": ev.perilaku_kerja.value, "proposal": ev.perilaku_is_proposal},
        "predikat": ev.predikat.value if ev.predikat else None,
        "policy_version": ev.policy_version,
        # Shallow on purpose: the evidence is plain data already, and a deep copy (asdict) was
        # half the cost of a projection.
        "evidence": [
            {
                "rule": e.rule,
                "inputs": e.inputs,
                "result": e.result,
                "policy_version": ev.policy_version,
            }
            for e in ev.evidence
        ],
        "standings": [_standing_doc(s) for s in period_days]
        if p.monthly or p.name == ROLLING
        else None,
    }


def _attendance_doc(ev: Evaluation) -> dict[str, Any]:
    return {
        "working_days_judged": ev.working_days_judged,
        "hadir": ev.hadir,
        "izin": ev.izin,
        "tanpa_keterangan": ev.tanpa_keterangan,
        "tl_psw_days": ev.tl_psw_days,
        "late_minutes": ev.late_minutes,
        "early_minutes": ev.early_minutes,
        "categories": ev.categories,
    }


def _ikm_doc(r: IkmResult) -> dict[str, Any]:
    return {
        "responses": r.responses,
        "index": r.index,
        "converted": r.converted,
        "category": r.category,
        "label": r.label,
        "final": r.final,
    }


def _standing_doc(s: DayStanding) -> dict[str, Any]:
    return {
        "date": s.date.isoformat(),
        "status": s.status.value,
        "late_minutes": s.late_minutes,
        "tl": s.tl,
        "early_minutes": s.early_minutes,
        "psw": s.psw,
    }


def _first_path(
    nip: str, p: Period, facts: Mapping[int, YearFacts], tz: ZoneInfo
) -> dict[str, Any]:
    """The month figures of the first path (days with a check-in, first check-in per day)."""
    year = facts.get(p.start.year)
    days = {d: r for d, r in (year.days.items() if year else ()) if p.start <= d <= p.end}
    month = month_attendance(
        nip,
        p.name,
        {f"{d.day:02d}": r.first_in for d, r in days.items() if r.first_in},
        {f"{d.day:02d}": r.last_out for d, r in days.items() if r.last_out},
        year.events_in([p.name]) if year else 0,
        tz,
    )
    return {
        "days_with_check_in": month.days_with_check_in,
        "events_counted": month.events_counted,
        "days": [
            {
                "date": d.date.isoformat(),
                "first_check_in": d.first_check_in.isoformat() if d.first_check_in else None,
                "last_check_out": d.last_check_out.isoformat() if d.last_check_out else None,
            }
            for d in month.days
        ],
    }


def _member(employee: EmployeeRef, ev: Evaluation) -> dict[str, Any]:
    """The employee's line in the unit's summary: what a team list shows, sorts and filters by."""
    return {
        "nip": employee.nip,
        "name": employee.name,
        "position": employee.position,
        "unit_code": employee.unit_code,
        "supervisor_nip": employee.supervisor_nip,
        "predikat": ev.predikat.value if ev.predikat else None,
        "hasil_kerja": ev.hasil_kerja.value if ev.hasil_kerja else None,
        "perilaku_kerja": ev.perilaku_kerja.value,
        "perilaku_is_proposal": ev.perilaku_is_proposal,
        "discipline_level": ev.discipline.level,
        "discipline_reason": ev.discipline.reason,
        "hadir": ev.hadir,
        "tanpa_keterangan": ev.tanpa_keterangan,
        "tl_psw_days": ev.tl_psw_days,
        "working_days_judged": ev.working_days_judged,
        "tpp_disiplin_deduction_percent": ev.tpp.percent if ev.tpp else None,
        "ikm_category": ev.ikm.category if ev.ikm else None,
        "ikm_responses": ev.ikm.responses if ev.ikm else 0,
    }


def rolling_start(today: date) -> date:
    return today - timedelta(days=29)
