"""The plain-Indonesian sentences of an evaluation, with the city's policy values and PP
94/2021's ladder (3 days: teguran lisan, 4: teguran tertulis, 7: pernyataan tidak puas,
11: the first sedang step)."""

from __future__ import annotations

from typing import Any

import pytest

from scoring.domain.explain import disiplin, hasil_kerja, ikm, kehadiran, penjelasan, predikat
from scoring.policy_file import load_policy

POLICY = load_policy()
FINAL = {"responses": 30, "final": True, "converted": 99.9, "category": "A", "label": "Sangat Baik"}


def attendance(**over: Any) -> dict[str, Any]:
    base = {
        "working_days_judged": 20,
        "hadir": 17,
        "izin": 2,
        "tanpa_keterangan": 1,
        "tl_psw_days": 3,
        "late_minutes": 95,
        "early_minutes": 0,
        "categories": {"TL2": 1, "TL3": 2},
    }
    return {**base, **over}


@pytest.mark.parametrize(
    ("counted", "level", "sanction", "said"),
    [
        (0, None, None, "Tingkat berikutnya (Teguran lisan) dimulai pada 3 hari, 3 hari lagi."),
        (2.5, None, None, "dimulai pada 3 hari, 0,5 hari lagi."),
        (3, "ringan", "Teguran lisan", "Tingkat berikutnya (Teguran tertulis) dimulai pada 4"),
        (5, "ringan", "Teguran tertulis", "tertulis) dimulai pada 7 hari, 2 hari lagi."),
        (10, "ringan", "Pernyataan tidak puas", "pada 11 hari, 1 hari lagi."),
        (28, "berat", "Pemberhentian dengan hormat", "tingkat hukuman disiplinnya berat"),
    ],
)  # fmt: skip
def test_the_discipline_sentence_names_the_level_and_the_distance_to_the_next(
    counted: float, level: str | None, sanction: str | None, said: str
) -> None:
    sentence = disiplin({"counted_days": counted, "level": level, "sanction": sanction}, POLICY)
    assert said in sentence
    assert "PP 94/2021" in sentence
    if counted >= 28:
        assert "Tingkat berikutnya" not in sentence  # the last step has no next


def test_attendance_in_days_and_minutes() -> None:
    said = kehadiran(attendance(), "standar")
    assert said.startswith("Dari 20 hari kerja yang dinilai menurut jadwal standar, Anda hadir 17")
    assert "tidak hadir tanpa keterangan 1 hari" in said
    assert "Pada 3 hari Anda terlambat masuk 95 menit seluruhnya." in said
    assert "Tidak ada keterlambatan" in kehadiran(attendance(tl_psw_days=0, late_minutes=0), None)
    assert kehadiran(attendance(working_days_judged=0), None).startswith("Belum ada hari kerja")


@pytest.mark.parametrize(
    ("figure", "said"),
    [
        (None, "Belum ada penilaian warga"),
        ({"responses": 12, "final": False}, "Baru 12 warga menilai; IKM setelah sedikitnya 30"),
        (FINAL, "Nilai IKM 99,9 dari 100, mutu A (Sangat Baik), menurut PermenPANRB 14/2017."),
    ],
)  # fmt: skip
def test_ikm_waits_for_enough_responses(figure: dict[str, Any] | None, said: str) -> None:
    assert said in ikm(figure, POLICY)


def test_targets_behaviour_and_predicate() -> None:
    indicators = [
        {"status": "below", "main": True},
        {"status": "meets", "main": True},
        {"status": "above", "main": False},
    ]
    said = hasil_kerja({"rating": "Sesuai Ekspektasi", "indicators": indicators})
    assert said == (
        "Dari 3 indikator kinerja, 1 di bawah target (1 di antaranya indikator utama). "
        "Hasil kerja dinilai Sesuai Ekspektasi (PermenPANRB 6/2022)."
    )
    doc = {
        "employee": {"schedule": "standar"},
        "attendance": attendance(),
        "discipline": {"counted_days": 1, "level": None, "sanction": None},
        "ikm": None,
        "hasil_kerja": {"rating": "Sesuai Ekspektasi", "indicators": indicators},
        "perilaku_kerja": {"rating": "Di Atas Ekspektasi", "proposal": True},
        "predikat": "Baik",
        "tpp_disiplin_deduction_percent": 2.5,
    }
    out = penjelasan(doc, POLICY)
    assert set(out) == {
        "kehadiran", "disiplin", "ikm", "hasil_kerja", "perilaku_kerja", "predikat", "tpp"
    }  # fmt: skip
    assert "usulan sistem" in out["perilaku_kerja"]
    assert out["tpp"].startswith("TPP dipotong 2,5% karena disiplin")
    assert "TL2 1 kali, TL3 2 kali" in out["tpp"]
    assert predikat(doc) == (
        "Predikat Baik: gabungan hasil kerja Sesuai Ekspektasi dan perilaku kerja "
        "Di Atas Ekspektasi menurut matriks PermenPANRB 6/2022."
    )
