"""Payroll's recap of TPP deductions: rows by unit and name, the CSV a spreadsheet opens with
Indonesian names intact, and the XLSX with NIPs kept as text (18 digits do not survive as a
number)."""

from __future__ import annotations

import csv
import io
from dataclasses import fields
from typing import Any

from openpyxl import load_workbook

from scoring.recap import (
    HEADERS,
    OUTCOME_HEADERS,
    RecapRow,
    outcome_rows,
    outcomes_file,
    recap_rows,
    to_csv,
    to_xlsx,
)

SITI: dict[str, Any] = {
    "nip": "199001012015011001", "name": "Siti Aminah", "position": "Staf",
    "working_days_judged": 20, "hadir": 18, "tanpa_keterangan": 1, "tl_psw_days": 3,
    "tpp_disiplin_deduction_percent": 4.5,
}  # fmt: skip
AHMAD: dict[str, Any] = {
    "nip": "198505052010012002", "name": "Ahmad Ritonga", "working_days_judged": 0,
    "tpp_disiplin_deduction_percent": None,
}  # fmt: skip
NURAINI: dict[str, Any] = {
    "nip": "199404042018011009", "name": "Nur'aini Sembiring", "working_days_judged": 20,
    "hadir": 20, "tpp_disiplin_deduction_percent": 0.0,
}  # fmt: skip
LINES: dict[str, dict[str, dict[str, Any]]] = {
    "DISDIK": {SITI["nip"]: SITI, AHMAD["nip"]: AHMAD},
    "DINKES": {NURAINI["nip"]: NURAINI},
}


def test_rows_by_unit_then_name_and_no_deduction_counts_zero() -> None:
    rows = recap_rows(LINES)
    assert [(r.unit_code, r.name) for r in rows] == [
        ("DINKES", "Nur'aini Sembiring"),
        ("DISDIK", "Ahmad Ritonga"),
        ("DISDIK", "Siti Aminah"),
    ]
    assert rows[1].deduction_percent == 0.0  # nothing judged yet: no deduction
    assert rows[2] == RecapRow(
        "DISDIK", "199001012015011001", "Siti Aminah", "Staf", 20, 18, 1, 3, 4.5
    )
    assert len(HEADERS) == len(fields(RecapRow))


def test_csv_and_xlsx_hold_the_same_rows() -> None:
    rows = recap_rows(LINES)
    body = to_csv(rows)
    assert body.startswith(b"\xef\xbb\xbf")  # the byte-order mark spreadsheets need for UTF-8
    read = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert read[0] == list(HEADERS)
    assert read[3][1:3] == ["199001012015011001", "Siti Aminah"]
    assert read[3][-1] == "4.5"
    sheet = load_workbook(io.BytesIO(to_xlsx(rows, "2026-11", "2026.2"))).active
    assert sheet is not None
    assert sheet.title == "TPP 2026-11"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == HEADERS
    assert values[3][:3] == ("DISDIK", "199001012015011001", "Siti Aminah")  # NIP as text
    assert values[3][8] == 4.5
    assert "2026.2" in str(values[-1][0])  # the policy the figures follow


OUTCOMES: dict[str, Any] = {
    "year": 2026,
    "policy_version": "2026.2",
    "recognition": [
        {"nip": SITI["nip"], "name": "Siti Aminah", "unit_code": "DISDIK",
         "predikat": "Sangat Baik", "reasons": ["Sangat Baik", "IKM A"]},
    ],
    "coaching": [
        {"nip": AHMAD["nip"], "name": "Ahmad Ritonga", "unit_code": "DISDIK",
         "predikat": "Butuh Perbaikan", "reasons": ["disiplin sedang"]},
    ],
}  # fmt: skip


def test_the_outcome_lists_as_one_table_with_their_reasons_in_both_files() -> None:
    assert outcome_rows(OUTCOMES) == [
        ("Penghargaan", "DISDIK", SITI["nip"], "Siti Aminah", "Sangat Baik", "Sangat Baik; IKM A"),
        (
            "Pembinaan",
            "DISDIK",
            AHMAD["nip"],
            "Ahmad Ritonga",
            "Butuh Perbaikan",
            "disiplin sedang",
        ),
    ]
    text = outcomes_file(OUTCOMES, "csv").decode("utf-8-sig")
    assert next(iter(csv.reader(io.StringIO(text)))) == list(OUTCOME_HEADERS)
    sheet = load_workbook(io.BytesIO(outcomes_file(OUTCOMES, "xlsx"))).active
    assert sheet is not None
    assert sheet.title == "Hasil 2026"
    assert sheet["C2"].value == SITI["nip"]  # text, all 18 digits
    assert sheet["F3"].value == "disiplin sedang"
