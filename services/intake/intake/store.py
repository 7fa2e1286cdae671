"""MongoDB adapter for intake's collections: reference data (units, employees, devices, holidays)
and API keys. Intake owns them; other services learn the reference data from Kafka."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from kinerja_shared.clock import utc
from kinerja_shared.mongo import bulk_write_chunked, find_by_ids
from kinerja_shared.reference import (
    CalendarYear,
    Device,
    Employee,
    Holiday,
    OrgPredicate,
    Unit,
    reference_key,
)

_COLLECTION = {
    Unit: "units",
    Employee: "employees",
    Device: "devices",
    Holiday: "holidays",
    OrgPredicate: "org_predicates",
    CalendarYear: "calendar_years",
}
StoredReference = Unit | Employee | Device | Holiday | OrgPredicate | CalendarYear
_EMPLOYEE = set(Employee.model_fields)


class IntakeStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._db = db

    async def prepare(self) -> None:
        await self._db.employees.create_index([("unit_code", 1), ("device_pins", 1)])

    async def upsert_reference(self, records: Sequence[StoredReference], now: datetime) -> None:
        by_collection: dict[str, list[UpdateOne]] = {}
        for r in records:
            doc = r.model_dump(mode="json")
            doc["_id"] = reference_key(r).split(":", 1)[1]  # the record's key without its kind
            doc["updated_at"] = now
            by_collection.setdefault(_COLLECTION[type(r)], []).append(
                UpdateOne({"_id": doc["_id"]}, {"$set": doc}, upsert=True)
            )
        for name, ops in by_collection.items():
            await bulk_write_chunked(self._db[name], ops)

    async def unit_codes(self) -> set[str]:
        return {str(d["_id"]) async for d in self._db.units.find({}, {"_id": 1})}

    async def supervisor_chains(self, nips: Iterable[str]) -> dict[str, str | None]:
        """Registered employees reachable from ``nips`` up their supervisor chains."""
        known: dict[str, str | None] = {}
        frontier = set(nips)
        while frontier:
            found = {
                d["_id"]: d.get("supervisor_nip")
                async for d in self._db.employees.find(
                    {"_id": {"$in": sorted(frontier)}}, {"supervisor_nip": 1}
                )
            }
            known.update(found)
            frontier = {s for s in found.values() if s is not None and s not in known}
        return known

    async def unit_of(self, nip: str) -> str | None:
        doc = await self._db.employees.find_one({"_id": nip}, {"unit_code": 1})
        return None if doc is None else str(doc["unit_code"])

    async def nip_of_pin(self, unit_code: str, pin: str) -> str | None:
        doc = await self._db.employees.find_one(
            {"unit_code": unit_code, "device_pins": pin}, {"_id": 1}
        )
        return None if doc is None else str(doc["_id"])

    async def device(self, serial: str) -> Device | None:
        doc = await self._db.devices.find_one({"_id": serial})
        return None if doc is None else _device(doc)

    async def devices(self) -> list[Device]:
        """Every registered machine (an administrator's list: a city has about a hundred)."""
        return [_device(d) async for d in self._db.devices.find({})]

    async def record_contact(self, serial: str, at: datetime) -> None:
        await self._db.device_contacts.update_one(
            {"_id": serial}, {"$set": {"last_seen": at}}, upsert=True
        )

    async def contacts(self, serials: Sequence[str]) -> dict[str, datetime]:
        """When each machine last spoke (those never heard of are absent)."""
        docs = await find_by_ids(self._db.device_contacts, list(serials))
        return {
            serial: utc(doc["last_seen"])
            for serial, doc in zip(serials, docs, strict=True)
            if doc is not None
        }

    # --- API keys -------------------------------------------------------------------------

    async def insert_key(self, doc: dict[str, Any]) -> None:
        await self._db.api_keys.insert_one(doc)

    async def key(self, key_id: str) -> dict[str, Any] | None:
        doc: dict[str, Any] | None = await self._db.api_keys.find_one({"_id": key_id})
        return doc

    async def revoke_key(self, key_id: str, now: datetime) -> bool:
        result = await self._db.api_keys.update_one(
            {"_id": key_id, "revoked_at": None}, {"$set": {"revoked_at": now}}
        )
        return result.modified_count == 1

    async def last_closed_day(self) -> date | None:
        """The last day whose ``day_closed`` Kafka acknowledged (``DayCloser`` resumes after
        it, so days missed while intake was down are closed when it is back)."""
        doc = await self._db.day_closer.find_one({"_id": "last_closed"})
        return date.fromisoformat(doc["date"]) if doc else None

    async def set_last_closed_day(self, day: date) -> None:
        await self._db.day_closer.update_one(
            {"_id": "last_closed"}, {"$max": {"date": day.isoformat()}}, upsert=True
        )

    async def employees(self, nips: Sequence[str]) -> dict[str, Employee]:
        """The stored records of ``nips`` (those registered), by ``_id``."""
        docs = await find_by_ids(self._db.employees, sorted(set(nips)))
        return {
            d["nip"]: Employee.model_validate({k: v for k, v in d.items() if k in _EMPLOYEE})
            for d in docs
            if d is not None
        }

    async def calendar_years(self) -> set[int]:
        """The years whose calendar (holidays and cuti bersama of their SKB) is loaded."""
        return {int(d["_id"]) async for d in self._db.calendar_years.find({}, {"_id": 1})}

    async def keys(self) -> list[dict[str, Any]]:
        return [d async for d in self._db.api_keys.find({}, {"secret_hash": 0})]


def _device(doc: dict[str, Any]) -> Device:
    return Device.model_validate({k: v for k, v in doc.items() if k not in ("_id", "updated_at")})
