"""Cara penilaian: the rules page is made from the policy file, so it states the city's own
figures (PP 94/2021's ladder, the TL/PSW table, the IKM bands, PermenPANRB 6/2022's matrix) and
a changed figure changes the page."""

from __future__ import annotations

import pytest

from scoring.domain.guide import Bagian, cara_penilaian
from scoring.domain.performance import PREDICATE_MATRIX, Rating
from scoring.domain.policy import Policy
from scoring.policy_file import load_policy

POLICY = load_policy()


def section(title: str, policy: Policy = POLICY) -> Bagian:
    return next(b for b in cara_penilaian(policy) if b.judul.startswith(title))


@pytest.mark.parametrize(
    ("title", "said"),
    [
        ("Jam kerja", "Jadwal standar: Senin–Kamis 07.30–16.00 (istirahat 12.00–13.00); Jumat"),
        ("Jam kerja", "Mulai 19 Februari 2026 sampai 20 Maret 2026, pegawai berjadwal standar"),
        ("Jam kerja", "Jadwal shift_malam (shift malam: berakhir keesokan paginya): Senin–Minggu"),
        ("Disiplin", "setiap 450 menit dihitung satu hari"),
        ("Disiplin", "10 hari kerja berturut-turut"),
        ("Tidak masuk", "memotong TPP 3%"),
        ("Tidak masuk", "paling banyak 100%"),
        ("Indeks", "dikali 0,111"),
        ("Indeks", "sedikitnya 30 penilaian"),
        ("Hasil kerja", "110% atau lebih"),
        ("Perilaku", "paling banyak 2 hari TL/PSW"),
        ("Peringatan", "3 hari atau lebih dalam satu minggu"),
    ],
)  # fmt: skip
def test_each_section_states_the_policys_figures(title: str, said: str) -> None:
    assert any(said in k for k in section(title).kalimat), section(title).kalimat


@pytest.mark.parametrize(
    "row",
    [
        ["TL1", "terlambat 1–30 menit", "0,5%"],
        ["TL2", "terlambat 31–60 menit", "1%"],
        ["TL4", "terlambat 91 menit atau lebih", "1,5%"],
        ["PSW3", "pulang cepat 61–90 menit", "1,25%"],
    ],
)
def test_the_tl_psw_table_with_each_figures_source(row: list[str]) -> None:
    rows = {r[0]: r for r in section("Terlambat").tabel[1:]}
    assert rows[row[0]][:3] == row
    assert rows[row[0]][3].startswith("aturan lokal")


def test_pp94_ladder_and_the_predicate_matrix_as_tables() -> None:
    ladder = section("Disiplin").tabel
    assert ladder[0] == ["Mulai hari ke-", "Tingkat", "Hukuman disiplin"]
    assert [(r[0], r[1]) for r in ladder[1:]] == [
        ("3", "ringan"), ("4", "ringan"), ("7", "ringan"),
        ("11", "sedang"), ("14", "sedang"), ("17", "sedang"),
        ("21", "berat"), ("25", "berat"), ("28", "berat"),
    ]  # fmt: skip
    matrix = section("Predikat").tabel
    columns = matrix[0][1:]
    for row in matrix[1:]:
        for column, cell in zip(columns, row[1:], strict=True):
            assert cell == PREDICATE_MATRIX[(Rating(row[0]), Rating(column))].value
    assert matrix[1] == ["Di Atas Ekspektasi", "Kurang/Misconduct", "Baik", "Sangat Baik"]


def test_a_changed_policy_changes_the_page() -> None:
    stricter = POLICY.model_copy(
        update={"discipline": POLICY.discipline.model_copy(update={"minutes_per_day": 420})}
    )
    assert any("setiap 420 menit" in k for k in section("Disiplin", stricter).kalimat)
