"""MongoDB adapter for scoring's collections (scoring owns them; nobody else reads them).

``attendance_months``: one document per employee and month, ``_id = "<nip>:<YYYY-MM>"``::

    {nip, period, days: {"03": {first_in, last_out}, ...}, event_ids: [...], updated_at}

Writes use only ``$min``, ``$max``, ``$addToSet`` and ``$setOnInsert``: applying the same delta
twice, or deltas in any order, gives the same document. That is what makes redelivery after a
crash harmless without transactions (which FerretDB lacks).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Counter, Histogram
from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from kinerja_shared.events import BehaviourRatedEvent, ServiceRatedEvent, TargetProgressedEvent
from kinerja_shared.metrics import LATENCY_BUCKETS
from kinerja_shared.mongo import bulk_write_chunked
from scoring.domain import MonthDelta

MONTHS = "attendance_months"


def month_id(nip: str, period: str) -> str:
    return f"{nip}:{period}"


def _update_of(delta: MonthDelta, now: datetime) -> UpdateOne:
    mins = {f"days.{dd}.first_in": at for dd, at in delta.first_in.items()}
    maxs: dict[str, Any] = {f"days.{dd}.last_out": at for dd, at in delta.last_out.items()}
    maxs["updated_at"] = now
    # An excused day stays excused whatever else arrives: setting True is idempotent.
    sets = {f"days.{dd}.excused": True for dd in delta.excused}
    update: dict[str, Any] = {
        "$setOnInsert": {"nip": delta.nip, "period": delta.period},
        "$max": maxs,
        "$addToSet": {"event_ids": {"$each": sorted(delta.event_ids)}},
    }
    if mins:
        update["$min"] = mins
    if sets:
        update["$set"] = sets
    return UpdateOne({"_id": month_id(delta.nip, delta.period)}, update, upsert=True)


class ScoringStore:
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

    async def prepare(self) -> None:
        await self._db[MONTHS].create_index([("period", 1), ("nip", 1)])

    async def apply_months(self, deltas: Sequence[MonthDelta]) -> None:
        if not deltas:
            return
        now = datetime.now(UTC)
        started = time.perf_counter()
        try:
            await bulk_write_chunked(self._db[MONTHS], [_update_of(d, now) for d in deltas])
        except Exception:
            self._write_errors.labels(MONTHS).inc()
            raise
        finally:
            self._write_seconds.labels(MONTHS).observe(time.perf_counter() - started)

    async def months(self, nip: str, periods: list[str]) -> list[dict[str, Any]]:
        return await months_of(self._db, nip, periods)

    async def month(self, nip: str, period: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self._db[MONTHS].find_one({"_id": month_id(nip, period)})
        return doc


EMPLOYEES = "employees"
CALENDAR = "calendar_days"


class ReferenceStore:
    """Scoring's own view of the reference data it needs: employees' schedules and units, and
    the calendar (holidays, cuti bersama, closed days)."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def apply(self, employees: list[dict[str, Any]], calendar: list[dict[str, Any]]) -> None:
        now = datetime.now(UTC)
        if employees:
            await bulk_write_chunked(
                self._db[EMPLOYEES],
                [
                    UpdateOne({"_id": e["nip"]}, {"$set": {**e, "updated_at": now}}, upsert=True)
                    for e in employees
                ],
            )
        if calendar:
            await bulk_write_chunked(
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

    async def employee(self, nip: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self._db[EMPLOYEES].find_one({"_id": nip})
        return doc

    async def nips(self, unit_code: str | None = None) -> list[str]:
        query = {} if unit_code is None else {"unit_code": unit_code}
        return [str(d["_id"]) async for d in self._db[EMPLOYEES].find(query, {"_id": 1})]

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

    async def calendar(self, start: str, end: str) -> list[dict[str, Any]]:
        """Calendar days between two ISO dates (inclusive)."""
        return [d async for d in self._db[CALENDAR].find({"_id": {"$gte": start, "$lte": end}})]


async def months_of(
    db: AsyncDatabase[dict[str, Any]], nip: str, periods: list[str]
) -> list[dict[str, Any]]:
    ids = [month_id(nip, p) for p in periods]
    return [d async for d in db[MONTHS].find({"_id": {"$in": ids}})]


RATINGS = "ratings_months"
TARGETS = "targets"


def _ts_key(at: datetime, event_id: str) -> str:
    """A field name that sorts by time (no dots: they would split the path)."""
    return f"{at.astimezone(UTC):%Y%m%dT%H%M%S%fZ}_{event_id}"


class FiguresStore:
    """Citizen ratings (IKM) per employee, desk and unit and month, and SKP target figures.

    Each response and each figure is stored under its own time-ordered key (``$set``),
    ``figures.<time>_<event_id>``): repeats change nothing and order does not matter; sums and
    "the latest figure by event time" are derived when read.
    """

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def apply_ratings(self, events: Sequence[ServiceRatedEvent], tz: ZoneInfo) -> None:
        if not events:
            return
        by_doc: dict[str, dict[str, Any]] = {}
        for e in events:
            local = e.occurred_at.astimezone(tz)
            month = f"{local.year:04d}-{local.month:02d}"
            answers = {k.value: v for k, v in e.payload.ratings.items()}
            for key in (
                f"emp:{e.nip}:{month}",
                f"desk:{e.payload.unit_code}:{e.payload.desk_id}:{month}",
                f"unit:{e.payload.unit_code}:{month}",
            ):
                sets = by_doc.setdefault(key, {})
                sets[f"responses.{_ts_key(e.occurred_at, e.event_id)}"] = answers
                sets["month"] = month
                if key.startswith("desk:"):  # so a unit's desks can be listed
                    sets.update(unit_code=e.payload.unit_code, desk_id=e.payload.desk_id)
        await bulk_write_chunked(
            self._db[RATINGS],
            [UpdateOne({"_id": key}, {"$set": sets}, upsert=True) for key, sets in by_doc.items()],
        )

    async def ratings(self, keys: list[str]) -> list[dict[str, int]]:
        """The responses of the given documents, oldest first."""
        timed: list[tuple[str, dict[str, int]]] = []
        async for doc in self._db[RATINGS].find({"_id": {"$in": keys}}):
            timed.extend(doc.get("responses", {}).items())
        return [answers for _, answers in sorted(timed)]

    async def desks(self, unit_code: str, months: list[str]) -> dict[str, list[dict[str, int]]]:
        """Each desk of a unit with its responses in ``months``, oldest first."""
        timed: dict[str, list[tuple[str, dict[str, int]]]] = {}
        query = {"unit_code": unit_code, "month": {"$in": months}}
        async for doc in self._db[RATINGS].find(query):
            timed.setdefault(doc["desk_id"], []).extend(doc.get("responses", {}).items())
        return {desk: [a for _, a in sorted(items)] for desk, items in sorted(timed.items())}

    async def apply_progress(self, events: Sequence[TargetProgressedEvent]) -> None:
        if not events:
            return
        ops = []
        for e in events:
            p = e.payload
            key = f"{e.nip}:{p.period}:{p.skp_id}:{p.indicator_id}"
            ops.append(
                UpdateOne(
                    {"_id": key},
                    {
                        "$set": {
                            "nip": e.nip,
                            "period": p.period,
                            "skp_id": p.skp_id,
                            "indicator_id": p.indicator_id,
                            "indicator": p.indicator,
                            "unit": p.unit,
                            "polarity": p.polarity.value,
                            f"figures.{_ts_key(e.occurred_at, e.event_id)}": {
                                "target": p.target,
                                "realized": p.realized,
                                "main": p.main,
                                "event_id": e.event_id,
                                "occurred_at": e.occurred_at,
                            },
                        }
                    },
                    upsert=True,
                )
            )
        await bulk_write_chunked(self._db[TARGETS], ops)

    async def targets(self, nip: str, year: int, until: datetime) -> list[dict[str, Any]]:
        """Each indicator's latest figure by event time up to ``until``."""
        out = []
        async for doc in self._db[TARGETS].find({"nip": nip, "period": year}):
            cutoff = _ts_key(until, "~")
            keys = sorted(k for k in doc.get("figures", {}) if k <= cutoff)
            if keys:
                out.append(
                    {
                        **{k: doc[k] for k in ("skp_id", "indicator_id", "indicator", "polarity")},
                        **doc["figures"][keys[-1]],
                    }
                )
        return out


BEHAVIOUR = "behaviour_ratings"


class BehaviourStore:
    """Supervisors' Perilaku Kerja ratings per employee and period; the latest by event time
    counts (a supervisor may revise), every version is kept."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def apply(self, events: Sequence[BehaviourRatedEvent]) -> None:
        await bulk_write_chunked(
            self._db[BEHAVIOUR],
            [
                UpdateOne(
                    {"_id": f"{e.nip}:{e.payload.period}"},
                    {
                        "$set": {
                            "nip": e.nip,
                            "period": e.payload.period,
                            f"versions.{_ts_key(e.occurred_at, e.event_id)}": {
                                "rating": e.payload.rating.value,
                                "rated_by": e.payload.rated_by,
                                "justification": e.payload.justification,
                                "event_id": e.event_id,
                                "occurred_at": e.occurred_at,
                            },
                        }
                    },
                    upsert=True,
                )
                for e in events
            ],
        )

    async def latest(self, nip: str, period: str) -> dict[str, Any] | None:
        doc = await self._db[BEHAVIOUR].find_one({"_id": f"{nip}:{period}"})
        if not doc or not doc.get("versions"):
            return None
        latest: dict[str, Any] = doc["versions"][max(doc["versions"])]
        return latest
