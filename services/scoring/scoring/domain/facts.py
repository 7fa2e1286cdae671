"""An employee's facts of one calendar year (pure): what the events said, folded so that order,
repetition and redelivery change nothing.

Scoring keeps one document of facts per employee and month (``<nip>:<YYYY-MM>``): the attendance
of each local day, the citizens' responses, the SKP target figures and the supervisors' ratings.
The twelve months of a year, read by ``_id`` in one command, give everything an evaluation of any
period of that year needs (``year_doc`` joins them). A month, not a year: a write rewrites the
whole document on FerretDB (an upsert of a year's 24 KB ran at 230/s here, a month's 2 KB at
1,100/s) and a month stays small at any scale.

A batch of events becomes one ``FactsDelta`` per employee and month. Every part of it combines by
``min`` (earliest check-in), ``max`` (latest check-out), set-union (event ids, excused days,
voided punches) or a set under a key unique to the event (punches, responses, figures,
ratings): applying it twice, or deltas in any order, gives the same facts.

A day's evidence (``ev``, a set) holds each punch as ``<event id>|<i, o or u>|<epoch ms>`` (in,
out, either) beside the extremes, so that an administrator's void (``attendance.voided``) can
take one punch out: a day with a voided punch is read from its punches, without the voided
ones, whatever the order in which the punch and its void arrived. One string per punch in the
set the day already had: a map keyed by event id cost FerretDB a third of its write rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kinerja_shared.events import (
    AttendanceVoidedEvent,
    BehaviourRatedEvent,
    ObjectionDecidedEvent,
    ServiceRatedEvent,
    TargetProgressedEvent,
)
from kinerja_shared.periods import period_months
from scoring.domain.attendance import ExcuseMark, PartialExcuse, Punch, month_of

#: How many event ids one day keeps as evidence. Real days have a handful of punches; the cap
#: keeps a misbehaving device from growing a document without bound (the times still count).
MAX_EVENT_IDS_PER_DAY = 48


def day_key(day: date) -> str:
    """``MMDD``: a field name for a day of the year's document."""
    return f"{day.month:02d}{day.day:02d}"


