"""PP 94/2021 discipline for working hours, and the monthly TPP disiplin deduction (pure).

Unexcused absence days are counted per calendar year; with ``convert_minutes_to_days`` late and
early-leave minutes add whole days (7.5 h = 1 day by default). Ten consecutive unexcused working
days lead to the dismissal level at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scoring.domain.calendar import DayStanding, DayStatus
from scoring.domain.policy import Policy


@dataclass(frozen=True, slots=True)
class DisciplineOutcome:
    unexcused_days: int
    minutes_late_or_early: int
    converted_days: int
    counted_days: int
    longest_run: int
    level_index: int  # 0: none; 1.. the policy's levels in order
    level: str | None  # ringan, sedang, berat
    sanction: str | None
    reason: str


def longest_unexcused_run(standings: Sequence[DayStanding], carried: int = 0) -> int:
    """Consecutive unexcused working days (days that are not working days do not break a run);
    ``carried``: the days of a run under way when ``standings`` begin."""
    best, current = 0, carried
    for s in sorted(standings, key=lambda s: s.date):
        if s.status is DayStatus.LIBUR:
            continue
        current = current + 1 if s.status is DayStatus.TANPA_KETERANGAN else 0
        best = max(best, current)
    return best


def run_carried_in(before: Sequence[DayStanding], dismissal_days: int) -> int:
    """The unexcused working days that end ``before`` (the December before the year) in a run.

    PP 94/2021 counts the cumulative days within a calendar year, but ten *consecutive* working
    days are not bounded by the year: a run from 21 December to 5 January is one run. A run
    that had already reached the dismissal count before New Year was judged in its own year,
    so it is not carried."""
    run = 0
    for s in sorted(before, key=lambda s: s.date, reverse=True):
        if s.status is DayStatus.LIBUR:
            continue
        if s.status is not DayStatus.TANPA_KETERANGAN:
            break
        run += 1
    return run if run < dismissal_days else 0


def discipline(
    standings: Sequence[DayStanding], policy: Policy, before: Sequence[DayStanding] = ()
) -> DisciplineOutcome:
    """``standings``: the year to date; ``before``: the December before it (for a run only)."""
    rules = policy.discipline
    unexcused = sum(1 for s in standings if s.status is DayStatus.TANPA_KETERANGAN)
    minutes = sum(
        s.late_minutes + s.early_minutes for s in standings if s.status is DayStatus.HADIR
    )
    converted = minutes // rules.minutes_per_day if rules.convert_minutes_to_days else 0
    counted = unexcused + converted
    carried = run_carried_in(before, rules.consecutive_days_dismissal)
    run = longest_unexcused_run(standings, carried)
    index = 0
    for i, lv in enumerate(rules.levels, start=1):
        if counted >= lv.from_days:
            index = i
    reason = f"{unexcused} day(s) without a valid reason"
    if converted:
        reason += f" + {converted} day(s) from {minutes} minutes late/early"
    if run >= rules.consecutive_days_dismissal:
        index = len(rules.levels)
        reason = f"{run} consecutive working days without a valid reason"
        if carried:
            reason += f" ({carried} of them in the December before)"
    level = rules.levels[index - 1] if index else None
    return DisciplineOutcome(
        unexcused,
        minutes,
        converted,
        counted,
        run,
        index,
        level.level if level else None,
        level.sanction if level else None,
        reason,
    )


@dataclass(frozen=True, slots=True)
class TppDeduction:
    percent: float
    by_category: dict[str, int]  # days per TL/PSW category
    unexcused_days: int
    capped: bool


def tpp_deduction(month: Iterable[DayStanding], policy: Policy) -> TppDeduction:
    """Sum of the month's per-day deductions (TL, PSW, unexcused absence), capped."""
    rules = policy.tpp
    counts: dict[str, int] = {}
    unexcused = 0
    for s in month:
        if s.status is DayStatus.TANPA_KETERANGAN:
            unexcused += 1
        for cat in (s.tl, s.psw):
            if cat is not None:
                counts[cat] = counts.get(cat, 0) + 1
    total = sum(rules.deduction_percent[c] * n for c, n in counts.items())
    total += rules.unexcused_absence_percent * unexcused
    total = round(total, 4)
    return TppDeduction(min(total, rules.cap_percent), counts, unexcused, total > rules.cap_percent)
