"""The org chart as plain data (pure): who supervises whom, the chain above a person, the head of
their unit. Services keep their own copy of it from the reference topic (``people``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    nip: str
    name: str
    unit_code: str
    supervisor_nip: str | None = None
    email: str | None = None


#: Looks a person up by NIP; None when the reference data does not know them (yet).
Lookup = Callable[[str], Person | None]


def chain_above(nip: str, lookup: Lookup, levels: int) -> list[Person]:
    """The supervisors above ``nip``, nearest first, at most ``levels`` of them (cycle-safe)."""
    found: list[Person] = []
    seen = {nip}
    person = lookup(nip)
    while person and person.supervisor_nip and len(found) < levels:
        if person.supervisor_nip in seen:
            break
        seen.add(person.supervisor_nip)
        person = lookup(person.supervisor_nip)
        if person:
            found.append(person)
    return found


def unit_head(nip: str, lookup: Lookup) -> Person | None:
    """The head of the employee's unit: the top of their supervisor chain within the unit."""
    person = lookup(nip)
    if person is None:
        return None
    head = person
    for above in chain_above(nip, lookup, 50):
        if above.unit_code != person.unit_code:
            break
        head = above
    return head