def time_key(at: datetime, event_id: str) -> str:
    """A field name that sorts by event time, unique to the event (no dots: they split paths)."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}_{event_id}"


def field_key(code: str) -> str:
    """A code as a field name: codes may hold dots, never ``%``, so this is one-to-one."""
    return code.replace(".", "%")


def month_within(year: int, day: date) -> int:
    """The month of ``year`` a fact of ``day`` is kept in: its own, or the year's first or last
    month when it belongs to a year it did not happen in (a target of 2026 reported in 2027)."""
    if day.year == year:
        return day.month
    return 12 if day.year > year else 1


@dataclass(slots=True)
class FactsDelta:
    """Everything one batch adds to one employee-month (one write per document)."""

    nip: str
    year: int
    month: int
    first_in: dict[str, datetime] = field(default_factory=dict)  # MMDD → earliest check-in
    last_out: dict[str, datetime] = field(default_factory=dict)  # MMDD → latest check-out
    # The other two extremes, for night shifts: the evening's check-in and the morning's out.
    last_in: dict[str, datetime] = field(default_factory=dict)  # MMDD → latest check-in
    first_out: dict[str, datetime] = field(default_factory=dict)  # MMDD → earliest check-out
    excused: set[str] = field(default_factory=set)  # MMDD of days with a valid reason
    late_until: dict[str, datetime] = field(default_factory=dict)  # MMDD → arrive-late permit
    early_from: dict[str, datetime] = field(default_factory=dict)  # MMDD → leave-early permit
    event_ids: dict[str, set[str]] = field(default_factory=dict)  # MMDD → ids (evidence)
    # MMDD → event id → (i | o | u, instant): each punch, so a void can take one out
    punches: dict[str, dict[str, tuple[str, datetime]]] = field(default_factory=dict)
    voided: dict[str, set[str]] = field(default_factory=dict)  # MMDD → voided punches' ids
    voids: dict[str, dict[str, Any]] = field(default_factory=dict)  # voided id → the correction
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)  # time key → response
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)  # indicator → meta, figures
    ratings: dict[str, dict[str, Any]] = field(default_factory=dict)  # period → time key → rating
    # period → time key → the decision on an objection (keberatan): final for the period
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)
    months: set[str] = field(default_factory=set)  # YYYY-MM touched (what to evaluate again)


class Deltas:
    """Folds a batch's events into one ``FactsDelta`` per (nip, year, month)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self._tz = tz
        self._by_key: dict[tuple[str, int, int], FactsDelta] = {}

    def _delta(self, nip: str, year: int, day: date) -> FactsDelta:
        month = month_within(year, day)
        return self._by_key.setdefault((nip, year, month), FactsDelta(nip, year, month))

    def _note_event(self, d: FactsDelta, day: date, event_id: str) -> None:
        ids = d.event_ids.setdefault(day_key(day), set())
        if len(ids) < MAX_EVENT_IDS_PER_DAY:
            ids.add(event_id)
        d.months.add(month_of(day))

    def punch(self, p: Punch) -> None:
        day = date(int(p.period[:4]), int(p.period[5:]), int(p.day))
        d, key = self._delta(p.nip, day.year, day), day_key(day)
        d.months.add(month_of(day))
        kept = d.punches.setdefault(key, {})
        if len(kept) < MAX_EVENT_IDS_PER_DAY:  # kept in ``ev`` with its direction and time
            kept[p.event_id] = (_punch_kind(p), p.at)
        if p.counts_as_check_in:
            d.first_in[key] = min(p.at, d.first_in.get(key, p.at))
            d.last_in[key] = max(p.at, d.last_in.get(key, p.at))
        if p.counts_as_check_out:
            d.last_out[key] = max(p.at, d.last_out.get(key, p.at))
            d.first_out[key] = min(p.at, d.first_out.get(key, p.at))

    def void(self, e: AttendanceVoidedEvent) -> None:
        """An administrator's correction: the punch leaves its day, the record of why stays,
        one per punch (the same correction sent again, or a second, states the latest reason)."""
        v = e.payload
        day = v.punch_at.astimezone(self._tz).date()
        d, key = self._delta(e.nip, day.year, day), day_key(day)
        d.voided.setdefault(key, set()).add(v.voided_event_id)
        d.voids[field_key(v.voided_event_id)] = {
            "voided_event_id": v.voided_event_id,
            "punch_at": v.punch_at,
            "day": day.isoformat(),
            "reason": v.reason,
            "voided_by": v.voided_by,
            "event_id": e.event_id,
            "occurred_at": e.occurred_at,
        }
        d.months.add(month_of(day))

    def excuse(self, e: ExcuseMark) -> None:
        day = date(int(e.period[:4]), int(e.period[5:]), int(e.day))
        d = self._delta(e.nip, day.year, day)
        self._note_event(d, day, e.event_id)
        d.excused.add(day_key(day))

    def partial(self, e: PartialExcuse) -> None:
        """A partial-day permission: the latest arrival and the earliest leaving permitted."""
        d, key = self._delta(e.nip, e.day.year, e.day), day_key(e.day)
        self._note_event(d, e.day, e.event_id)
        if e.late_until is not None:
            d.late_until[key] = max(e.late_until, d.late_until.get(key, e.late_until))
        if e.early_from is not None:
            d.early_from[key] = min(e.early_from, d.early_from.get(key, e.early_from))

    def rating(self, e: ServiceRatedEvent) -> None:
        local = e.occurred_at.astimezone(self._tz)
        d = self._delta(e.nip, local.year, local.date())
        d.responses[time_key(e.occurred_at, e.event_id)] = {
            "answers": {k.value: v for k, v in e.payload.ratings.items()},
            "unit_code": e.payload.unit_code,
            "desk_id": e.payload.desk_id,
            "month": month_of(local.date()),
        }
        d.months.add(month_of(local.date()))

    def progress(self, e: TargetProgressedEvent) -> None:
        p = e.payload
        d = self._delta(e.nip, p.period, e.occurred_at.astimezone(self._tz).date())
        entry = d.figures.setdefault(
            field_key(f"{p.skp_id}|{p.indicator_id}"),
            {
                "skp_id": p.skp_id,
                "indicator_id": p.indicator_id,
                "indicator": p.indicator,
                "polarity": p.polarity.value,
                "figures": {},
            },
        )
        entry["figures"][time_key(e.occurred_at, e.event_id)] = {
            "target": p.target,
            "realized": p.realized,
            "main": p.main,
            "event_id": e.event_id,
            "occurred_at": e.occurred_at,
        }
        # A target figure moves the Hasil Kerja of every month of its year from here on.
        d.months.add(month_of(e.occurred_at.astimezone(self._tz).date()))

    def behaviour(self, e: BehaviourRatedEvent) -> None:
        period = e.payload.period
        d = self._delta(e.nip, int(period[:4]), e.occurred_at.astimezone(self._tz).date())
        d.ratings.setdefault(period, {})[time_key(e.occurred_at, e.event_id)] = {
            "rating": e.payload.rating.value,
            "rated_by": e.payload.rated_by,
            "justification": e.payload.justification,
            "event_id": e.event_id,
            "occurred_at": e.occurred_at,
        }
        d.months.update(period_months(period))

    def decision(self, e: ObjectionDecidedEvent) -> None:
        p = e.payload
        d = self._delta(e.nip, int(p.period[:4]), e.occurred_at.astimezone(self._tz).date())
        d.decisions.setdefault(p.period, {})[time_key(e.occurred_at, e.event_id)] = {
            **p.model_dump(mode="json", exclude={"filed_at"}),
            "filed_at": p.filed_at,
            "event_id": e.event_id,
            "occurred_at": e.occurred_at,
        }
        d.months.update(period_months(p.period))

    def result(self) -> list[FactsDelta]:
        return list(self._by_key.values())


