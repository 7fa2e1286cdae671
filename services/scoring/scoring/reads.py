"""What the API answers (use cases): who may read what, and the read models behind it. Every
read is one or a few ``_id`` lookups of documents the projector keeps; nothing evaluates a whole
team on a request. The one exception is a single employee whose document is not there yet (just
registered, or a new day for the rolling window): that one is computed on the spot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from kinerja_shared.identity import Principal, Role
from kinerja_shared.periods import Period
from scoring.domain.access import may_see, may_see_unit
from scoring.domain.explain import penjelasan
from scoring.domain.ikm import IkmResult
from scoring.domain.performance import OrgPredikat, Predikat, distribution_check
from scoring.domain.policy import Policy
from scoring.domain.projection import ROLLING, EmployeeRef, Projection, ikm_of_tallies
from scoring.domain.team import MemberQuery, below, select
from scoring.recap import RecapRow, recap_rows
from scoring.store import UnitSummary, YearCalendar

NO_PREDICATE_LABEL = "belum ada"  # no SKP figures yet, so no predicate


class Refused(Exception):
    """The reader may not see this (HTTP 403), with the reason in words."""


class NotFound(Exception):
    """Nothing is known of what was asked (HTTP 404), with the reason in words."""


class Unanswerable(Exception):
    """The question cannot be answered as asked (HTTP 422), with the reason in words."""


@dataclass(frozen=True)
class MembersPage:
    unit_code: str
    period: str
    total: int
    page: int
    size: int
    members: list[dict[str, Any]]


class UnitLines(Protocol):
    async def evaluation(self, nip: str, period: str) -> dict[str, Any] | None: ...
    async def unit(self, unit_code: str, period: str) -> UnitSummary | None: ...
    async def outcomes(self, year: int, units: Sequence[str]) -> list[dict[str, Any]]: ...


class People(Protocol):
    async def chain_above(self, nip: str) -> list[str]: ...
    async def employee(self, nip: str) -> EmployeeRef: ...
    async def units(self) -> list[str]: ...
    async def org_predicate(self, unit_code: str, year: int) -> OrgPredikat | None: ...
    async def year_calendar(self, year: int) -> YearCalendar: ...


class Evaluating(Protocol):
    @property
    def policy(self) -> Policy: ...
    def today(self) -> date: ...
    async def one(self, nip: str, period: Period) -> Projection | None: ...


class Reads:
    """The ports are ``ReadModelStore``, ``ReferenceStore`` and ``Evaluations``; tests pass
    fakes."""

    def __init__(self, read_models: UnitLines, reference: People, evaluations: Evaluating) -> None:
        self._read_models = read_models
        self._reference = reference
        self._evaluations = evaluations

    async def evaluation(self, who: Principal, nip: str, p: Period) -> dict[str, Any]:
        if not may_see(who, nip, await self._reference.chain_above(nip)):
            raise Refused("this evaluation is neither yours nor in your chain")
        doc = await self._read_models.evaluation(nip, p.name)
        today = self._evaluations.today().isoformat()
        if doc is None or (p.name == ROLLING and doc.get("as_of") != today):
            projection = await self._evaluations.one(nip, p)
            if projection is None:
                raise NotFound(f"no events and no reference data for NIP {nip}")
            doc = projection.evaluations[p.name]
        # Each figure in a sentence, from the policy it was judged by (made at read time, so a
        # better wording never waits for a recomputation).
        return {**doc, "penjelasan": penjelasan(doc, self._evaluations.policy)}

    async def _may_read_unit(self, who: Principal, unit_code: str) -> None:
        if who.has(Role.ADMIN, Role.OPS):
            return
        mine = await self._reference.employee(who.sub)
        above = await self._reference.employee(mine.supervisor_nip) if mine.supervisor_nip else None
        if not may_see_unit(who, unit_code, mine.unit_code, above.unit_code if above else None):
            raise Refused("a unit's summary is for admin, ops and the unit's head")

    async def calendar(self, who: Principal, year: int) -> YearCalendar:
        """The year's working calendar as scoring judges by it: for admin and ops."""
        if not who.has(Role.ADMIN, Role.OPS):
            raise Refused("the calendar view is for admin and ops")
        return await self._reference.year_calendar(year)

    async def unit_summary(
        self, who: Principal, unit_code: str, p: Period, org: OrgPredikat | None
    ) -> dict[str, Any]:
        await self._may_read_unit(who, unit_code)
        # The predicate an admin set for the unit's year, unless the reader tries another.
        stored = await self._reference.org_predicate(unit_code, p.end.year)
        org = org or stored
        unit = await self._read_models.unit(unit_code, p.name)
        if unit is None or not unit.members:
            raise NotFound(f"no employees registered in unit {unit_code}")
        policy = self._evaluations.policy
        lines = unit.members.values()
        # The pattern judges final predicates: one built on Kinerja's proposal of the behaviour
        # rating (the supervisor has not rated yet) is counted apart.
        rated = [m for m in lines if m.get("predikat") and not m.get("perilaku_is_proposal")]
        counts = Counter(Predikat(m["predikat"]) for m in rated)
        proposals = sum(1 for m in lines if m.get("predikat") and m.get("perilaku_is_proposal"))
        all_tallies = [t for desk in unit.desks.values() for t in desk.values()]
        desks = {d: ikm_of_tallies(t.values(), policy) for d, t in sorted(unit.desks.items())}
        return {
            "unit_code": unit_code,
            "period": p.name,
            "employees": len(unit.members),
            "predicates": dict(Counter(m.get("predikat") or NO_PREDICATE_LABEL for m in lines)),
            "discipline_levels": dict(Counter(m.get("discipline_level") or "none" for m in lines)),
            "ikm": _ikm_brief(ikm_of_tallies(all_tallies, policy)),
            "desks": {d: _ikm_brief(r) for d, r in desks.items() if r is not None},
            "distribution_check": None
            if org is None
            else {**_distribution(org, p, counts, proposals), "stored": org is stored},
            "policy_version": policy.version,
        }

    async def city(self, who: Principal, p: Period) -> list[dict[str, Any]]:
        """Every unit's picture of the period side by side (admin and ops); units without
        employees are left out."""
        if not who.has(Role.ADMIN, Role.OPS):
            raise Refused("the city view is for admin and ops")
        out = []
        for unit_code in sorted(await self._reference.units()):
            try:
                out.append(await self.unit_summary(who, unit_code, p, None))
            except NotFound:
                continue
        return out

    async def members(
        self,
        who: Principal,
        unit_code: str,
        p: Period,
        query: MemberQuery,
        compare: Sequence[Period] = (),
    ) -> MembersPage:
        """A page of a unit's lines: all of it for admin, a supervisor's own team
        (everyone below them in the chain) for a supervisor. ``compare``: other periods whose
        predicate each line also carries (``others``), e.g. the rolling 30 days."""
        if not who.has(Role.ADMIN):
            if not who.has(Role.SUPERVISOR):
                raise Refused("team lists are for supervisors and admin")
            query = query.under(who.sub)
        unit = await self._read_models.unit(unit_code, p.name)
        lines = list(unit.members.values()) if unit else []
        if query.below is not None:
            team = below(query.below, lines)
            lines = [m for m in lines if m["nip"] in team]
        total, page = select(lines, query)
        for other in compare:
            found = await self._read_models.unit(unit_code, other.name)
            theirs = found.members if found else {}
            for m in page:
                m.setdefault("others", {})[other.name] = theirs.get(m["nip"], {}).get("predikat")
        return MembersPage(unit_code, p.name, total, query.page, query.size, page)

    async def outcomes(self, who: Principal, year: int) -> dict[str, Any]:
        # The lists name people with their predicates and reasons: BKPSDM's (admin), not the
        # IT team's (ops reads no individual evaluation anywhere).
        if not who.has(Role.ADMIN):
            raise Refused("the outcome lists are for BKPSDM (admin)")
        entries = await self._read_models.outcomes(year, await self._reference.units())
        return {
            "year": year,
            "recognition": [_outcome_entry(e) for e in entries if e.get("recognition")],
            "coaching": [_outcome_entry(e) for e in entries if e.get("coaching")],
            "policy_version": self._evaluations.policy.version,
        }

    @property
    def policy(self) -> Policy:
        """The policy in force (for the page that explains it)."""
        return self._evaluations.policy

    @property
    def policy_version(self) -> str:
        return self._evaluations.policy.version

    async def tpp_recap(self, who: Principal, p: Period) -> list[RecapRow]:
        """Every unit's lines of the month, as the payroll recap's rows (BKPSDM's)."""
        if not who.has(Role.ADMIN):
            raise Refused("the TPP recap is for BKPSDM (admin)")
        if not p.monthly:  # only a month is; quarters, years and the 30 days are not
            raise Unanswerable("the TPP recap is monthly: ask for a month (2026-11)")
        units = {}
        for unit_code in await self._reference.units():
            unit = await self._read_models.unit(unit_code, p.name)
            if unit is not None:
                units[unit_code] = unit.members
        return recap_rows(units)


def _outcome_entry(e: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "nip": e["nip"],
        "name": e.get("name"),
        "unit_code": e.get("unit_code"),
        "predikat": e.get("predikat"),
        "reasons": list(e.get("reasons", [])),
    }


def _ikm_brief(r: IkmResult | None) -> dict[str, Any] | None:
    if r is None:
        return None
    return {
        "responses": r.responses,
        "converted": r.converted,
        "category": r.category,
        "final": r.final,
    }


def _distribution(
    org: OrgPredikat, p: Period, counts: Counter[Predikat], proposals: int
) -> dict[str, Any]:
    """PermenPANRB 6/2022's pattern applies to the annual evaluation only (the organisational
    predicate is the year's); for another period the check says so instead of judging."""
    annual = p.name.isdigit()
    return {
        "org_predicate": org.value,
        "applies": annual,
        "why": None if annual else "pola distribusi hanya berlaku untuk penilaian tahunan",
        "problems": distribution_check(org, counts) if annual else [],
        "counted": sum(counts.values()),
        "proposals_not_counted": proposals,
    }
