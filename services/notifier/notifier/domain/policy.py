"""Silences, inhibition, retry backoff and the working-day clock of escalation (pure)."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime

from notifier.domain.routing import InhibitRule, Matcher, all_match


@dataclass(frozen=True)
class Silence:
    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def mutes(self, labels: dict[str, str], now: datetime) -> bool:
        return self.active(now) and all_match(self.matchers, labels)


def silenced_by(labels: dict[str, str], silences: Iterable[Silence], now: datetime) -> str | None:
    """The id of the first active silence muting these labels."""
    return next((s.id for s in silences if s.mutes(labels, now)), None)


def inhibition_sources(labels: dict[str, str], rules: Sequence[InhibitRule]) -> list[str]:
    """The keys under which a notice with ``labels`` mutes others: one per rule it is a source
    of, naming the rule and the values of its ``equal`` labels."""
    return [
        _inhibition_key(i, rule, labels)
        for i, rule in enumerate(rules)
        if all_match(rule.source, labels)
    ]


def inhibition_targets(labels: dict[str, str], rules: Sequence[InhibitRule]) -> list[str]:
    """The keys a notice with ``labels`` is muted by, if any source holds one (never by itself:
    a notice that is also its rule's source is not its target)."""
    return [
        _inhibition_key(i, rule, labels)
        for i, rule in enumerate(rules)
        if all_match(rule.target, labels) and not all_match(rule.source, labels)
    ]


def _inhibition_key(index: int, rule: InhibitRule, labels: dict[str, str]) -> str:
    return "|".join([f"rule{index}", *(f"{k}={labels.get(k, '')}" for k in rule.equal)])


#: HTTP statuses worth retrying: the receiver is overloaded or briefly broken.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


def retry_after_s(header: str | None, now: datetime) -> float | None:
    """A Retry-After header (seconds or an HTTP date) as seconds from ``now``."""
    if not header:
        return None
    header = header.strip()
    if header.isdigit():
        return float(header)
    try:
        at = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (at - now).total_seconds())


def backoff_s(
    attempt: int,
    base_s: float,
    cap_s: float,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with full jitter; a receiver's Retry-After is a floor, still capped."""
    ceiling = min(cap_s, base_s * 2 ** max(0, attempt - 1))
    wait = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        wait = max(wait, min(retry_after, cap_s))
    return wait


def add_working_days(start: datetime, days: int, holidays: frozenset[date]) -> datetime:
    """``start`` moved ``days`` working days on (Monday to Friday, holidays skipped), same clock
    time; escalation counts the supervisor's working days, not calendar days."""
    at = start
    left = days
    while left > 0:
        at += timedelta(days=1)
        if at.weekday() < 5 and at.date() not in holidays:
            left -= 1
    return at