def _punch_kind(p: Punch) -> str:
    if p.counts_as_check_in and p.counts_as_check_out:
        return "u"
    return "i" if p.counts_as_check_in else "o"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def punch_entry(event_id: str, kind: str, at: datetime) -> str:
    """A punch as its day's evidence keeps it: the same punch always gives the same string.
    Milliseconds, cut as BSON cuts a date, so the time equals the day's stored extreme."""
    return f"{event_id}|{kind}|{(at - _EPOCH) // _MS}"


def _punches(entries: Iterable[str]) -> dict[str, tuple[str, datetime]]:
    """The punches among a day's evidence (the other entries are plain event ids)."""
    out = {}
    for entry in entries:
        if entry.count("|") == 2:
            event_id, kind, ms = entry.split("|")
            out[event_id] = (kind, _EPOCH + int(ms) * _MS)
    return out


@dataclass(frozen=True, slots=True)
class DayRecord:
    """What the records say of one local day."""

    first_in: datetime | None = None
    last_out: datetime | None = None
    excused: bool = False
    event_ids: tuple[str, ...] = ()
    late_until: datetime | None = None  # a permission to arrive late, until
    early_from: datetime | None = None  # a permission to leave early, from
    last_in: datetime | None = None  # the latest check-in (a night shift's)
    first_out: datetime | None = None  # the earliest check-out (a night shift's, next morning)
    voided: tuple[str, ...] = ()  # the punches an administrator voided (left out above)


