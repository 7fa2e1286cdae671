"""Dates and times as Indonesian readers write them (pure): ``29 November 2026``, ``pukul 21.05
WIB``."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")
BULAN = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip


def tanggal(d: date) -> str:
    """``29 November 2026``."""
    return f"{d.day} {BULAN[d.month - 1]} {d.year}"


def waktu_wib(at: datetime) -> str:
    """A moment in Western Indonesian Time: ``29 November 2026 pukul 21.05 WIB``."""
    local = at.astimezone(WIB)
    return f"{tanggal(local.date())} pukul {local:%H.%M} WIB"
