"""When scoring raises an alert, and with which deterministic id (pure): once per crossing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scoring.domain.calendar import DayStanding
from scoring.domain.discipline import DisciplineOutcome


@dataclass(frozen=True)
class AlertDraft:
    alert_id: str
    type: str
    period: str
    title: str
    reasons: list[str]
    level: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)


def discipline_alerts(nip: str, year: int, outcome: DisciplineOutcome) -> list[AlertDraft]:
    """One alert per level reached: the id names the level, so each crossing fires once."""
    if outcome.level_index == 0:
        return []
    return [
        AlertDraft(
            alert_id=f"discipline:{nip}:{year}:{outcome.level_index}",
            type="discipline.threshold_crossed",
            period=str(year),
            title=f"Disiplin: {outcome.sanction}",
            reasons=[outcome.reason],
            level=outcome.level,
            evidence={
                "rule": "discipline.pp94_2021",
                "counted_days": outcome.counted_days,
                "unexcused_days": outcome.unexcused_days,
                "converted_days": outcome.converted_days,
                "longest_run": outcome.longest_run,
            },
        )
    ]


def tl_psw_week_alerts(nip: str, days: Sequence[DayStanding], threshold: int) -> list[AlertDraft]:
    """Early warning: ``threshold`` or more days late or leaving early in one ISO week."""
    weeks: dict[tuple[int, int], list[DayStanding]] = {}
    for s in days:
        if s.tl or s.psw:
            iso = s.date.isocalendar()
            weeks.setdefault((iso.year, iso.week), []).append(s)
    alerts = []
    for (year, week), hits in sorted(weeks.items()):
        if len(hits) >= threshold:
            alerts.append(
                AlertDraft(
                    alert_id=f"coaching:tl_psw:{nip}:{year}-W{week:02d}",
                    type="coaching.needed",
                    period=f"{year}-W{week:02d}",
                    title="Perlu pembinaan: sering terlambat atau pulang cepat",
                    reasons=[f"{len(hits)} days late or leaving early in week {week} of {year}"],
                    evidence={
                        "rule": "early_warning.tl_psw_week",
                        "threshold": threshold,
                        "days": [
                            {"date": h.date.isoformat(), "tl": h.tl, "psw": h.psw} for h in hits
                        ],
                    },
                )
            )
    return alerts


@dataclass(frozen=True)
class Conditions:
    """Early-warning conditions that come and go (rolling figures): an alert fires when one
    becomes true, and again only after it was false in between."""

    ikm_low: str | None  # the category of the last responses, when C or D
    slow_targets: list[str]  # indicators below the pace threshold
    weak_predicate: str | None = None  # the rolling 30 days' predicate, Butuh Perbaikan or worse


def early_warnings(
    nip: str, today: date, conditions: Conditions, active: set[str]
) -> tuple[list[AlertDraft], set[str]]:
    """Alerts for conditions that became true since ``active`` was recorded; the new set."""
    now: dict[str, AlertDraft] = {}
    if conditions.ikm_low is not None:
        now["ikm"] = AlertDraft(
            alert_id=f"coaching:ikm:{nip}:{today.isoformat()}",
            type="coaching.needed",
            period=today.isoformat(),
            title="Perlu pembinaan: kepuasan masyarakat rendah",
            reasons=[f"IKM category {conditions.ikm_low} over the last responses"],
            evidence={"rule": "early_warning.ikm_last_responses", "category": conditions.ikm_low},
        )
    if conditions.slow_targets:
        now["targets"] = AlertDraft(
            alert_id=f"coaching:targets:{nip}:{today.isoformat()}",
            type="coaching.needed",
            period=today.isoformat(),
            title="Perlu pembinaan: capaian target tertinggal",
            reasons=[f"{len(conditions.slow_targets)} indicator(s) below the expected pace"],
            evidence={"rule": "early_warning.target_pace", "indicators": conditions.slow_targets},
        )
    if conditions.weak_predicate is not None:
        now["predicate"] = AlertDraft(
            alert_id=f"coaching:predicate:{nip}:{today.isoformat()}",
            type="coaching.needed",
            period=today.isoformat(),
            title="Perlu pembinaan: predikat 30 hari terakhir",
            reasons=[f"the last 30 days' predicate is {conditions.weak_predicate}"],
            evidence={
                "rule": "early_warning.rolling_predicate",
                "predicate": conditions.weak_predicate,
            },
        )
    fresh = [draft for key, draft in now.items() if key not in active]
    return fresh, set(now)
