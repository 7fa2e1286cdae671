from __future__ import annotations

from datetime import date

import pytest

from kinerja_shared.periods import resolve

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("period", "window", "start", "end", "monthly", "months"),
    [
        ("2026-11", None, date(2026, 11, 1), date(2026, 11, 30), True, ["2026-11"]),
        ("2024-02", None, date(2024, 2, 1), date(2024, 2, 29), True, ["2024-02"]),
        (
            "2026-Q4",
            None,
            date(2026, 10, 1),
            date(2026, 12, 31),
            False,
            ["2026-10", "2026-11", "2026-12"],
        ),
        (
            "2026-Q1",
            None,
            date(2026, 1, 1),
            date(2026, 3, 31),
            False,
            ["2026-01", "2026-02", "2026-03"],
        ),
        (
            "2026",
            None,
            date(2026, 1, 1),
            date(2026, 12, 31),
            False,
            [f"2026-{m:02d}" for m in range(1, 13)],
        ),
        (None, "30d", date(2026, 10, 29), date(2026, 11, 27), False, ["2026-10", "2026-11"]),
    ],
)
def test_periods(
    period: str | None, window: str | None, start: date, end: date, monthly: bool, months: list[str]
) -> None:
    p = resolve(period, window, TODAY)
    assert (p.start, p.end, p.monthly, p.months()) == (start, end, monthly, months)


@pytest.mark.parametrize(
    ("period", "window", "reason"),
    [
        ("2026-13", None, "not YYYY-MM"),
        ("2026-Q5", None, "not YYYY-MM"),
        (None, "7d", "30d"),
        (None, None, "either"),
        ("2026", "30d", "either"),
        ("1999", None, "out of range"),
    ],
)
def test_bad_periods_say_why(period: str | None, window: str | None, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        resolve(period, window, TODAY)
