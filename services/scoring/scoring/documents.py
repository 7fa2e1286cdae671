"""The employee's evaluation document (Dokumen Evaluasi Kinerja Pegawai, after PermenPANRB
6/2022's annex) as PDF, and the check of a document's verification code (use cases).

The code is a hash of the evaluation's figures (not of the sentences, which are worded at read
time, nor of the rolling window's date), so a document printed today and checked next year says
whether the figures still stand: late events, a corrected rating or a new policy change them.
"""

from __future__ import annotations

from typing import Any

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
from kinerja_shared.periods import Period, named
from scoring.domain.projection import EmployeeRef
from scoring.reads import NotFound, People, Reads, Refused, Unanswerable

PREFIX = "EV"
#: Not part of what a document states: worded at read time, or the day it was read.
_NOT_STATED = frozenset({"penjelasan", "as_of"})
_ASPECTS = (
    ("kehadiran", "Kehadiran"),
    ("disiplin", "Disiplin (PP 94/2021)"),
    ("tpp", "Potongan TPP"),
    ("ikm", "Indeks Kepuasan Masyarakat"),
    ("hasil_kerja", "Hasil kerja"),
    ("perilaku_kerja", "Perilaku kerja"),
    ("predikat", "Predikat"),
)


def evaluation_code(doc: dict[str, Any]) -> str:
    return verification_code(PREFIX, {k: v for k, v in doc.items() if k not in _NOT_STATED})


class Documents:
    def __init__(
        self, reads: Reads, people: People, issued: IssuedDocuments, clock: Clock, place: str
    ) -> None:
        self._reads = reads
        self._people = people
        self._issued = issued
        self._clock = clock
        self._place = place

    async def evaluation(self, who: Principal, nip: str, p: Period) -> tuple[bytes, Issued]:
        """The PDF of a month, quarter or year, for whoever may read the evaluation."""
        if p.name == "30d":
            raise Unanswerable("a document is for a month, a quarter or a year, not 30 days")
        doc = await self._reads.evaluation(who, nip, p)
        me = await self._people.employee(nip)
        boss = await self._people.employee(me.supervisor_nip) if me.supervisor_nip else None
        org = await self._people.org_predicate(me.unit_code, p.end.year) if me.unit_code else None
        now = self._clock.now()
        version = str(doc.get("policy_version", ""))
        issued = await self._issued.issue(
            Issued(evaluation_code(doc), nip, p.name, version, now, who.sub)
        )
        parties = (me, boss, org.value if org else None)
        return evaluation_pdf(
            doc, p, parties, issued, f"{self._place}, {tanggal(now.astimezone(WIB).date())}"
        ), issued

    async def verify(self, who: Principal, code: str) -> Verdict:
        """Unknown codes and codes of documents the reader may not see answer alike."""
        issued = await self._issued.issued(code.strip().upper())
        if issued is None:
            raise NotFound(UNKNOWN_CODE)
        try:
            doc = await self._reads.evaluation(who, issued.nip, named(issued.about))
        except (Refused, NotFound):
            raise NotFound(UNKNOWN_CODE) from None
        name = (await self._people.employee(issued.nip)).name or "pegawai"
        what = f"evaluasi {name} (NIP {issued.nip}) periode {issued.about}"
        return Verdict(issued, what, evaluation_code(doc) == issued.code)


def _rating(value: Any, missing: str = "belum ada") -> str:
    return str(value) if value else missing


def evaluation_pdf(
    doc: dict[str, Any],
    p: Period,
    parties: tuple[EmployeeRef, EmployeeRef | None, str | None],
    issued: Issued,
    place_date: str,
) -> bytes:
    me, boss, org = parties
    footnote = (
        f"Kebijakan {issued.version}. Dicetak {waktu_wib(issued.issued_at)}. Periksa keaslian "
        "di konsol Kinerja, menu Periksa dokumen."
    )
    sheet = Sheet("Dokumen Evaluasi Kinerja Pegawai", issued.code, footnote)
    kind = "BULANAN" if p.monthly else "TAHUNAN" if len(p.name) == 4 else "TRIWULAN"
    sheet.heading(
        "DOKUMEN EVALUASI KINERJA PEGAWAI",
        f"PERIODE {kind}: {tanggal(p.start).upper()} s.d. {tanggal(p.end).upper()}",
    )
    sheet.section("PEGAWAI YANG DINILAI")
    sheet.fields(_person(me))
    sheet.section("PEJABAT PENILAI KINERJA")
    sheet.fields(_person(boss) if boss else [("Nama", "belum tercatat di data referensi")])
    sheet.section("EVALUASI KINERJA")
    behaviour = doc.get("perilaku_kerja") or {}
    proposal = " (usulan sistem, belum dinilai atasan)" if behaviour.get("proposal") else ""
    sheet.fields(
        [
            ("Capaian kinerja organisasi", _rating(org, "belum ditetapkan")),
            ("Rating hasil kerja", _rating((doc.get("hasil_kerja") or {}).get("rating"))),
            ("Rating perilaku kerja", _rating(behaviour.get("rating")) + proposal),
            ("Predikat kinerja pegawai", _rating(doc.get("predikat"))),
        ]
    )
    sheet.section("RINCIAN DAN DASAR PENILAIAN")
    sentences = doc.get("penjelasan") or {}
    rows = [(label, sentences[key]) for key, label in _ASPECTS if key in sentences]
    sheet.grid([("Aspek", "Penjelasan"), *rows], widths=(45, 135))
    sheet.sentence(
        "Setiap angka dihitung Kinerja dari peristiwa yang tercatat (mesin presensi, layanan, "
        "target) menurut aturan yang disebut; rinciannya dapat dilihat di halaman Kinerja saya."
    )
    sheet.signatures(
        place_date,
        [
            ("Pegawai yang dinilai", me.name or "", me.nip),
            ("Pejabat Penilai Kinerja", boss.name or "" if boss else "", boss.nip if boss else ""),
        ],
    )
    return sheet.pdf()


def _person(ref: EmployeeRef) -> list[tuple[str, str]]:
    return [
        ("Nama", ref.name or "-"),
        ("NIP", ref.nip),
        ("Jabatan", ref.position or "-"),
        ("Unit kerja", ref.unit_code or "-"),
    ]
