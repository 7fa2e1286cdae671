"""The policy file: every threshold, table and percentage scoring uses, per government, versioned.

Loaded and validated once at start; a bad file stops the service with the file, the field and
the reason. Plain data: the rules take a ``Policy`` and never read files themselves.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kinerja_shared.validation import describe_errors

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Percent = Annotated[float, Field(ge=0, le=100)]


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file, field and reason."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Frozen):
    """Working hours per weekday (local time) and the breaks inside them; a missing weekday is
    not a working day. Late and early minutes are working minutes: a break does not count.

    ``overnight``: every shift ends the next morning (22:00–06:00: hospitals, Satpol PP, the fire
    brigade); its check-out is that morning's first punch, and it has no break."""

    hours: dict[int, tuple[time, time]]  # weekday (Monday = 0) → (start, end)
    breaks: dict[int, tuple[time, time]] = Field(default_factory=dict)  # weekday → (from, to)
    overnight: bool = False

    @model_validator(mode="before")
    @classmethod
    def _from_names(cls, data: object) -> object:
        if isinstance(data, dict) and "hours" not in data:
            names = {k: v for k, v in data.items() if k not in ("breaks", "overnight")}
            return {
                "hours": _by_weekday(names),
                "breaks": _by_weekday(data.get("breaks", {})),
                "overnight": data.get("overnight", False),
            }
        return data

    @model_validator(mode="after")
    def _order(self) -> Schedule:
        for day, (start, end) in self.hours.items():
            if self.overnight and not end < start:
                raise ValueError(f"{WEEKDAYS[day]}: an overnight shift ends before it starts")
            if not self.overnight and end <= start:
                raise ValueError(f"{WEEKDAYS[day]}: the end {end} is not after the start {start}")
        if self.overnight and self.breaks:
            raise ValueError("an overnight schedule has no breaks")
        for day, (start, end) in self.breaks.items():
            hours = self.hours.get(day)
            if hours is None or not hours[0] < start < end < hours[1]:
                raise ValueError(f"breaks.{WEEKDAYS[day]}: {start}–{end} is not inside the day")
        return self

    def working_minutes(self, weekday: int) -> int:
        """The day's working time in minutes, its break taken out (0: not a working weekday)."""
        if weekday not in self.hours:
            return 0
        shift = _minutes(*self.hours[weekday]) + (24 * 60 if self.overnight else 0)
        return shift - _minutes(*self.breaks.get(weekday, (_T0, _T0)))

    def span(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The working day's start and end instants (the end the next day for a night shift)."""
        start, end = self.hours[day.weekday()]
        last = day + timedelta(days=1) if self.overnight else day
        return datetime.combine(day, start, tz), datetime.combine(last, end, tz)

    def break_span(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.breaks:
            return None
        start, end = self.breaks[day.weekday()]
        return datetime.combine(day, start, tz), datetime.combine(day, end, tz)


class SchedulePeriod(_Frozen):
    """Dates on which the employees of ``schedule`` work the hours of ``use`` instead: Ramadan's
    shorter hours (set each year by circular), or a schedule's new hours from a date on."""

    schedule: str
    use: str
    from_: date = Field(alias="from")
    to: date | None = None  # open: from then on
    source: Annotated[str, Field(min_length=3)]

    @model_validator(mode="after")
    def _forward(self) -> SchedulePeriod:
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"{self.schedule} → {self.use}: to {self.to} is before {self.from_}")
        return self


_T0 = time(0, 0)


def _minutes(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _by_weekday(spans: object) -> dict[int, tuple[time, time]]:
    if not isinstance(spans, dict):
        raise ValueError("expected a table of weekday names")
    out = {}
    for name, span in spans.items():
        if name not in WEEKDAYS:
            raise ValueError(f"{name!r} is not a weekday name")
        start, end = (time.fromisoformat(t) for t in span)
        out[WEEKDAYS.index(name)] = (start, end)
    return out


Band = tuple[int, str]


def _check_bands(bands: list[Band]) -> list[Band]:
    starts = [b[0] for b in bands]
    if not bands or starts[0] != 1 or starts != sorted(set(starts)):
        raise ValueError("bands must start at minute 1 and rise strictly")
    return bands


class Attendance(_Frozen):
    tl_bands: list[Band]
    psw_bands: list[Band]
    # A day with a check-in but no check-out (or the reverse): how many minutes the missing half
    # counts toward PP 94's minutes-to-days conversion. "half_day": half the day's working
    # minutes; "none": nothing (before policy 2026.2; never checking out then cost nothing).
    missing_punch_minutes: Literal["half_day", "none"] = "half_day"

    _tl = field_validator("tl_bands")(_check_bands)
    _psw = field_validator("psw_bands")(_check_bands)


class Tpp(_Frozen):
    deduction_percent: dict[str, Percent]
    unexcused_absence_percent: Percent
    cap_percent: Percent
    # Where each figure comes from (a regulation, or "aturan lokal": a local rule), by category,
    # "unexcused_absence" and "cap"; shown in every deduction's evidence.
    sources: dict[str, Annotated[str, Field(min_length=3)]]

    @model_validator(mode="after")
    def _every_figure_sourced(self) -> Tpp:
        missing = {*self.deduction_percent, "unexcused_absence", "cap"} - set(self.sources)
        if missing:
            raise ValueError(f"sources lacks {sorted(missing)}: name each figure's source")
        return self


class DisciplineLevel(_Frozen):
    from_days: Annotated[int, Field(ge=1)]
    sanction: str
    level: Literal["ringan", "sedang", "berat"]


#: PP 94/2021's ladder for unexcused working days in a year (Pasal 9–11 as cited in the domain
#: rules §2): the first day of each step and its level. A national rule: a policy file that
#: departs from it is refused, whatever sanction wording it uses.
PP94_LADDER: tuple[tuple[int, str], ...] = (
    (3, "ringan"),
    (4, "ringan"),
    (7, "ringan"),
    (11, "sedang"),
    (14, "sedang"),
    (17, "sedang"),
    (21, "berat"),
    (25, "berat"),
    (28, "berat"),  # pemberhentian dengan hormat tidak atas permintaan sendiri
)


class Discipline(_Frozen):
    convert_minutes_to_days: bool
    minutes_per_day: Annotated[int, Field(ge=60, le=24 * 60)]
    consecutive_days_dismissal: Literal[10]  # PP 94/2021: ten consecutive working days
    levels: list[DisciplineLevel] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _pp94(cls, levels: list[DisciplineLevel]) -> list[DisciplineLevel]:
        ladder = tuple((lv.from_days, lv.level) for lv in levels)
        if ladder != PP94_LADDER:
            raise ValueError(
                f"levels must follow PP 94/2021's ladder {list(PP94_LADDER)}; got {list(ladder)}"
            )
        if "berhenti" not in levels[-1].sanction.lower():
            raise ValueError("the last level must be the dismissal (pemberhentian)")
        return levels


class Ikm(_Frozen):
    bands: list[tuple[float, str, str]] = Field(min_length=1)
    min_responses_final: Annotated[int, Field(ge=1)]
    # PermenPANRB 14/2017: NRR tertimbang = NRR × 0,111 per element; 1/9 is the exact choice.
    element_weight: Annotated[float, Field(gt=0.1, le=1 / 9)] = 0.111

    @field_validator("bands")
    @classmethod
    def _rising(cls, bands: list[tuple[float, str, str]]) -> list[tuple[float, str, str]]:
        lows = [b[0] for b in bands]
        if lows != sorted(set(lows)) or lows[0] > 25 or lows[-1] > 100:
            raise ValueError("bands must rise strictly from at most 25 to at most 100")
        return bands


class Targets(_Frozen):
    above_percent: Annotated[float, Field(gt=0)]
    meets_percent: Annotated[float, Field(gt=0)]
    display_cap_percent: Annotated[float, Field(gt=0)]
    pace_warning_percent: Annotated[float, Field(gt=0)]

    @model_validator(mode="after")
    def _order(self) -> Targets:
        if not self.meets_percent < self.above_percent:
            raise ValueError("meets_percent must be below above_percent")
        return self


class Behaviour(_Frozen):
    max_tl_psw_days_for_above: Annotated[int, Field(ge=0)]


class EarlyWarning(_Frozen):
    tl_psw_days_in_a_week: Annotated[int, Field(ge=1, le=7)]
    ikm_last_responses: Annotated[int, Field(ge=1)]


class Policy(_Frozen):
    government: str
    version: str = Field(min_length=1)
    timezone: str
    schedules: dict[str, Schedule] = Field(min_length=1)
    schedule_periods: list[SchedulePeriod] = Field(default_factory=list)
    attendance: Attendance
    tpp: Tpp
    discipline: Discipline
    ikm: Ikm
    targets: Targets
    behaviour: Behaviour
    early_warning: EarlyWarning

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        categories = {c for _, c in self.attendance.tl_bands + self.attendance.psw_bands}
        missing = categories - set(self.tpp.deduction_percent)
        if missing:
            raise ValueError(f"tpp.deduction_percent lacks {sorted(missing)}")
        if "standar" not in self.schedules:
            raise ValueError("a schedule named 'standar' (the default) is required")
        for sp in self.schedule_periods:
            unknown = {sp.schedule, sp.use} - set(self.schedules)
            if unknown:
                raise ValueError(f"schedule_periods names unknown schedules {sorted(unknown)}")
        return self

    def hours_on(self, name: str, day: date) -> tuple[str, Schedule]:
        """The hours an employee of schedule ``name`` works on ``day``: a period's replacement
        where one covers the day (the last listed wins), else the schedule itself."""
        used = name
        for sp in self.schedule_periods:
            if sp.schedule == name and sp.from_ <= day and (sp.to is None or day <= sp.to):
                used = sp.use
        return used, self.schedules[used]

    def schedule_for(self, name: str) -> tuple[str, Schedule]:
        """The schedule called ``name`` and how the evidence names it. An unknown name is judged
        by ``standar`` and the name says so, rather than quietly naming a schedule not used."""
        if name in self.schedules:
            return name, self.schedules[name]
        return f"standar (jadwal {name!r} tidak ada di kebijakan)", self.schedules["standar"]


def parse_policy(text: str, source: str) -> Policy:
    """Validate a policy file's text; ``source`` names it in the error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(f"{source}: {describe_errors(exc)}") from None
