"""The coaching record (Format B.1.8 of PermenPANRB 6/2022, Umpan Balik Pelaksanaan Bimbingan
Kinerja) as PDF, and the check of its verification code (use cases).

The code is a hash of the session as stored, so the employee's answers change it: a record
printed before the employee answered is no longer the current one once they have.

The record names its form and the version of the city's performance policy in force when it
was printed (scoring's, which judges the figures the coaching is about): a record read years
later says under which rules the talk took place.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from feedback.dialogue import Dialogue, NotFound, People, Refused
from kinerja_shared.clock import Clock
from kinerja_shared.documents import (
    UNKNOWN_CODE,
    Issued,
    IssuedDocuments,
    Sheet,
    Verdict,
    tanggal,
    verification_code,
    waktu_wib,
)
from kinerja_shared.identity import Principal
from kinerja_shared.indonesian import WIB
from kinerja_shared.orgchart import Person

PREFIX = "BK"
FORM = "Format B.1.8 PermenPANRB 6/2022"
Doc = dict[str, Any]


def record_code(session: Doc) -> str:
    return verification_code(PREFIX, session)


def policy_line(version: str | None) -> str:
    if version is None:
        return "versi kebijakan penilaian tidak tersedia saat dicetak"
    return f"kebijakan penilaian versi {version}"


class CoachingRecords:
    def __init__(
        self,
        dialogue: Dialogue,
        people: People,
        issued: IssuedDocuments,
        clock: Clock,
        place: str,
    ) -> None:
        self._dialogue = dialogue
        self._people = people
        self._issued = issued
        self._clock = clock
        self._place = place

    async def document(
        self, who: Principal, session_id: str, policy_version: str | None
    ) -> tuple[bytes, Issued]:
        """The PDF, for the coached employee, their chain and BKPSDM. ``policy_version``: the
        policy in force, or None when scoring could not say (the record then says so)."""
        session = await self._dialogue.coaching_session(who, session_id)
        now = self._clock.now()
        version = f"{FORM}; {policy_line(policy_version)}"
        issued = await self._issued.issue(
            Issued(record_code(session), session["nip"], session_id, version, now, who.sub)
        )
        chart = await self._people.chart([session["nip"], session["supervisor_nip"]], depth=1)
        parties = (chart.get(session["nip"]), chart.get(session["supervisor_nip"]))
        place_date = f"{self._place}, {tanggal(now.astimezone(WIB).date())}"
        return record_pdf(session, parties, issued, place_date), issued

    async def verify(self, who: Principal, code: str) -> Verdict:
        """Unknown codes and codes of records the reader may not see answer alike."""
        issued = await self._issued.issued(code.strip().upper())
        if issued is None:
            raise NotFound(UNKNOWN_CODE)
        try:
            session = await self._dialogue.coaching_session(who, issued.about)
        except (Refused, NotFound):
            raise NotFound(UNKNOWN_CODE) from None
        day = tanggal(date.fromisoformat(session["date"]))
        what = f"catatan bimbingan kinerja NIP {issued.nip} tanggal {day}"
        return Verdict(issued, what, record_code(session) == issued.code)


def record_pdf(
    session: Doc, parties: tuple[Person | None, Person | None], issued: Issued, place_date: str
) -> bytes:
    employee, supervisor = parties
    footnote = (
        f"{issued.version}. Dicetak {waktu_wib(issued.issued_at)}. Periksa keaslian di konsol "
        "Kinerja, menu Periksa dokumen."
    )
    sheet = Sheet("Umpan Balik Pelaksanaan Bimbingan Kinerja", issued.code, footnote)
    sheet.heading("UMPAN BALIK PELAKSANAAN BIMBINGAN KINERJA", "(FORMAT B.1.8)")
    sheet.fields(
        [
            ("Pegawai yang dibimbing", _named(employee, session["nip"])),
            ("Unit kerja", employee.unit_code if employee else "-"),
            ("Pejabat yang membimbing", _named(supervisor, session["supervisor_nip"])),
            ("Tanggal bimbingan", tanggal(date.fromisoformat(session["date"]))),
        ]
    )
    sheet.section("POKOK BIMBINGAN")
    sheet.grid([(str(i), t) for i, t in enumerate(session["topics"], 1)], (10, 170), False)
    sheet.section("TINDAK LANJUT YANG DISEPAKATI")
    sheet.sentence(session["follow_up"])
    sheet.section("UMPAN BALIK PEGAWAI ATAS BIMBINGAN")
    answered = session.get("employee_feedback")
    if answered:
        rows = [
            (str(i), statement, "Ya" if agreed else "Tidak")
            for i, (statement, agreed) in enumerate(answered["answers"].items(), 1)
        ]
        sheet.grid([("No", "Pernyataan", "Jawaban"), *rows], (10, 145, 25))
        sheet.sentence(f"Pegawai menyetujui {answered['agreed']} pernyataan.")
        if answered.get("comment"):
            sheet.sentence(f"Catatan pegawai: {answered['comment']}")
    else:
        sheet.sentence("Belum diisi oleh pegawai.")
    sheet.signatures(
        place_date,
        [
            ("Pegawai yang dibimbing", employee.name if employee else "", session["nip"]),
            (
                "Pejabat yang membimbing",
                supervisor.name if supervisor else "",
                session["supervisor_nip"],
            ),
        ],
    )
    return sheet.pdf()


def _named(person: Person | None, nip: str) -> str:
    return f"{person.name} (NIP {nip})" if person else f"NIP {nip}"
