"""MongoDB adapter: the only module of scoring that speaks Mongo (scoring owns these collections;
nobody else reads them). Every hot path is an ``_id`` lookup or upsert of a keyed document:
FerretDB's SQLite backend pushes nothing else down, and on MongoDB the ``_id`` is the shard key's
natural partner (shard key: ``nip`` hashed, see deploy/README.md).

- ``facts`` ``<nip>:<YYYY-MM>``: an employee's facts of a month (``scoring.domain.facts``);
- ``evaluations`` ``<nip>:<period>``: the evaluation document the API returns, kept as JSON
  text (``body``): it is only ever read whole, by ``_id``, and FerretDB refuses its nested
  arrays (the bands in the evidence);
- ``unit_summaries`` ``<unit>:<period>``: ``members.<nip>`` (one line per employee) and
  ``desks.<desk>.<nip>`` (IKM tallies); counts are derived when read;
- ``outcomes`` ``<YYYY>:<unit>``: ``members.<nip>`` of the recognition and coaching lists;
- ``employees``, ``calendar_days``, ``unit_index``: scoring's view of the reference data;
- ``stale``: the queue of employees whose read models wait for the projector (small);
- ``leases``: which replica runs the projector;
- ``documents`` ``<code>``: the evaluation documents handed out, for their verification.

Documents stay bounded: a month of one employee's days, one unit's lines, one day's event ids
(capped). Fact writes only use ``$min``, ``$max``, ``$addToSet`` and ``$set`` under keys unique
to an event, so a redelivered batch changes nothing; read models are replaced wholesale.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from pymongo import ReplaceOne, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from kinerja_shared.documents import Issued
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.mongo import (
    bulk_write_chunked,
    bulk_write_concurrent,
    delete_by_ids,
    find_by_ids,
    insert_once,
    retry_locked,
)
from scoring.domain.facts import (
    DayPunches,
    FactsDelta,
    YearFacts,
    day_punches,
    field_key,
    punch_entry,
    year_doc,
    year_facts,
)
from scoring.domain.performance import OrgPredikat
from scoring.domain.projection import CalendarView, EmployeeRef, Projection, UnitLead

FACTS = "facts"
EVALUATIONS = "evaluations"
UNITS = "unit_summaries"
OUTCOMES = "outcomes"
EMPLOYEES = "employees"
CALENDAR = "calendar_days"
UNIT_INDEX = "unit_index"
ORG_PREDICATES = "org_predicates"
CALENDAR_YEARS = "calendar_years"
STALE = "stale"


MONTHS = range(1, 13)


def facts_id(nip: str, year: int, month: int) -> str:
    return f"{nip}:{year:04d}-{month:02d}"


def _facts_update(d: FactsDelta, now: datetime) -> UpdateOne:
    return UpdateOne({"_id": facts_id(d.nip, d.year, d.month)}, facts_update(d, now), upsert=True)


def facts_update(d: FactsDelta, now: datetime) -> dict[str, Any]:
    """The one update a delta makes to its month's document (idempotent, order-free)."""
    mins = {f"days.{k}.i": at for k, at in d.first_in.items()}
    mins.update({f"days.{k}.fo": at for k, at in d.first_out.items()})
    mins.update({f"days.{k}.xe": at for k, at in d.early_from.items()})
    maxs: dict[str, Any] = {f"days.{k}.o": at for k, at in d.last_out.items()}
    maxs.update({f"days.{k}.li": at for k, at in d.last_in.items()})
    maxs.update({f"days.{k}.xl": at for k, at in d.late_until.items()})
    maxs["updated_at"] = now
    sets: dict[str, Any] = {f"days.{k}.x": True for k in d.excused}
    sets.update({f"ikm.{k}": v for k, v in d.responses.items()})
    for key, meta in d.figures.items():
        sets.update({f"targets.{key}.{m}": v for m, v in meta.items() if m != "figures"})
        sets.update({f"targets.{key}.figures.{k}": f for k, f in meta["figures"].items()})
    for period, versions in d.ratings.items():
        sets.update({f"ratings.{period}.{k}": v for k, v in versions.items()})
    for period, versions in d.decisions.items():
        sets.update({f"decisions.{period}.{k}": v for k, v in versions.items()})
    sets.update({f"voids.{k}": v for k, v in d.voids.items()})
    update: dict[str, Any] = {
        "$setOnInsert": {"nip": d.nip, "year": d.year, "month": d.month},
        "$max": maxs,
    }
    evidence = {k: set(ids) for k, ids in d.event_ids.items()}
    for k, punches in d.punches.items():
        evidence.setdefault(k, set()).update(punch_entry(i, *p) for i, p in punches.items())
    adds = {f"days.{k}.ev": {"$each": sorted(v)} for k, v in evidence.items()}
    adds.update({f"days.{k}.vd": {"$each": sorted(v)} for k, v in d.voided.items()})
    if adds:
        update["$addToSet"] = adds
    if mins:
        update["$min"] = mins
    if sets:
        update["$set"] = sets
    return update


