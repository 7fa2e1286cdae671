"""The evaluation document (Dokumen Evaluasi Kinerja Pegawai) and its verification code, over
fake stores: the PDF's text read back with pypdf, as a reader's tool would."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from kinerja_shared.clock import ManualClock
from kinerja_shared.documents import UNKNOWN_CODE, Issued, latin, tanggal, verification_code
from kinerja_shared.identity import Principal
from kinerja_shared.periods import Period, named
from scoring.documents import Documents, evaluation_code
from scoring.domain.performance import OrgPredikat
from scoring.domain.policy import Policy
from scoring.domain.projection import EmployeeRef, Projection
from scoring.policy_file import load_policy
from scoring.reads import NotFound, Reads, Unanswerable
from scoring.store import UnitSummary, YearCalendar

POLICY = load_policy()
NIP, BOSS, OTHER = "199001152015031001", "197805102005011002", "198502202010012003"
NOW = datetime(2026, 11, 29, 17, 5, tzinfo=UTC)  # already 30 November in WIB


def evaluation(absent: int = 1) -> dict[str, Any]:
    return {
        "nip": NIP,
        "period": "2026-11",
        "policy_version": "tanjungbalai-2026.1",
        "employee": {"known": True, "unit_code": "DISDIK", "schedule": "standar"},
        "attendance": {
            "working_days_judged": 20,
            "hadir": 20 - absent,
            "izin": 0,
            "tanpa_keterangan": absent,
            "tl_psw_days": 2,
            "late_minutes": 40,
            "early_minutes": 0,
            "categories": {"TL2": 2},
        },
        "tpp_disiplin_deduction_percent": 3.0 * absent,
        "discipline": {"counted_days": absent, "level": None, "sanction": None},
        "hasil_kerja": {"rating": "Sesuai Ekspektasi", "year_elapsed": 0.9, "indicators": []},
        "perilaku_kerja": {"rating": "Di Atas Ekspektasi", "proposal": False},
        "predikat": "Baik",
    }


class Stored:
    """The read model of one evaluation, and the documents handed out."""

    def __init__(self) -> None:
        self.doc = evaluation()
        self.documents: dict[str, Issued] = {}

    async def evaluation(self, nip: str, period: str) -> dict[str, Any] | None:
        return dict(self.doc) if nip == NIP and period == "2026-11" else None

    async def unit(self, unit_code: str, period: str) -> UnitSummary | None:
        return None

    async def outcomes(self, year: int, units: Sequence[str]) -> list[dict[str, Any]]:
        return []

    async def issue(self, issued: Issued) -> Issued:
        return self.documents.setdefault(issued.code, issued)

    async def issued(self, code: str) -> Issued | None:
        return self.documents.get(code)


class People:
    async def chain_above(self, nip: str) -> list[str]:
        return [BOSS] if nip == NIP else []

    async def employee(self, nip: str) -> EmployeeRef:
        if nip == BOSS:
            return EmployeeRef(BOSS, True, "Dra. Siti Aminah", "Kepala Bidang", "DISDIK")
        return EmployeeRef(NIP, True, "Budi Santoso", "Analis SDM", "DISDIK", BOSS)

    async def units(self) -> list[str]:
        return ["DISDIK"]

    async def org_predicate(self, unit_code: str, year: int) -> OrgPredikat | None:
        return OrgPredikat.BAIK

    async def year_calendar(self, year: int) -> YearCalendar:
        return YearCalendar(year, None, [], [])


class Evaluating:
    @property
    def policy(self) -> Policy:
        return POLICY

    def today(self) -> date:
        return NOW.date()

    async def one(self, nip: str, period: Period) -> Projection | None:
        return None


def documents() -> tuple[Documents, Stored]:
    stored = Stored()
    reads = Reads(stored, People(), Evaluating())
    return Documents(reads, People(), stored, ManualClock(NOW), "Tanjungbalai"), stored


def text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


EMPLOYEE = Principal(NIP, frozenset({"employee"}))
SUPERVISOR = Principal(BOSS, frozenset({"supervisor"}))
STRANGER = Principal(OTHER, frozenset({"supervisor"}))


def test_the_document_states_the_parties_the_ratings_and_each_figures_reason() -> None:
    docs, _ = documents()
    pdf, issued = asyncio.run(docs.evaluation(EMPLOYEE, NIP, named("2026-11")))
    said = text(pdf)
    for expected in [
        "DOKUMEN EVALUASI KINERJA PEGAWAI",
        "PERIODE BULANAN: 1 NOVEMBER 2026 s.d. 30 NOVEMBER 2026",
        "Budi Santoso",
        NIP,
        "Analis SDM",
        "Dra. Siti Aminah",  # the appraiser, from the reference data
        "Capaian kinerja organisasi",
        "Sesuai Ekspektasi",
        "Di Atas Ekspektasi",
        "Predikat kinerja pegawai",
        "PP 94/2021",  # the discipline sentence names its rule
        "Tanjungbalai, 30 November 2026",  # the date in WIB, as the footer's
        f"Kode verifikasi: {issued.code}",
        "Kebijakan tanjungbalai-2026.1",
        "30 November 2026 pukul 00.05 WIB",  # 17:05 UTC in Western Indonesian Time
    ]:
        assert expected in said, expected
    assert issued.code.startswith("EV-")
    assert len(issued.code) == 22
    assert (issued.nip, issued.about, issued.issued_by) == (NIP, "2026-11", NIP)


def test_the_same_figures_give_the_same_code_and_a_changed_figure_another() -> None:
    docs, stored = documents()
    _, first = asyncio.run(docs.evaluation(EMPLOYEE, NIP, named("2026-11")))
    _, again = asyncio.run(docs.evaluation(SUPERVISOR, NIP, named("2026-11")))
    assert again == first  # issued again: the first issue is kept
    verdict = asyncio.run(docs.verify(SUPERVISOR, first.code.lower()))
    assert verdict.matches
    assert "Budi Santoso" in verdict.what
    assert verdict.kalimat.startswith("Dokumen asli")
    stored.doc = evaluation(absent=2)  # a late absence counted after printing
    changed = asyncio.run(docs.verify(SUPERVISOR, first.code))
    assert not changed.matches
    assert "sudah berubah sejak dicetak" in changed.kalimat
    _, newer = asyncio.run(docs.evaluation(EMPLOYEE, NIP, named("2026-11")))
    assert newer.code != first.code


def test_unknown_codes_and_other_peoples_documents_answer_alike() -> None:
    docs, _ = documents()
    _, issued = asyncio.run(docs.evaluation(EMPLOYEE, NIP, named("2026-11")))
    for who, code in [(SUPERVISOR, "EV-0000-0000-0000-0000"), (STRANGER, issued.code)]:
        with pytest.raises(NotFound, match=UNKNOWN_CODE):
            asyncio.run(docs.verify(who, code))


def test_the_rolling_window_has_no_document() -> None:
    docs, _ = documents()
    window = Period("30d", date(2026, 10, 31), date(2026, 11, 29), monthly=False)
    with pytest.raises(Unanswerable):
        asyncio.run(docs.evaluation(EMPLOYEE, NIP, window))


def test_the_code_ignores_what_is_worded_at_read_time() -> None:
    doc = evaluation()
    worded = {**doc, "penjelasan": {"kehadiran": "..."}, "as_of": "2026-11-29"}
    assert evaluation_code(worded) == evaluation_code(doc)
    assert verification_code("EV", {"b": 1, "a": 2}) == verification_code("EV", {"a": 2, "b": 1})


def test_indonesian_dates_and_text_the_core_fonts_can_print() -> None:
    assert tanggal(date(2026, 8, 17)) == "17 Agustus 2026"
    assert latin("“Baik” – Ṣaleh’s") == '"Baik" - Saleh\'s'
    assert latin("名") == "?"
