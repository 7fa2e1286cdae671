"""The policy file: every threshold, table and percentage scoring uses, per government, versioned.

Loaded and validated once at start; a bad file stops the service with the file, the field and
the reason. Plain data: the rules take a ``Policy`` and never read files themselves.
"""

from __future__ import annotations

import tomllib
from datetime import time
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kinerja_shared.validation import describe_errors

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

Percent = Annotated[float, Field(ge=0, le=100)]


class PolicyError(ValueError):
    """The policy file cannot be used; the message names the file, field and reason."""


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Schedule(_Frozen):
    """Working hours per weekday (local time); a missing weekday is not a working day."""

    hours: dict[int, tuple[time, time]]  # weekday (Monday = 0) → (start, end)

    @model_validator(mode="before")
    @classmethod
    def _from_names(cls, data: object) -> object:
        if isinstance(data, dict) and "hours" not in data:
            hours = {}
            for name, span in data.items():
                if name not in WEEKDAYS:
                    raise ValueError(f"{name!r} is not a weekday name")
                start, end = (time.fromisoformat(t) for t in span)
                hours[WEEKDAYS.index(name)] = (start, end)
            return {"hours": hours}
        return data

    @field_validator("hours")
    @classmethod
    def _order(cls, hours: dict[int, tuple[time, time]]) -> dict[int, tuple[time, time]]:
        for day, (start, end) in hours.items():
            if end <= start:
                raise ValueError(f"{WEEKDAYS[day]}: the end {end} is not after the start {start}")
        return hours


Band = tuple[int, str]


def _check_bands(bands: list[Band]) -> list[Band]:
    starts = [b[0] for b in bands]
    if not bands or starts[0] != 1 or starts != sorted(set(starts)):
        raise ValueError("bands must start at minute 1 and rise strictly")
    return bands


class Attendance(_Frozen):
    tl_bands: list[Band]
    psw_bands: list[Band]

    _tl = field_validator("tl_bands")(_check_bands)
    _psw = field_validator("psw_bands")(_check_bands)


class Tpp(_Frozen):
    deduction_percent: dict[str, Percent]
    unexcused_absence_percent: Percent
    cap_percent: Percent


class DisciplineLevel(_Frozen):
    from_days: Annotated[int, Field(ge=1)]
    sanction: str
    level: Literal["ringan", "sedang", "berat"]


class Discipline(_Frozen):
    convert_minutes_to_days: bool
    minutes_per_day: Annotated[int, Field(ge=60, le=24 * 60)]
    consecutive_days_dismissal: Annotated[int, Field(ge=1)]
    levels: list[DisciplineLevel] = Field(min_length=1)

    @field_validator("levels")
    @classmethod
    def _rising(cls, levels: list[DisciplineLevel]) -> list[DisciplineLevel]:
        days = [lv.from_days for lv in levels]
        if days != sorted(set(days)):
            raise ValueError("levels must rise strictly by from_days")
        return levels


class Ikm(_Frozen):
    bands: list[tuple[float, str, str]] = Field(min_length=1)
    min_responses_final: Annotated[int, Field(ge=1)]

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
        return self


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
