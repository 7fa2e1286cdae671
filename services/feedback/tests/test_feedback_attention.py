"""Needs attention this week: who crossed a threshold (scoring's lines), who had no feedback
this quarter, which agreed actions are past due; each with its reason in words."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import pytest

from feedback.attention import needs_attention, quarter_start, reasons
from feedback.store import AgreedAction
from kinerja_shared.orgchart import Person

A, B, C = "198609262015051001", "199001152015032002", "199203042016011003"
TEAM = [
    Person(A, "Ani", "DISDIK", "197501012000031001"),
    Person(B, "Budi", "DISDIK", "197501012000031001"),
    Person(C, "Citra", "DISDIK", A),
]
TODAY = date(2026, 11, 29)


class Dialogue:
    async def last_threads(self, nips: list[str]) -> dict[str, datetime]:
        return {A: datetime(2026, 10, 2, 3, tzinfo=UTC), B: datetime(2026, 9, 30, 3, tzinfo=UTC)}

    async def agreed_actions(self, nips: list[str]) -> list[AgreedAction]:
        return [
            AgreedAction("t1", A, "Pelatihan SIAK", A, "2026-11-20"),  # 9 days late
            AgreedAction("t1", A, "Rapat evaluasi", A, "2026-12-15"),  # not yet due
            AgreedAction("t2", B, "Antrean loket", B, "2026-11-28"),  # 1 day late
            AgreedAction("t2", B, "Laporan lama", B, "2026-06-01"),  # beyond the window
        ]


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (date(2026, 11, 29), date(2026, 10, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),
        (date(2026, 6, 30), date(2026, 4, 1)),
        (date(2026, 7, 1), date(2026, 7, 1)),
    ],
)
def test_the_quarter_starts_on_its_first_day(today: date, start: date) -> None:
    assert quarter_start(today) == start


def test_each_list_says_why() -> None:
    lines: list[dict[str, Any]] = [
        {"nip": C, "name": "Citra", "discipline_level": "ringan", "tanpa_keterangan": 3},
        {"nip": B, "name": "Budi", "predikat": "Butuh Perbaikan"},
        {"nip": A, "name": "Ani", "predikat": "Baik"},  # nothing to say: left out
    ]
    view = asyncio.run(needs_attention(TEAM, lines, Dialogue(), TODAY))
    assert view.quarter_start == "2026-10-01"
    assert [(f.nip, f.reasons) for f in view.crossed] == [
        (C, ["disiplin tingkat ringan", "3 hari tanpa keterangan dalam 30 hari"]),
        (B, ["predikat 30 hari Butuh Perbaikan"]),
    ]
    assert [(f.name, f.reasons) for f in view.no_feedback] == [
        ("Citra", ["belum pernah mendapat umpan balik"]),  # never given feedback first
        ("Budi", ["umpan balik terakhir 30 September 2026"]),
    ]
    assert view.no_feedback_total == 2
    assert [(o.what, o.days_late) for o in view.overdue] == [
        ("Pelatihan SIAK", 9),
        ("Antrean loket", 1),
    ]


def test_reasons_follow_scorings_own_test() -> None:
    assert reasons({"predikat": "Sangat Kurang"}) == ["predikat 30 hari Sangat Kurang"]
    assert reasons({"predikat": "Sangat Baik", "tanpa_keterangan": 0}) == []


def test_a_long_list_shows_its_first_hundred_and_counts_the_rest() -> None:
    team = [Person(f"19900101201501{i:04d}", f"Pegawai {i:04d}", "DISDIK") for i in range(250)]
    view = asyncio.run(needs_attention(team, [], Dialogue(), TODAY))
    assert len(view.no_feedback) == 100
    assert view.no_feedback_total == 250
