"""Scoring's domain: the rules as pure functions and plain data, no I/O.

- ``attendance``: punches folded per employee and month (order- and duplicate-independent);
- ``policy``: the versioned policy file of a government (thresholds, tables, percentages);
- ``calendar``: working days and each day's standing (hadir, terlambat/TL, pulang cepat/PSW,
  tanpa keterangan, izin/cuti);
- ``discipline``: PP 94/2021 levels and the monthly TPP disiplin deduction;
- ``ikm``: the citizen satisfaction index of PermenPANRB 14/2017;
- ``performance``: Hasil Kerja, Perilaku Kerja and the predicate matrix of PermenPANRB 6/2022,
  annual outcomes and the distribution check.
"""

from scoring.domain.attendance import (
    DayAttendance,
    ExcuseMark,
    MonthAttendance,
    PartialExcuse,
    Punch,
    excuse_marks,
    month_attendance,
    month_of,
    parse_month,
    partial_excuse,
    punch_of,
)

__all__ = [
    "DayAttendance",
    "ExcuseMark",
    "MonthAttendance",
    "PartialExcuse",
    "Punch",
    "excuse_marks",
    "month_attendance",
    "month_of",
    "parse_month",
    "partial_excuse",
    "punch_of",
]
