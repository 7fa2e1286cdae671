"""Evaluation periods, the one definition every service uses (pure): a month (``2026-11``), a
quarter or triwulan (``2026-Q4``), a year (``2026``) and the rolling 30 days (``window=30d``),
each by local days. The patterns are the contracts' too (events, request models, queries)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

#: A month, quarter or year by name, as the contracts' JSON schema states it.
PERIOD_PATTERN = r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$"
#: A month by name.
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
_PERIOD = re.compile(r"^(?P<y>[0-9]{4})(?:-(?P<m>0[1-9]|1[0-2])|-Q(?P<q>[1-4]))?$")


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    start: date
    end: date
    monthly: bool

    def months(self) -> list[str]:
        """YYYY-MM of every month the period touches."""
        out, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out


def _month_end(y: int, m: int) -> date:
    return (date(y + 1, 1, 1) if m == 12 else date(y, m + 1, 1)) - timedelta(days=1)


def resolve(period: str | None, window: str | None, today: date) -> Period:
    """``ValueError`` with a reason for anything else."""
    if (period is None) == (window is None):
        raise ValueError("give either period (2026-11, 2026-Q4, 2026) or window=30d")
    if window is not None:
        if window != "30d":
            raise ValueError(f"window {window!r}: only 30d is kept")
        return Period("30d", today - timedelta(days=29), today, monthly=False)
    assert period is not None
    m = _PERIOD.match(period)
    if not m:
        raise ValueError(f"period {period!r} is not YYYY-MM, YYYY-Qn or YYYY")
    y = int(m["y"])
    if not 2000 <= y <= 2100:
        raise ValueError(f"period {period!r}: year out of range")
    if m["m"]:
        mm = int(m["m"])
        return Period(period, date(y, mm, 1), _month_end(y, mm), monthly=True)
    if m["q"]:
        q = int(m["q"])
        return Period(period, date(y, 3 * q - 2, 1), _month_end(y, 3 * q), monthly=False)
    return Period(period, date(y, 1, 1), date(y, 12, 31), monthly=False)


def named(period: str) -> Period:
    """A month, quarter or year by its name (they do not depend on the day)."""
    return resolve(period, None, date(2000, 1, 1))


def period_months(period: str) -> list[str]:
    """The months a named period (month, quarter or year) covers."""
    return named(period).months()


def _known_year(period: str) -> str:
    named(period)  # the years 2000 to 2100, with the reason otherwise
    return period


#: A field holding a month, quarter or year (pydantic): the pattern and the years' range.
PeriodName = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN), AfterValidator(_known_year)]
#: A field holding a month.
MonthName = Annotated[str, StringConstraints(pattern=MONTH_PATTERN), AfterValidator(_known_year)]