class FactsStore:
    """Each employee's facts, one document per month."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], registry: CollectorRegistry) -> None:
        self._db = db
        self._write_seconds = Histogram(
            "kinerja_scoring_store_write_duration_seconds",
            "Time of one bulk write to MongoDB",
            ["collection"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self._write_errors = Counter(
            "kinerja_scoring_store_write_errors_total",
            "Bulk writes to MongoDB that failed (the batch is redelivered)",
            ["collection"],
            registry=registry,
        )

    async def apply(self, deltas: Sequence[FactsDelta], now: datetime) -> None:
        if not deltas:
            return
        started = time.perf_counter()
        try:
            await bulk_write_concurrent(self._db[FACTS], [_facts_update(d, now) for d in deltas])
        except Exception:
            self._write_errors.labels(FACTS).inc()
            raise
        finally:
            self._write_seconds.labels(FACTS).observe(time.perf_counter() - started)

    async def day(self, nip: str, day: date) -> DayPunches:
        """One day's punches and their corrections: one ``_id`` lookup of its month."""
        docs = await find_by_ids(self._db[FACTS], [facts_id(nip, day.year, day.month)])
        return day_punches(docs[0], day)

    async def load(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], YearFacts]:
        """The facts of each (nip, year): its twelve month documents in one lookup by ``_id``,
        the December before (a run of absences crosses New Year), and the year's document that
        scoring kept before the months (``<nip>:<YYYY>``) so that an upgraded store reads what it
        holds without a replay."""
        wanted = sorted(set(keys))
        ids = [
            i
            for n, y in wanted
            for i in (f"{n}:{y:04d}", *(facts_id(n, y, m) for m in MONTHS), facts_id(n, y - 1, 12))
        ]
        docs = await find_by_ids(self._db[FACTS], ids)
        per = 2 + len(MONTHS)
        return {
            k: year_facts(year_doc(docs[per * i : per * i + per - 1]), *k, docs[per * i + per - 1])
            for i, k in enumerate(wanted)
        }


def _employee_ref(doc: Mapping[str, Any] | None, nip: str) -> EmployeeRef:
    if not doc:
        return EmployeeRef(nip)
    return EmployeeRef(
        nip,
        True,
        doc.get("name"),
        doc.get("position"),
        doc.get("unit_code"),
        doc.get("supervisor_nip"),
        doc.get("schedule") or "standar",
        schedules=tuple(
            (date.fromisoformat(h["since"]) if h.get("since") else None, str(h["schedule"]))
            for h in doc.get("schedules") or ()
        ),
    )


