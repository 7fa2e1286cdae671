"""The dialogue's use cases with fake ports: who may act, what is audited and published, and
what happens only once; the coaching record (Format B.1.8) as PDF. (The HTTP, Kafka and store
paths are tested in tests/.)"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from feedback.coaching_record import CoachingRecords
from feedback.dialogue import Conflict, Dialogue, NotFound, Refused
from feedback.models import B18Request, CoachingRequest, Content, FeedbackRequest, RatingRequest
from kinerja_shared.clock import ManualClock
from kinerja_shared.documents import UNKNOWN_CODE, Issued
from kinerja_shared.identity import Principal
from kinerja_shared.orgchart import Person

HEAD, STAFF, OUTSIDER = "197501012000031001", "198609262015051001", "199001152015032002"
Doc = dict[str, Any]


class FakeStore:
    def __init__(self) -> None:
        self.threads: dict[str, Doc] = {}
        self.versions: dict[str, Doc] = {}
        self.ratings: dict[str, Doc] = {}
        self.sessions: dict[str, Doc] = {}
        self.audit: list[Doc] = []

    async def add_thread(self, thread: Doc) -> None:
        self.threads.setdefault(thread["_id"], thread)

    async def add_version(self, version: Doc) -> None:
        self.versions.setdefault(version["_id"], version)

    async def thread_with_entries(self, thread_id: str) -> Doc | None:
        thread = self.threads.get(thread_id)
        if thread is None:
            return None
        entries: dict[str, Doc] = {}
        for v in self.versions.values():
            if v["thread_id"] == thread_id:
                entries[v["entry_id"]] = {
                    "id": v["entry_id"],
                    "kind": v["kind"],
                    "author": v["author"],
                    "version": v["version"],
                    "current": v["body"],
                }
        return {**thread, "entries": list(entries.values())}

    async def threads_of(self, nip: str) -> list[Doc]:
        return [t for t in self.threads.values() if t["nip"] == nip]

    async def acknowledge(self, thread_id: str, at: datetime, by: str) -> bool:
        if self.threads[thread_id]["acknowledged"] is not None:
            return False
        self.threads[thread_id]["acknowledged"] = {"at": at, "by": by}
        return True

    async def rating(self, rating_id: str) -> Doc | None:
        return self.ratings.get(rating_id)

    async def ratings_of(self, nip: str) -> list[Doc]:
        return [r for r in self.ratings.values() if r["nip"] == nip]

    async def add_coaching(self, session: Doc) -> None:
        self.sessions[session["_id"]] = session

    async def coaching_session(self, session_id: str) -> Doc | None:
        return self.sessions.get(session_id)

    async def coaching_of(self, nip: str) -> list[Doc]:
        return [s for s in self.sessions.values() if s["nip"] == nip]

    async def answer_b18(self, session_id: str, answers: Doc) -> bool:
        if self.sessions[session_id]["employee_feedback"] is not None:
            return False
        self.sessions[session_id]["employee_feedback"] = answers
        return True

    async def record(self, entry: Doc) -> None:
        self.audit.append(entry)

    async def audit_entries(self, refused_only: bool, limit: int) -> list[Doc]:
        return [a for a in self.audit if not (refused_only and a["allowed"])][:limit]


CHART = {
    HEAD: Person(HEAD, "Kepala", "DISDIK"),
    STAFF: Person(STAFF, "Staf", "DISDIK", HEAD),
    OUTSIDER: Person(OUTSIDER, "Lain", "DUKCAPIL"),
}


class FakePeople:
    async def chart(self, nips: Sequence[str], depth: int = 8) -> dict[str, Person]:
        return dict(CHART) if any(n in CHART for n in nips) else {}


class FakePublisher:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.changes: list[tuple[str, Doc]] = []

    async def publish(
        self, event: Any, now: datetime, changes: Sequence[tuple[str, Doc]] = ()
    ) -> bool:
        self.events.append(event)
        self.changes += list(changes)
        return True


def dialogue() -> tuple[Dialogue, FakeStore, FakePublisher]:
    store, publisher = FakeStore(), FakePublisher()
    clock = ManualClock(datetime(2026, 11, 20, 3, 0, tzinfo=UTC))
    return Dialogue(store, FakePeople(), publisher, clock), store, publisher


def person(nip: str, *roles: str) -> Principal:
    return Principal(nip, frozenset(roles))


FEEDBACK = FeedbackRequest(
    period="2026-11", category="pelayanan", text="Pelayanan cepat dan ramah."
)


def test_a_supervisor_in_the_chain_writes_feedback_which_is_audited_and_published() -> None:
    d, store, publisher = dialogue()
    thread, published = asyncio.run(
        d.post_feedback(person(HEAD, "supervisor"), STAFF, FEEDBACK, "k-12345678")
    )
    assert published
    assert thread["nip"] == STAFF
    assert thread["entries"][0]["current"]["text"] == "Pelayanan cepat dan ramah."
    assert [e.type for e in publisher.events] == ["feedback.posted"]
    assert [(a["action"], a["allowed"]) for a in store.audit] == [("feedback.post", True)]
    # The same Idempotency-Key again names the same thread: nothing new is written.
    again, _ = asyncio.run(
        d.post_feedback(person(HEAD, "supervisor"), STAFF, FEEDBACK, "k-12345678")
    )
    assert again["_id"] == thread["_id"]
    assert len(store.threads) == 1


@pytest.mark.parametrize(
    ("who", "error"),
    [
        (person(OUTSIDER, "supervisor"), Refused),  # a supervisor, but not in this chain
        (person(STAFF), Refused),  # the employee does not write their own feedback
        (person(HEAD, "supervisor"), NotFound),  # about someone the reference data lacks
    ],
)
def test_feedback_outside_the_chain_is_refused_and_the_refusal_audited(
    who: Principal, error: type[Exception]
) -> None:
    d, store, publisher = dialogue()
    nip = "200001012020011001" if error is NotFound else STAFF
    with pytest.raises(error):
        asyncio.run(d.post_feedback(who, nip, FEEDBACK, None))
    assert publisher.events == []
    assert store.threads == {}
    assert [a["allowed"] for a in store.audit] == ([False] if error is Refused else [])


def test_the_employee_acknowledges_once_and_only_the_author_edits() -> None:
    d, _, _ = dialogue()
    thread, _ = asyncio.run(d.post_feedback(person(HEAD, "supervisor"), STAFF, FEEDBACK, None))
    asyncio.run(d.acknowledge(person(STAFF), thread["_id"]))
    with pytest.raises(Conflict):
        asyncio.run(d.acknowledge(person(STAFF), thread["_id"]))
    with pytest.raises(Refused):
        asyncio.run(d.edit(person(STAFF), thread["_id"], "e1", Content(text="bukan milik saya")))
    edited = asyncio.run(
        d.edit(person(HEAD, "supervisor"), thread["_id"], "e1", Content(text="Lebih jelas."))
    )
    assert edited["entries"][0]["version"] == 2
    assert edited["entries"][0]["current"]["text"] == "Lebih jelas."


def test_a_rating_travels_with_its_event_and_a_repeated_key_counts_once() -> None:
    d, store, publisher = dialogue()
    body = RatingRequest(period="2026-Q4", rating="Sesuai Ekspektasi", justification="Konsisten.")
    doc, published, repeated = asyncio.run(
        d.rate(person(HEAD, "supervisor"), STAFF, body, "r-12345678")
    )
    assert (published, repeated) == (True, False)
    assert publisher.changes == [("ratings", doc)]  # the rating and its event: one outbox entry
    assert publisher.events[0].payload.rated_by == HEAD
    store.ratings[doc["_id"]] = doc  # what the outbox applies with the event
    _, _, repeated = asyncio.run(d.rate(person(HEAD, "supervisor"), STAFF, body, "r-12345678"))
    assert repeated
    assert len(publisher.events) == 1


def test_format_b18_is_the_coached_employees_to_answer_once() -> None:
    d, _, _ = dialogue()
    session = asyncio.run(
        d.coach(
            person(HEAD, "supervisor"),
            STAFF,
            CoachingRequest(date=date(2026, 11, 19), topics=["Disiplin"], follow_up="Dua minggu"),
        )
    )
    answers = B18Request(answers=[True] * 9)
    with pytest.raises(Refused):
        asyncio.run(d.answer_b18(person(HEAD, "supervisor"), session["_id"], answers))
    done = asyncio.run(d.answer_b18(person(STAFF), session["_id"], answers))
    assert done["employee_feedback"]["agreed"] == "9/9"
    with pytest.raises(Conflict):
        asyncio.run(d.answer_b18(person(STAFF), session["_id"], answers))


# --- the coaching record (Format B.1.8) as PDF, read back with pypdf --------------------------

NOW = datetime(2026, 11, 29, 14, 5, tzinfo=UTC)


class Issuing:
    def __init__(self) -> None:
        self.documents: dict[str, Issued] = {}

    async def issue(self, issued: Issued) -> Issued:
        return self.documents.setdefault(issued.code, issued)

    async def issued(self, code: str) -> Issued | None:
        return self.documents.get(code)


def text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


SESSION = CoachingRequest(
    date=date(2026, 11, 18),
    topics=["Ketepatan waktu layanan KTP", "Penggunaan aplikasi SIAK"],
    follow_up="Pelatihan SIAK bulan Desember",
)


def test_the_record_states_the_session_and_the_employees_answers_and_a_new_code() -> None:
    d, _, _ = dialogue()
    records = CoachingRecords(d, FakePeople(), Issuing(), ManualClock(NOW), "Tanjungbalai")
    session = asyncio.run(d.coach(person(HEAD, "supervisor"), STAFF, SESSION))
    before, first = asyncio.run(records.document(person(STAFF), session["_id"], "tanjungbalai-3"))
    said = text(before)
    for expected in [
        "UMPAN BALIK PELAKSANAAN BIMBINGAN KINERJA",
        "(FORMAT B.1.8)",
        f"Staf (NIP {STAFF})",
        f"Kepala (NIP {HEAD})",
        "18 November 2026",
        "Ketepatan waktu layanan KTP",
        "Pelatihan SIAK bulan Desember",
        "Belum diisi oleh pegawai.",
        f"Kode verifikasi: {first.code}",
        "kebijakan penilaian versi tanjungbalai-3",
    ]:
        assert expected in said, expected
    answers = [True] * 7 + [False, True]
    asyncio.run(d.answer_b18(person(STAFF), session["_id"], B18Request(answers=answers)))
    after, second = asyncio.run(records.document(person(HEAD, "supervisor"), session["_id"], None))
    said = text(after)
    assert "versi kebijakan penilaian tidak tersedia saat dicetak" in said  # scoring was away
    assert "Saya merasa didengarkan" in said
    assert "Pegawai menyetujui 8/9 pernyataan." in said
    assert second.code != first.code  # the answers are part of what it states
    assert second.code.startswith("BK-")
    old = asyncio.run(records.verify(person(STAFF), first.code))
    assert not old.matches
    assert "sudah berubah" in old.kalimat
    assert asyncio.run(records.verify(person(HEAD, "supervisor"), second.code)).matches


def test_outsiders_get_neither_the_record_nor_an_answer_about_its_code() -> None:
    d, _, _ = dialogue()
    issuing = Issuing()
    records = CoachingRecords(d, FakePeople(), issuing, ManualClock(NOW), "Tanjungbalai")
    session = asyncio.run(d.coach(person(HEAD, "supervisor"), STAFF, SESSION))
    _, issued = asyncio.run(records.document(person(STAFF), session["_id"], "v1"))
    for code in [issued.code, "BK-0000-0000-0000-0000"]:
        with pytest.raises(NotFound, match=UNKNOWN_CODE):
            asyncio.run(records.verify(person(OUTSIDER, "supervisor"), code))
