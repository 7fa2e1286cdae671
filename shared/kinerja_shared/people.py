"""MongoDB adapter: a service's own view of the org chart, from the reference topic's employees.
Written by insert, then replace by ``_id`` (an upsert scans on FerretDB); read by ``_id``."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from kinerja_shared.mongo import find_by_ids, insert_new
from kinerja_shared.orgchart import Person
from kinerja_shared.reference import Employee

#: People kept in memory at most (a city has 4,500; a province's notifier keeps its busy ones).
CACHE_SIZE = 50_000


class PeopleView:
    """``cache_s``: keep people found by ``chart`` this long in memory (the notifier, which
    looks up the same supervisors for every notice; an org chart change then reaches it within
    that time, at once for the changes this process applies). 0: always ask the store (feedback,
    which authorises by the chart)."""

    def __init__(self, db: Any, collection: str = "people", cache_s: float = 0.0) -> None:
        self.collection = db[collection]
        self._cache_s = cache_s
        self._cache: OrderedDict[str, tuple[float, Person | None]] = OrderedDict()

    async def apply(self, employees: Iterable[Employee], removed: Iterable[str] = ()) -> None:
        docs = [
            {
                "_id": e.nip,
                "name": e.name,
                "unit_code": e.unit_code,
                "supervisor_nip": e.supervisor_nip,
                "email": e.email,
            }
            for e in employees
        ]
        for doc in docs:
            self._cache.pop(str(doc["_id"]), None)
        existing = await insert_new(self.collection, docs)
        for doc in docs:
            if doc["_id"] in existing:
                await self.collection.replace_one({"_id": doc["_id"]}, doc)
        for nip in removed:
            self._cache.pop(nip, None)
            await self.collection.delete_one({"_id": nip})

    async def find(self, nip: str) -> Person | None:
        doc = await self.collection.find_one({"_id": nip})
        return _person(doc) if doc else None

    async def chart(self, nips: Iterable[str], depth: int = 8) -> dict[str, Person]:
        """The people named and their supervisor chains (``depth`` levels), found by ``_id``."""
        found: dict[str, Person | None] = {}
        wanted = set(nips)
        for _ in range(depth):
            wanted -= found.keys()
            if not wanted:
                break
            level = await self._people(wanted)
            found.update(level)
            wanted = {p.supervisor_nip for p in level.values() if p and p.supervisor_nip}
        return {nip: p for nip, p in found.items() if p is not None}

    async def _people(self, nips: set[str]) -> dict[str, Person | None]:
        now = time.monotonic()
        out: dict[str, Person | None] = {}
        for nip in nips:
            if (hit := self._cache.get(nip)) is not None and hit[0] > now:
                out[nip] = hit[1]
        ordered = sorted(nips - out.keys())
        docs = await find_by_ids(self.collection, ordered)
        for nip, doc in zip(ordered, docs, strict=True):
            out[nip] = _person(doc) if doc else None
            if self._cache_s > 0:
                self._cache[nip] = (now + self._cache_s, out[nip])
                self._cache.move_to_end(nip)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return out

    async def below(self, nip: str, depth: int = 8) -> list[Person]:
        """Everyone under ``nip``, directly or through the chain, nearest first."""
        found: list[Person] = []
        level = [nip]
        for _ in range(depth):
            docs = [d async for d in self.collection.find({"supervisor_nip": {"$in": level}})]
            if not docs:
                break
            people = sorted((_person(d) for d in docs), key=lambda p: p.name)
            found.extend(people)
            level = [p.nip for p in people]
        return found

    async def in_unit(self, unit_code: str) -> list[Person]:
        return [_person(d) async for d in self.collection.find({"unit_code": unit_code})]

    async def count(self) -> int:
        return int(await self.collection.count_documents({}))


def _person(doc: dict[str, Any]) -> Person:
    return Person(
        doc["_id"], doc["name"], doc["unit_code"], doc.get("supervisor_nip"), doc.get("email")
    )