class ReferenceStore:
    """Scoring's own view of the reference data it needs: employees (unit, supervisor,
    schedule), the calendar (holidays, cuti bersama, closed days) and the list of units."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def apply(
        self, employees: list[dict[str, Any]], calendar: list[dict[str, Any]], now: datetime
    ) -> None:
        await bulk_write_concurrent(
            self._db[EMPLOYEES],
            [
                UpdateOne({"_id": e["nip"]}, {"$set": {**e, "updated_at": now}}, upsert=True)
                for e in employees
            ],
        )
        units = {e["unit_code"] for e in employees if e.get("unit_code")}
        if units:
            await bulk_write_chunked(
                self._db[UNIT_INDEX],
                [
                    UpdateOne(
                        {"_id": "units"}, {"$set": {f"codes.{u}": True for u in units}}, upsert=True
                    )
                ],
            )
        await bulk_write_concurrent(
            self._db[CALENDAR],
            [
                UpdateOne(
                    {"_id": c["date"]},
                    {"$set": {k: v for k, v in c.items() if k != "date"}},
                    upsert=True,
                )
                for c in calendar
            ],
        )

    async def withdraw(self, nips: Sequence[str]) -> None:
        await delete_by_ids(self._db[EMPLOYEES], nips)

    async def apply_org_predicates(self, records: Sequence[Mapping[str, Any]]) -> dict[str, int]:
        """Keep each unit's predicate of a year (``<unit>:<year>``) and, for its head, a
        document by ``head:<nip>:<year>`` so an evaluation finds it by ``_id``. Returns the
        employees whose year it moves (the head, and a head it replaced) with that year."""
        moved: dict[str, int] = {}
        for r in records:
            key = f"{r['unit_code']}:{r['year']}"
            before = await self._db[ORG_PREDICATES].find_one({"_id": key})
            old_head = (before or {}).get("head_nip")
            if old_head and old_head != r.get("head_nip"):
                await self._db[ORG_PREDICATES].delete_one({"_id": f"head:{old_head}:{r['year']}"})
                moved[old_head] = r["year"]
            await self._db[ORG_PREDICATES].replace_one({"_id": key}, dict(r), upsert=True)
            if r.get("head_nip"):
                await self._db[ORG_PREDICATES].replace_one(
                    {"_id": f"head:{r['head_nip']}:{r['year']}"}, dict(r), upsert=True
                )
                moved[r["head_nip"]] = r["year"]
        return moved

    async def apply_calendar_years(self, years: Sequence[Mapping[str, Any]]) -> None:
        for y in years:
            doc = {k: v for k, v in y.items() if k != "kind"}
            await self._db[CALENDAR_YEARS].replace_one({"_id": y["year"]}, doc, upsert=True)

    async def year_calendar(self, year: int) -> YearCalendar:
        """A year's loaded decree (None: not loaded), holidays with names and closed days."""
        loaded = await self._db[CALENDAR_YEARS].find_one({"_id": year})
        first = date(year, 1, 1)
        every = [(first + timedelta(days=i)).isoformat() for i in range(366)]
        found = await find_by_ids(self._db[CALENDAR], [d for d in every if d.startswith(str(year))])
        days = [d for d in found if d is not None]
        return YearCalendar(
            year,
            None if loaded is None else (str(loaded["source"]), int(loaded["days"])),
            [
                (str(d["_id"]), str(d.get("holiday_name", "")), str(d.get("holiday_kind", "")))
                for d in days
                if d.get("holiday")
            ],
            [str(d["_id"]) for d in days if d.get("closed")],
        )

    async def org_predicate(self, unit_code: str, year: int) -> OrgPredikat | None:
        doc = await self._db[ORG_PREDICATES].find_one({"_id": f"{unit_code}:{year}"})
        return OrgPredikat(doc["predicate"]) if doc else None

    async def leads(self, keys: Iterable[tuple[str, int]]) -> dict[str, tuple[UnitLead, ...]]:
        """The units each (nip, year) headed with a predicate set: one ``_id`` lookup."""
        wanted = sorted(set(keys))
        docs = await find_by_ids(self._db[ORG_PREDICATES], [f"head:{n}:{y}" for n, y in wanted])
        out: dict[str, tuple[UnitLead, ...]] = {}
        for (nip, year), d in zip(wanted, docs, strict=True):
            if d is not None:
                lead = UnitLead(d["unit_code"], year, OrgPredikat(d["predicate"]), d["source"])
                out[nip] = (*out.get(nip, ()), lead)
        return out

    async def employee(self, nip: str) -> EmployeeRef:
        return _employee_ref(await self._db[EMPLOYEES].find_one({"_id": nip}), nip)

    async def employees(self, nips: Iterable[str]) -> dict[str, EmployeeRef]:
        wanted = sorted(set(nips))
        docs = await find_by_ids(self._db[EMPLOYEES], wanted)
        return {n: _employee_ref(d, n) for n, d in zip(wanted, docs, strict=True)}

    async def nips(self) -> list[str]:
        """Every known employee: a full read, for the rare "everyone changed" (a closed day)."""
        return [str(d["_id"]) async for d in self._db[EMPLOYEES].find({}, {"_id": 1})]

    async def units(self) -> list[str]:
        doc = await self._db[UNIT_INDEX].find_one({"_id": "units"})
        return sorted((doc or {}).get("codes", {}))

    async def chain_above(self, nip: str, limit: int = 30) -> list[str]:
        """The supervisors above ``nip``, nearest first (stops at a loop or after ``limit``)."""
        chain: list[str] = []
        current = nip
        while len(chain) < limit:
            doc = await self._db[EMPLOYEES].find_one({"_id": current}, {"supervisor_nip": 1})
            above = doc.get("supervisor_nip") if doc else None
            if not above or above in chain or above == nip:
                break
            chain.append(above)
            current = above
        return chain

    async def calendar(self) -> CalendarView:
        """The whole calendar: a few hundred small documents a year."""
        holidays, closed = set(), set()
        async for c in self._db[CALENDAR].find({}):
            day = date.fromisoformat(c["_id"])
            if c.get("holiday"):
                holidays.add(day)
            if c.get("closed"):
                closed.add(day)
        return CalendarView(frozenset(holidays), frozenset(closed))


