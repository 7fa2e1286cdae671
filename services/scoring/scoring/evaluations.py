"""Composes an employee's evaluation from the stores and the pure domain (an application
service: the API and the alert checks both use it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from scoring.domain.calendar import DayStanding
from scoring.domain.evaluation import DayFacts, Evaluation, evaluate, standings
from scoring.domain.ikm import IkmResult, ikm_of
from scoring.domain.performance import (
    IndicatorStatus,
    Rating,
    achievement_percent,
    display_percent,
    hasil_kerja,
    indicator_status,
)
from scoring.domain.periods import Period
from scoring.domain.policy import Policy
from scoring.store import BehaviourStore, FiguresStore, ReferenceStore, ScoringStore


def _facts(docs: list[dict[str, Any]]) -> dict[date, DayFacts]:
    facts: dict[date, DayFacts] = {}
    for doc in docs:
        year, month = (int(x) for x in doc["period"].split("-"))
        for dd, day in doc.get("days", {}).items():
            facts[date(year, month, int(dd))] = DayFacts(
                day.get("first_in"), day.get("last_out"), bool(day.get("excused"))
            )
    return facts


@dataclass(frozen=True)
class EvaluationView:
    evaluation: Evaluation
    period: Period
    docs: list[dict[str, Any]]
    employee: dict[str, Any] | None
    schedule_name: str
    closed: frozenset[date]
    holidays: frozenset[date]
    period_days: list[DayStanding]
    ikm: IkmResult | None
    indicators: list[dict[str, Any]]
    year_elapsed: float
    supervisor_rating: dict[str, Any] | None


class Evaluator:
    def __init__(
        self,
        store: ScoringStore,
        reference: ReferenceStore,
        figures: FiguresStore,
        behaviour: BehaviourStore,
        policy: Policy,
        tz: ZoneInfo,
    ) -> None:
        self._behaviour = behaviour
        self._store = store
        self._reference = reference
        self._figures = figures
        self._policy = policy
        self._tz = tz

    @property
    def policy(self) -> Policy:
        return self._policy

    async def employee_ratings(self, nip: str, months: list[str]) -> list[dict[str, int]]:
        """The responses about ``nip`` in ``months``, oldest first."""
        return await self._figures.ratings([f"emp:{nip}:{m}" for m in months])

    async def desk_ratings(self, unit_code: str, p: Period) -> dict[str, list[dict[str, int]]]:
        return await self._figures.desks(unit_code, p.months())

    async def unit_ratings(self, unit_code: str, p: Period) -> list[dict[str, int]]:
        return await self._figures.ratings([f"unit:{unit_code}:{m}" for m in p.months()])

    async def evaluate(self, nip: str, p: Period, today: date) -> EvaluationView | None:
        """None when scoring knows nothing of ``nip`` (no events, no reference data)."""
        store, reference, figures, policy, tz = (
            self._store,
            self._reference,
            self._figures,
            self._policy,
            self._tz,
        )
        # Discipline counts the calendar year up to the period's end.
        ytd = Period("ytd", date(p.end.year, 1, 1), p.end, monthly=False)
        months = sorted(set(ytd.months()) | set(p.months()))
        docs = await store.months(nip, months)
        employee = await reference.employee(nip)
        if not docs and employee is None:
            return None
        calendar = await reference.calendar(min(p.start, ytd.start).isoformat(), p.end.isoformat())
        holidays = frozenset(date.fromisoformat(c["_id"]) for c in calendar if c.get("holiday"))
        closed = frozenset(date.fromisoformat(c["_id"]) for c in calendar if c.get("closed"))
        schedule_name = (employee or {}).get("schedule", "standar")
        schedule = policy.schedules.get(schedule_name, policy.schedules["standar"])
        facts = _facts(docs)
        period_days = standings(p.start, p.end, facts, closed, schedule, holidays, tz, policy)
        ytd_days = standings(ytd.start, ytd.end, facts, closed, schedule, holidays, tz, policy)
        responses = await figures.ratings([f"emp:{nip}:{m}" for m in p.months()])
        ikm_result = ikm_of(responses, policy)
        as_of = min(p.end, today)
        year_days = (date(p.end.year, 12, 31) - date(p.end.year, 1, 1)).days + 1
        elapsed = ((as_of - date(p.end.year, 1, 1)).days + 1) / year_days
        indicators = []
        until = datetime.combine(p.end, time.max, tz)
        for t in await figures.targets(nip, p.end.year, until):
            higher = t["polarity"] == "higher_is_better"
            achievement = achievement_percent(t["target"], t["realized"], higher)
            status = indicator_status(achievement, elapsed, higher, policy)
            shown = {
                k: t[k]
                for k in ("skp_id", "indicator_id", "indicator", "target", "realized", "polarity")
            }
            shown["main"] = bool(t.get("main", False))  # the latest figure's flag decides
            indicators.append(
                {
                    **shown,
                    "status": status.value,
                    "achievement_percent": display_percent(achievement, policy),
                }
            )
        rating = hasil_kerja([(IndicatorStatus(i["status"]), i["main"]) for i in indicators])
        supervisor = await self._behaviour.latest(nip, p.name)
        ev = evaluate(
            p.name,
            p.start,
            p.end,
            period_days,
            ytd_days,
            ikm_result,
            rating,
            Rating(supervisor["rating"]) if supervisor else None,
            schedule,
            policy,
            p.monthly,
        )
        return EvaluationView(
            ev,
            p,
            docs,
            employee,
            schedule_name,
            closed,
            holidays,
            period_days,
            ikm_result,
            indicators,
            elapsed,
            supervisor,
        )