@dataclass(frozen=True)
class YearFacts:
    """One employee's facts of one year, as read back (typed, time-ordered)."""

    nip: str
    year: int
    days: Mapping[date, DayRecord] = field(default_factory=dict)
    responses: tuple[dict[str, Any], ...] = ()  # oldest first
    indicators: tuple[dict[str, Any], ...] = ()  # meta; figures: (time key, figure), in order
    ratings: Mapping[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    decisions: Mapping[str, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    voids: tuple[dict[str, Any], ...] = ()  # the administrators' corrections, oldest first
    # The days of the December before: a run of unexcused days can cross New Year (PP 94/2021
    # bounds only the cumulative count by the calendar year, not the ten consecutive days).
    december_before: Mapping[date, DayRecord] = field(default_factory=dict)

    @property
    def recorded(self) -> bool:
        """Anything at all recorded this year."""
        return bool(self.days or self.responses or self.indicators or self.ratings)

    def events_in(self, months: Iterable[str]) -> int:
        wanted = set(months)
        ids = {i for d, r in self.days.items() if month_of(d) in wanted for i in r.event_ids}
        return len(ids)


def year_doc(months: Iterable[Mapping[str, Any] | None]) -> dict[str, Any]:
    """The months' documents of one year joined into one, in month order. Their keys never
    collide (days by date, the rest by event time and id), except a target's description, which
    every figure repeats: the latest month's stands. A year's document of before the months
    (``month`` absent, so first) joins too, a day in both folded as the store would have."""
    out: dict[str, Any] = {
        "days": {},
        "ikm": {},
        "targets": {},
        "ratings": {},
        "decisions": {},
        "voids": {},
    }
    for doc in sorted((d for d in months if d), key=lambda d: d.get("month", 0)):
        for key, day in doc.get("days", {}).items():
            out["days"][key] = _same_day(out["days"].get(key), day)
        out["ikm"].update(doc.get("ikm", {}))
        out["voids"].update(doc.get("voids", {}))
        for key, meta in doc.get("targets", {}).items():
            known = out["targets"].setdefault(key, {"figures": {}})
            known.update({m: v for m, v in meta.items() if m != "figures"})
            known["figures"].update(meta.get("figures", {}))
        for part in ("ratings", "decisions"):
            for period, versions in doc.get(part, {}).items():
                out[part].setdefault(period, {}).update(versions)
    return out


def _same_day(a: Mapping[str, Any] | None, b: Mapping[str, Any]) -> Mapping[str, Any]:
    """One day recorded in two documents: the earliest check-in, the latest check-out."""
    if a is None:
        return b
    out: dict[str, Any] = {**a, **b}
    if "i" in a and "i" in b:
        out["i"] = min(a["i"], b["i"])
    if "o" in a and "o" in b:
        out["o"] = max(a["o"], b["o"])
    for key, pick in (("xl", max), ("xe", min), ("li", max), ("fo", min)):
        if key in a and key in b:
            out[key] = pick(a[key], b[key])
    out["x"] = bool(a.get("x") or b.get("x"))
    ids = sorted({*a.get("ev", ()), *b.get("ev", ())})
    out["ev"] = ids[:MAX_EVENT_IDS_PER_DAY]
    if "vd" in a or "vd" in b:
        out["vd"] = sorted({*a.get("vd", ()), *b.get("vd", ())})
    return out


def year_facts(
    doc: Mapping[str, Any] | None,
    nip: str,
    year: int,
    december_before: Mapping[str, Any] | None = None,
) -> YearFacts:
    """The typed facts of a stored document (``None``: nothing recorded yet), with the days of
    the previous year's December document if given."""
    before = _days(december_before, year - 1) if december_before else {}
    if not doc:
        return YearFacts(nip, year, december_before=before)
    days = _days(doc, year)
    responses = tuple(v for _, v in sorted(doc.get("ikm", {}).items()))
    indicators = tuple(
        {**meta, "figures": sorted(meta.get("figures", {}).items())}
        for _, meta in sorted(doc.get("targets", {}).items())
    )
    ratings, decisions = (
        {
            period: tuple(v for _, v in sorted(versions.items()))
            for period, versions in doc.get(part, {}).items()
        }
        for part in ("ratings", "decisions")
    )
    voids = _in_time_order(doc.get("voids", {}).values())
    return YearFacts(
        nip, year, days, responses, indicators, ratings, decisions, voids, december_before=before
    )


def _days(doc: Mapping[str, Any], year: int) -> dict[date, DayRecord]:
    return {
        date(year, int(k[:2]), int(k[2:])): day_record(v) for k, v in doc.get("days", {}).items()
    }


def day_record(v: Mapping[str, Any]) -> DayRecord:
    """One stored day, typed, its evidence as event ids."""
    evidence = v.get("ev", ())
    punches = _punches(evidence)
    ids = sorted({e.split("|", 1)[0] for e in evidence})
    voided = frozenset(v.get("vd", ()))
    first_in, last_out, last_in, first_out = (v.get(k) for k in ("i", "o", "li", "fo"))
    if voided:
        first_in, last_in = _extremes(v, punches, voided, "iu", ("i", "li"))
        first_out, last_out = _extremes(v, punches, voided, "ou", ("fo", "o"))
    return DayRecord(
        first_in,
        last_out,
        bool(v.get("x")),
        tuple(ids),
        v.get("xl"),
        v.get("xe"),
        last_in,
        first_out,
        tuple(sorted(voided)),
    )


def _extremes(
    v: Mapping[str, Any],
    punches: Mapping[str, tuple[str, datetime]],
    voided: frozenset[str],
    kinds: str,
    stored: tuple[str, str],
) -> tuple[datetime | None, datetime | None]:
    """The earliest and latest of a day's punches of ``kinds`` that were not voided. A stored
    extreme that no kept punch accounts for came from a punch recorded before days kept their
    punches: it cannot be named, so it cannot be voided, and it stays."""
    mine = {i: at for i, (kind, at) in punches.items() if kind in kinds}
    times = [at for i, at in mine.items() if i not in voided]
    known = set(mine.values())
    times += [v[k] for k in stored if k in v and v[k] not in known]
    return (min(times), max(times)) if times else (None, None)


@dataclass(frozen=True, slots=True)
class PunchLine:
    """One punch of a day as kept: its event id is what an administrator's void names."""

    event_id: str
    at: datetime
    direction: str  # in, out or unknown (either)
    voided: bool


@dataclass(frozen=True)
class DayPunches:
    """A day's punches in time order, with the corrections made to them (oldest first)."""

    day: date
    punches: tuple[PunchLine, ...]
    corrections: tuple[dict[str, Any], ...]


_DIRECTION = {"i": "in", "o": "out", "u": "unknown"}


def day_punches(doc: Mapping[str, Any] | None, day: date) -> DayPunches:
    """The punches of ``day`` in its month's stored document (``None``: nothing recorded)."""
    stored = (doc or {}).get("days", {}).get(day_key(day), {})
    voided = set(stored.get("vd", ()))
    punches = sorted(
        (
            PunchLine(i, at, _DIRECTION[kind], i in voided)
            for i, (kind, at) in _punches(stored.get("ev", ())).items()
        ),
        key=lambda p: (p.at, p.event_id),
    )
    voids = (doc or {}).get("voids", {}).values()
    corrections = _in_time_order(c for c in voids if c["day"] == day.isoformat())
    return DayPunches(day, tuple(punches), corrections)


def _in_time_order(corrections: Iterable[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    return tuple(sorted(corrections, key=lambda c: (c["occurred_at"], c["event_id"])))