@dataclass(frozen=True)
class YearCalendar:
    """A year's calendar as scoring holds it: the decree loaded (source, days) or None, the
    holidays (date, name, kind) and the days closed, in date order."""

    year: int
    loaded: tuple[str, int] | None
    holidays: list[tuple[str, str, str]]
    closed: list[str]


@dataclass(frozen=True)
class UnitSummary:
    """A unit's stored lines for a period: ``members`` by NIP, IKM tallies by desk and NIP."""

    unit_code: str
    period: str
    members: dict[str, dict[str, Any]]
    desks: dict[str, dict[str, dict[str, Any]]]


class _Written:
    """What this process last wrote under each key (a digest), so an unchanged document or
    line is not written again: in a replay most later months do not change. Bounded (LRU);
    forgotten when the projector's lease was lost, since another replica may have written."""

    def __init__(self, size: int = 200_000) -> None:
        self._size = size
        self._digests: OrderedDict[str, bytes] = OrderedDict()

    def fresh(self, key: str, value: Any, pending: bytes | None = None) -> bytes | None:
        """The digest of ``value`` if it differs from what the store will hold under ``key``:
        ``pending`` (staged or being written, not yet acknowledged) if given, else what was
        last written. Comparing with the last write alone lost a line that went back to it
        while a newer one was being flushed: the store kept the newer, stale one."""
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        digest = hashlib.blake2b(text.encode(), digest_size=12).digest()
        held = pending if pending is not None else self._digests.get(key)
        return None if held == digest else digest

    def remember(self, written: Mapping[str, bytes]) -> None:
        """Called once the writes succeeded (a failed write is written again next round)."""
        for key, digest in written.items():
            self._digests[key] = digest
            self._digests.move_to_end(key)
        while len(self._digests) > self._size:
            self._digests.popitem(last=False)

    def forget(self) -> None:
        self._digests.clear()


