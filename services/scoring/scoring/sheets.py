"""Tables as the files an office opens (CSV and XLSX, openpyxl): a header row in bold, NIPs kept
as text, a closing line naming the policy."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter


def csv_bytes(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that a spreadsheet opens Indonesian names right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    footer: str,
    widths: Sequence[int],
    text_columns: Sequence[int],
) -> bytes:
    """One sheet. ``text_columns`` (1-based) are kept as text: an 18-digit NIP as a number
    would lose its last digits."""
    book = Workbook()
    sheet = book.active
    if sheet is None:  # a new workbook has its first sheet; this keeps the types honest
        raise RuntimeError("openpyxl made a workbook without a sheet")
    sheet.title = title[:31]  # Excel's limit for a sheet's name
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        for column in text_columns:
            sheet.cell(row=sheet.max_row, column=column).number_format = "@"
    sheet.append([])
    sheet.append([footer])
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
