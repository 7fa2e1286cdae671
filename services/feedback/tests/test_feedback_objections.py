"""Objections (keberatan, PP 30/2019 Pasal 59) with fake ports: who may object and decide, the
14-day window, once-only decisions, and what is published for scoring and the notifier."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from feedback.dialogue import Conflict, NotFound, Refused
from feedback.domain import filing_window
from feedback.models import DecisionRequest, ObjectionRequest
from feedback.objections import Objections
from kinerja_shared.clock import ManualClock
from kinerja_shared.events import ObjectionDecidedEvent, ObjectionFiledEvent
from kinerja_shared.identity import Principal
from kinerja_shared.orgchart import Person
from kinerja_shared.periods import named

KADIS, KABID, STAFF = "197501012000031001", "198001012005011002", "198609262015051001"
Doc = dict[str, Any]
CHART = {
    KADIS: Person(KADIS, "Kepala Dinas", "DISDIK"),
    KABID: Person(KABID, "Kepala Bidang", "DISDIK", KADIS),
    STAFF: Person(STAFF, "Staf", "DISDIK", KABID),
}


class FakeStore:
    def __init__(self) -> None:
        self.objections: dict[str, Doc] = {}
        self.decisions: dict[str, Doc] = {}
        self.ratings: list[Doc] = []
        self.audit: list[Doc] = []

    async def ratings_of(self, nip: str) -> list[Doc]:
        return [r for r in self.ratings if r["nip"] == nip]

    async def objection(self, objection_id: str) -> Doc | None:
        found = self.objections.get(objection_id)
        return None if found is None else {**found, "decision": self.decisions.get(objection_id)}

    async def objections_of(self, nip: str) -> list[Doc]:
        return [
            {**o, "decision": self.decisions.get(o["_id"])}
            for o in self.objections.values()
            if o["nip"] == nip
        ]

    async def record(self, entry: Doc) -> None:
        self.audit.append(entry)


class FakePeople:
    async def chart(self, nips: Sequence[str], depth: int = 8) -> dict[str, Person]:
        return dict(CHART) if any(n in CHART for n in nips) else {}


class Publisher:
    """Applies an outbox entry's changes to the fake store, as the real one does."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.events: list[Any] = []

    async def publish(
        self, event: Any, now: datetime, changes: Sequence[tuple[str, Doc]] = ()
    ) -> bool:
        self.events.append(event)
        for collection, doc in changes:
            getattr(self.store, collection).setdefault(doc["_id"], doc)
        return True


def objections(now: datetime) -> tuple[Objections, FakeStore, Publisher]:
    store = FakeStore()
    publisher = Publisher(store)
    clock = ManualClock(now)
    return Objections(store, FakePeople(), publisher, clock), store, publisher


def who(nip: str, *roles: str) -> Principal:
    return Principal(nip, frozenset(roles or {"employee"}))


REASONS = "Penilaian perilaku tidak mempertimbangkan tugas luar yang saya jalankan."


@pytest.mark.parametrize(
    ("period", "rated_on", "today", "allowed", "last_day"),
    [
        # PP 30/2019 Pasal 59: within 14 days of receiving the result.
        ("2026", None, date(2027, 1, 14), True, date(2027, 1, 14)),
        ("2026", None, date(2027, 1, 15), False, date(2027, 1, 14)),
        ("2026", date(2027, 1, 10), date(2027, 1, 24), True, date(2027, 1, 24)),
        ("2026", None, date(2026, 12, 20), False, date(2027, 1, 14)),  # no result yet
        ("2026-11", date(2026, 11, 27), date(2026, 11, 28), True, date(2026, 12, 14)),
        ("2026-Q4", None, date(2027, 1, 2), True, date(2027, 1, 14)),
    ],
)
def test_the_filing_window_is_fourteen_days_from_the_result(
    period: str, rated_on: date | None, today: date, allowed: bool, last_day: date
) -> None:
    assert filing_window(period, rated_on, today) == (allowed, last_day)


@pytest.mark.parametrize(
    ("period", "end"),
    [("2026", date(2026, 12, 31)), ("2026-Q1", date(2026, 3, 31)), ("2026-02", date(2026, 2, 28))],
)
def test_period_end(period: str, end: date) -> None:
    assert named(period).end == end


def test_the_employee_objects_and_the_appraisers_superior_decides_once() -> None:
    cases, store, publisher = objections(datetime(2027, 1, 5, 3, 0, tzinfo=UTC))
    body = ObjectionRequest(period="2026", reasons=REASONS)
    with pytest.raises(Refused, match="only the employee objects"):
        asyncio.run(cases.file(who(KABID, "supervisor"), STAFF, body, None))
    filed, _ = asyncio.run(cases.file(who(STAFF), STAFF, body, "key-00000001"))
    assert (filed["appraiser_nip"], filed["reviewer_nip"]) == (KABID, KADIS)
    assert isinstance(publisher.events[-1], ObjectionFiledEvent)  # tells the reviewer
    assert publisher.events[-1].payload.supervisor_nip == KADIS
    with pytest.raises(Conflict, match="belum diputus"):
        asyncio.run(cases.file(who(STAFF), STAFF, body, "key-00000002"))
    decision = DecisionRequest(
        outcome="diubah", perilaku_kerja="Sesuai Ekspektasi", reasons="Tugas luar terbukti."
    )
    with pytest.raises(Refused, match="atasan pejabat penilai"):  # not the appraiser himself
        asyncio.run(cases.decide(who(KABID, "supervisor"), filed["_id"], decision))
    decided, _ = asyncio.run(cases.decide(who(KADIS, "supervisor"), filed["_id"], decision))
    assert decided["decision"]["outcome"] == "diubah"
    event = next(e for e in publisher.events if isinstance(e, ObjectionDecidedEvent))
    assert (event.nip, event.payload.perilaku_kerja, event.payload.reviewer_nip) == (
        STAFF,
        "Sesuai Ekspektasi",
        KADIS,
    )
    with pytest.raises(Conflict, match="final"):
        asyncio.run(cases.decide(who(KADIS, "supervisor"), filed["_id"], decision))
    refused = [a["action"] for a in store.audit if not a["allowed"]]
    assert refused == ["objection.file", "objection.decide"]


def test_too_late_or_without_a_reviewer_is_refused_with_the_reason() -> None:
    late, _, _ = objections(datetime(2027, 1, 20, 3, 0, tzinfo=UTC))
    with pytest.raises(Refused, match=r"s\.d\. 2027-01-14"):
        asyncio.run(
            late.file(who(STAFF), STAFF, ObjectionRequest(period="2026", reasons=REASONS), None)
        )
    cases, _, _ = objections(datetime(2027, 1, 5, 3, 0, tzinfo=UTC))
    with pytest.raises(NotFound, match="BKPSDM"):  # the head of the OPD has no reviewer here
        asyncio.run(
            cases.file(who(KABID), KABID, ObjectionRequest(period="2026", reasons=REASONS), None)
        )


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"outcome": "diubah", "reasons": "x"}, "names the new hasil_kerja or perilaku_kerja"),
        (
            {"outcome": "ditolak", "hasil_kerja": "Di Atas Ekspektasi", "reasons": "x"},
            "changes no rating",
        ),
    ],
)
def test_a_decision_says_what_it_changes(body: Doc, error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        DecisionRequest.model_validate(body)