class ReadModelStore:
    """Evaluations, unit summaries and outcomes, written by the projector, read by the API."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db
        self._written = _Written()
        self._units: dict[str, dict[str, Any]] = {}
        self._outcomes: dict[str, dict[str, dict[str, Any] | None]] = {}
        self._staged: dict[str, bytes] = {}
        self._flushing: dict[str, bytes] = {}  # what the flush under way is writing

    def forget(self) -> None:
        self._written.forget()

    async def put(self, projections: Mapping[str, Projection], now: datetime) -> None:
        """Writes the evaluations; stages the unit lines and outcomes until ``flush``: a unit's
        document is large (one line per employee), so a round writes it once, not once per
        step of the round."""
        evaluations: list[ReplaceOne[Any]] = []
        written: dict[str, bytes] = {}
        for nip, p in projections.items():
            for period, doc in p.evaluations.items():
                text = json.dumps(doc, default=str)
                if digest := self._written.fresh(f"e:{nip}:{period}", text):
                    body = {"body": text, "updated_at": now}
                    evaluations.append(ReplaceOne({"_id": f"{nip}:{period}"}, body, upsert=True))
                    written[f"e:{nip}:{period}"] = digest
            self._stage(nip, p)
        await bulk_write_concurrent(self._db[EVALUATIONS], evaluations)
        self._written.remember(written)

    def _stage(self, nip: str, p: Projection) -> None:
        for period, line in p.members.items():
            unit_id = f"{line.get('unit_code')}:{period}"
            key = f"m:{unit_id}:{nip}"
            if line.get("unit_code") and (
                digest := self._written.fresh(key, line, self._pending(key))
            ):
                self._units.setdefault(unit_id, {})[f"members.{nip}"] = line
                self._staged[key] = digest
        for period, tallies in p.ikm.items():
            for (unit, desk), tally in tallies.items():
                path = f"desks.{field_key(desk)}.{nip}"
                key = f"d:{unit}:{period}:{path}"
                if digest := self._written.fresh(key, tally, self._pending(key)):
                    self._units.setdefault(f"{unit}:{period}", {})[path] = tally
                    self._staged[key] = digest
        for year, entry in p.outcomes.items():
            home = p.members[str(year)].get("unit_code")
            if home:
                self._outcomes.setdefault(f"{year}:{home}", {})[nip] = entry

    def _pending(self, key: str) -> bytes | None:
        return self._staged.get(key) or self._flushing.get(key)

    async def flush(self) -> None:
        """Writes the lines and outcomes staged so far. Lines staged while it writes wait for
        the next flush; if it fails, its own are staged again under any newer ones."""
        units, outcomes, staged = self._units, self._outcomes, self._staged
        self._units, self._outcomes, self._staged = {}, {}, {}
        self._flushing = staged
        try:
            ops = [UpdateOne({"_id": k}, {"$set": v}, upsert=True) for k, v in units.items()]
            await bulk_write_chunked(self._db[UNITS], ops)
            await bulk_write_concurrent(
                self._db[OUTCOMES], [_outcome_op(k, v) for k, v in outcomes.items()]
            )
        except BaseException:
            for key, lines in units.items():
                self._units[key] = {**lines, **self._units.get(key, {})}
            for key, entries in outcomes.items():
                self._outcomes[key] = {**entries, **self._outcomes.get(key, {})}
            self._staged = {**staged, **self._staged}
            raise
        finally:
            self._flushing = {}
        self._written.remember(staged)

    async def evaluation(self, nip: str, period: str) -> dict[str, Any] | None:
        doc = await self._db[EVALUATIONS].find_one({"_id": f"{nip}:{period}"})
        if not doc:
            return None
        out: dict[str, Any] = json.loads(doc["body"])
        return out

    async def unit(self, unit_code: str, period: str) -> UnitSummary | None:
        doc = await self._db[UNITS].find_one({"_id": f"{unit_code}:{period}"})
        if not doc:
            return None
        desks = {k.replace("%", "."): v for k, v in doc.get("desks", {}).items()}
        return UnitSummary(unit_code, period, doc.get("members", {}), desks)

    async def outcomes(self, year: int, units: Sequence[str]) -> list[dict[str, Any]]:
        docs = await find_by_ids(self._db[OUTCOMES], [f"{year}:{u}" for u in units])
        return [m for d in docs if d for _, m in sorted(d.get("members", {}).items())]

    async def remove_member(self, nip: str, unit_code: str, periods: Sequence[str]) -> None:
        """A withdrawn or moved employee leaves the unit's lines and lists."""
        self._written.forget()  # rare: simpler than forgetting the employee's keys one by one
        ops = [
            UpdateOne({"_id": f"{unit_code}:{p}"}, {"$unset": {f"members.{nip}": ""}})
            for p in periods
        ]
        await bulk_write_concurrent(self._db[UNITS], ops)
        years = sorted({p[:4] for p in periods if p[:4].isdigit()})
        await bulk_write_concurrent(
            self._db[OUTCOMES],
            [
                UpdateOne({"_id": f"{y}:{unit_code}"}, {"$unset": {f"members.{nip}": ""}})
                for y in years
            ],
        )


