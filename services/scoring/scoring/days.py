"""Use case: one day's punches as scoring keeps them, with the corrections made to them. The
employee sees what the machines recorded and what was voided; an administrator finds here the
event id of the punch to void (``POST /v1/admin/attendance/voids`` at intake)."""

from __future__ import annotations

from datetime import date
from typing import Protocol

from kinerja_shared.identity import Principal
from scoring.domain.access import may_see
from scoring.domain.facts import DayPunches
from scoring.reads import Refused


class KeptDays(Protocol):
    async def day(self, nip: str, day: date) -> DayPunches: ...


class Chains(Protocol):
    async def chain_above(self, nip: str) -> list[str]: ...


class Days:
    def __init__(self, facts: KeptDays, people: Chains) -> None:
        self._facts = facts
        self._people = people

    async def day(self, who: Principal, nip: str, day: date) -> DayPunches:
        """Readable by whoever may read the employee's evaluation."""
        if not may_see(who, nip, await self._people.chain_above(nip)):
            raise Refused("this day is neither yours nor in your chain")
        return await self._facts.day(nip, day)
