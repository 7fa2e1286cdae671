"""The month's recap of TPP deductions for discipline (rekap potongan TPP), per OPD and employee:
the file payroll takes, as CSV or XLSX (openpyxl). One row per employee, the units in order,
with the figures the deduction follows from, so that a payroll clerk can answer a question
without opening Kinerja."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import astuple, dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

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
    """UTF-8 with a byte-order mark, so that a spreadsheet opens Indonesian names right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    writer.writerows(astuple(r) for r in rows)
    return out.getvalue().encode("utf-8-sig")


def to_xlsx(rows: Iterable[RecapRow], period: str, policy_version: str) -> bytes:
    """One sheet; NIPs as text (an 18-digit number would lose its last digits)."""
    book = Workbook()
    sheet = book.active
    if sheet is None:  # a new workbook has its first sheet; this keeps the types honest
        raise RuntimeError("openpyxl made a workbook without a sheet")
    sheet.title = f"TPP {period}"
    sheet.append(list(HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(astuple(row)))
        sheet.cell(row=sheet.max_row, column=2).number_format = "@"
    sheet.append([])
    sheet.append([f"Kinerja, kebijakan {policy_version}; potongan menurut tabel TPP kota"])
    widths = (10, 22, 30, 30, 10, 8, 10, 10, 14)
    for column, width in zip("ABCDEFGHI", widths, strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
