"""MongoDB adapter: a service's own view of the org chart, from the reference topic's employees.
Written by insert, then replace by ``_id`` (an upsert scans on FerretDB); read by ``_id``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kinerja_shared.mongo import insert_new
from kinerja_shared.orgchart import Person
from kinerja_shared.reference import Employee


class PeopleView:
    def __init__(self, db: Any, collection: str = "people") -> None:
        self.collection = db[collection]

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
        existing = await insert_new(self.collection, docs)
        for doc in docs:
            if doc["_id"] in existing:
                await self.collection.replace_one({"_id": doc["_id"]}, doc)
        for nip in removed:
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
            next_wanted: set[str] = set()
            for nip in sorted(wanted):
                person = await self.find(nip)
                found[nip] = person
                if person and person.supervisor_nip:
                    next_wanted.add(person.supervisor_nip)
            wanted = next_wanted
        return {nip: p for nip, p in found.items() if p is not None}

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