def _outcome_op(key: str, entries: Mapping[str, dict[str, Any] | None]) -> UpdateOne:
    sets = {f"members.{n}": e for n, e in entries.items() if e is not None}
    unsets = {f"members.{n}": "" for n, e in entries.items() if e is None}
    update: dict[str, Any] = {"$setOnInsert": {"created": True}}
    if sets:
        update["$set"] = sets
    if unsets:
        update["$unset"] = unsets
    return UpdateOne({"_id": key}, update, upsert=True)


@dataclass(frozen=True)
class StaleMark:
    """One consumed batch's changes: which months of which employees moved."""

    id: str
    months: dict[str, list[str]]
    at: datetime
    projected: bool


class StaleQueue:
    """Employees whose read models must be computed again, one small document per consumed
    batch (one write, however many employees it touched). The projector reads the whole
    collection, which stays small: marks leave it once projected and checked for alerts."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def mark(self, months_by_nip: Mapping[str, Iterable[str]], now: datetime) -> None:
        months = {n: sorted(set(m)) for n, m in months_by_nip.items() if m}
        if not months:
            return
        # Ids sort by time, so the queue is read oldest first.
        doc_id = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        doc = {"_id": doc_id, "months": months, "at": now, "projected": False}
        await retry_locked(partial(self._db[STALE].insert_one, doc))

    async def pending(self, limit: int = 200) -> list[StaleMark]:
        cursor = self._db[STALE].find({}).sort("_id", 1).limit(limit)
        return [
            StaleMark(d["_id"], d.get("months", {}), d["at"], bool(d.get("projected")))
            async for d in cursor
        ]

    async def projected(self, ids: Sequence[str]) -> None:
        await bulk_write_concurrent(
            self._db[STALE], [UpdateOne({"_id": i}, {"$set": {"projected": True}}) for i in ids]
        )

    async def done(self, ids: Sequence[str]) -> None:
        await delete_by_ids(self._db[STALE], ids)

    async def size(self) -> int:
        return await self._db[STALE].count_documents({})


ALERT_STATE = "alert_state"
ALERT_CONDITIONS = "alert_conditions"


class AlertStore:
    """Which alerts were published (by their deterministic id) and which rolling conditions
    are active per employee: both by ``_id``."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def published(self, alert_ids: Iterable[str]) -> set[str]:
        wanted = sorted(set(alert_ids))
        docs = await find_by_ids(self._db[ALERT_STATE], wanted, {"_id": 1})
        return {i for i, d in zip(wanted, docs, strict=True) if d is not None}

    async def record(self, alerts: Sequence[tuple[str, str, str]], now: datetime) -> None:
        """Alerts published: (alert id, NIP, type), in one bulk write."""
        ops = [
            UpdateOne(
                {"_id": alert_id},
                {"$setOnInsert": {"nip": nip, "type": alert_type, "published_at": now}},
                upsert=True,
            )
            for alert_id, nip, alert_type in alerts
        ]
        await bulk_write_concurrent(self._db[ALERT_STATE], ops)

    async def active_conditions_of(self, nips: Sequence[str]) -> dict[str, set[str]]:
        docs = await find_by_ids(self._db[ALERT_CONDITIONS], nips)
        return {n: set((d or {}).get("active", [])) for n, d in zip(nips, docs, strict=True)}

    async def set_conditions_of(self, active: Mapping[str, Iterable[str]]) -> None:
        ops = [
            UpdateOne({"_id": n}, {"$set": {"active": sorted(a)}}, upsert=True)
            for n, a in active.items()
        ]
        await bulk_write_concurrent(self._db[ALERT_CONDITIONS], ops)


DOCUMENTS = "documents"


class DocumentStore:
    """The documents handed out (``documents``, by verification code): a code issued again
    keeps its first issue."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def issue(self, issued: Issued) -> Issued:
        return Issued.of(await insert_once(self._db[DOCUMENTS], issued.record()))

    async def issued(self, code: str) -> Issued | None:
        doc = await self._db[DOCUMENTS].find_one({"_id": code})
        return Issued.of(doc) if doc else None
