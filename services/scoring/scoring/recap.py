"""The month's recap of TPP deductions for discipline (rekap potongan TPP), per OPD and employee:
the file payroll takes, as CSV or XLSX (``scoring.sheets``). One row per employee, the units in
order, with the figures the deduction follows from, so that a payroll clerk can answer a
question without opening Kinerja."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass
from typing import Any

from scoring.sheets import csv_bytes, xlsx_bytes

#: The columns' headers, in Indonesian, in the order of ``RecapRow``'s fields.
HEADERS = (
    "Kode OPD",
    "NIP",
    "Nama",
    "Jabatan",
    "Hari kerja dinilai",
    "Hadir",
    "Tanpa keterangan",
    "Hari TL/PSW",
    "Potongan TPP disiplin (%)",
)


@dataclass(frozen=True)
class RecapRow:
    unit_code: str
    nip: str
    name: str
    position: str
    working_days_judged: int
    hadir: int
    tanpa_keterangan: int
    tl_psw_days: int
    deduction_percent: float


def recap_rows(units: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[RecapRow]:
    """Each unit's stored lines (by NIP) as rows, units and names in order; a line without a
    deduction (no working day judged yet) counts 0."""
    return [
        RecapRow(
            unit_code,
            line["nip"],
            line.get("name") or "",
            line.get("position") or "",
            int(line.get("working_days_judged", 0)),
            int(line.get("hadir", 0)),
            int(line.get("tanpa_keterangan", 0)),
            int(line.get("tl_psw_days", 0)),
            float(line.get("tpp_disiplin_deduction_percent") or 0),
        )
        for unit_code in sorted(units)
        for line in sorted(units[unit_code].values(), key=lambda m: (m.get("name") or "", m["nip"]))
    ]


def to_csv(rows: Iterable[RecapRow]) -> bytes:
    return csv_bytes(HEADERS, (astuple(r) for r in rows))


def to_xlsx(rows: Iterable[RecapRow], period: str, policy_version: str) -> bytes:
    return xlsx_bytes(
        f"TPP {period}",
        HEADERS,
        (astuple(r) for r in rows),
        f"Kinerja, kebijakan {policy_version}; potongan menurut tabel TPP kota",
        widths=(10, 22, 30, 30, 10, 8, 10, 10, 14),
        text_columns=(2,),
    )


OUTCOME_HEADERS = ("Daftar", "Kode OPD", "NIP", "Nama", "Predikat", "Alasan")


def outcome_rows(outcomes: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The year's recognition candidates and coaching list as one table, each with its reasons."""
    return [
        (
            label,
            e.get("unit_code") or "",
            e["nip"],
            e.get("name") or "",
            e.get("predikat") or "",
            "; ".join(e.get("reasons", [])),
        )
        for key, label in (("recognition", "Penghargaan"), ("coaching", "Pembinaan"))
        for e in outcomes[key]
    ]


def outcomes_file(outcomes: Mapping[str, Any], format: str) -> bytes:
    rows = outcome_rows(outcomes)
    if format == "csv":
        return csv_bytes(OUTCOME_HEADERS, rows)
    return xlsx_bytes(
        f"Hasil {outcomes['year']}",
        OUTCOME_HEADERS,
        rows,
        f"Kinerja, kebijakan {outcomes['policy_version']}",
        widths=(14, 10, 22, 30, 18, 60),
        text_columns=(3,),
    )
