"""The routing file, in Alertmanager's spirit: matchers → receiver, grouping timers, working-hour
windows in Asia/Jakarta, inhibition and escalation. Validated whole at start (pydantic).

Routes are a list tried in order (Alertmanager's tree, flattened): the first that matches
decides, unless it says ``continue``, in which case later matches add their receivers too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from notifier.domain.model import Channel

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
LABELS = ("type", "nip", "period", "year", "unit", "level")
#: A silence's value is typed by people through the API: bounded, and no nested repetition such
#: as ``(a+)+`` (Python's regex engine backtracks exponentially on those).
MAX_MATCHER_VALUE = 200
_NESTED_QUANTIFIER = re.compile(r"\([^()]*[+*}][^()]*\)\s*[+*{]")
_MATCHER_RE = re.compile(r'(?P<label>[a-z_]+)\s*(?P<op>=~|!~|!=|=)\s*"(?P<value>[^"]*)"')


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Seconds = Annotated[float, Field(ge=0, le=90 * 86400)]


class Matcher(_Strict):
    """``label`` op ``value``; ops ``=``, ``!=``, ``=~`` and ``!~`` (a full-match regex)."""

    label: Literal["type", "nip", "period", "year", "unit", "level"]
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=MAX_MATCHER_VALUE)

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: object) -> object:
        """Alertmanager's own spelling: ``type="coaching.needed"``, ``level=~"sedang|berat"``."""
        if isinstance(data, str):
            found = _MATCHER_RE.fullmatch(data.strip())
            if found is None:
                raise ValueError(f'matcher {data!r}: write it as label="value" (=, !=, =~, !~)')
            return {"label": found["label"], "op": found["op"], "value": found["value"]}
        return data

    @model_validator(mode="after")
    def _regex_compiles(self) -> Matcher:
        if self.op in ("=~", "!~"):
            if _NESTED_QUANTIFIER.search(self.value):
                raise ValueError(
                    f"matcher on {self.label}: a repeated group that repeats inside "
                    f"({self.value!r}) can take exponential time; write it without nesting"
                )
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(
                    f"matcher on {self.label}: bad regex {self.value!r}: {exc}"
                ) from exc
        return self

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.label, "")
        match self.op:
            case "=":
                return actual == self.value
            case "!=":
                return actual != self.value
            case "=~":
                return re.fullmatch(self.value, actual) is not None
            case _:
                return re.fullmatch(self.value, actual) is None


def all_match(matchers: tuple[Matcher, ...], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


class TimeRange(_Strict):
    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> TimeRange:
        if self.end <= self.start:
            raise ValueError(f"time range {self.start}-{self.end}: the end must follow the start")
        return self


class TimeInterval(_Strict):
    """When a channel may deliver, in the routing file's time zone (WIB by default)."""

    name: str
    weekdays: tuple[str, ...] = ("monday:friday",)
    times: tuple[TimeRange, ...] = (TimeRange(start=time(7, 30), end=time(16, 0)),)
    skip_holidays: bool = True  # national holidays and cuti bersama

    @field_validator("weekdays")
    @classmethod
    def _known_days(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            for day in item.split(":"):
                if day not in DAY_NAMES:
                    raise ValueError(f"unknown weekday {day!r}; use {', '.join(DAY_NAMES)}")
        return value

    def days(self) -> frozenset[int]:
        found: set[int] = set()
        for item in self.weekdays:
            first, _, last = item.partition(":")
            lo, hi = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
            found.update(range(lo, hi + 1))
        return frozenset(found)

    def open_at(self, local: datetime, holidays: frozenset[date]) -> bool:
        if local.weekday() not in self.days():
            return False
        if self.skip_holidays and local.date() in holidays:
            return False
        return any(r.start <= local.time() < r.end for r in self.times)

    def next_open(self, local: datetime, holidays: frozenset[date]) -> datetime:
        """The first moment at or after ``local`` the interval is open (within 60 days)."""
        for offset in range(60):
            day = local.date() + timedelta(days=offset)
            if day.weekday() not in self.days() or (self.skip_holidays and day in holidays):
                continue
            for r in sorted(self.times, key=lambda r: r.start):
                start = datetime.combine(day, r.start, local.tzinfo)
                end = datetime.combine(day, r.end, local.tzinfo)
                if local < end:
                    return max(local, start)
        raise ValueError(f"time interval {self.name!r} never opens within 60 days")


class Webhook(_Strict):
    url: str = Field(pattern=r"^https?://")
    secret_env: str | None = Field(
        None, description="Environment variable holding the HMAC signing secret"
    )
    timeout_s: float = Field(10.0, gt=0, le=120)


class Receiver(_Strict):
    """Where a route's notices go: the resolved people over ``channels``."""

    name: str
    channels: tuple[Channel, ...] = (Channel.WEB, Channel.EMAIL)
    webhook: Webhook | None = None
    # Channel → names of time intervals it may deliver in; outside them it queues (not drops).
    active_time_intervals: dict[Channel, tuple[str, ...]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _webhook_configured(self) -> Receiver:
        if Channel.WEBHOOK in self.channels and self.webhook is None:
            raise ValueError(f"receiver {self.name!r} lists the webhook channel but no webhook")
        return self


class Timers(_Strict):
    group_by: tuple[str, ...] = ("type",)
    group_wait: Seconds = 30.0
    group_interval: Seconds = 300.0
    repeat_interval: Seconds = 0.0  # 0: no reminders
    max_repeats: int = Field(3, ge=0, le=100)

    @field_validator("group_by")
    @classmethod
    def _known_labels(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for label in value:
            if label not in LABELS:
                raise ValueError(f"group_by: unknown label {label!r}; use {', '.join(LABELS)}")
        return value


class Route(_Strict):
    match: tuple[Matcher, ...] = ()
    receiver: str
    urgent: bool = False  # delivers outside the receiver's time intervals
    timers: Timers | None = None  # the defaults' when absent
    continue_: bool = Field(False, alias="continue")


class InhibitRule(_Strict):
    """A firing ``source`` notice mutes ``target`` notices that agree on ``equal`` labels."""

    source: tuple[Matcher, ...]
    target: tuple[Matcher, ...]
    equal: tuple[Literal["type", "nip", "period", "year", "unit", "level"], ...] = ("nip",)


class Escalation(_Strict):
    """An unacknowledged notice of these types goes one level further up the chain after
    ``after_working_days`` working days, up to ``max_levels`` levels."""

    types: tuple[str, ...] = ("coaching.needed",)
    after_working_days: int = Field(3, ge=1, le=60)
    max_levels: int = Field(1, ge=0, le=5)


class Role(_Strict):
    """A role recipient such as the BKD (Badan Kepegawaian Daerah, the HR agency): its staff
    by NIP, and/or a shared mailbox."""

    nips: tuple[str, ...] = ()
    email: str | None = None


class RoutingConfig(_Strict):
    version: str
    timezone: str = "Asia/Jakarta"
    defaults: Timers = Timers()
    receivers: tuple[Receiver, ...]
    routes: tuple[Route, ...]
    time_intervals: tuple[TimeInterval, ...] = ()
    inhibit_rules: tuple[InhibitRule, ...] = ()
    escalation: Escalation = Escalation()
    roles: dict[str, Role] = Field(default_factory=dict)
    retry_max_age_s: Seconds = 6 * 3600.0
    retry_base_s: Seconds = 2.0
    retry_cap_s: Seconds = 600.0
    retention_days: int = Field(400, ge=1, le=3650)

    @model_validator(mode="after")
    def _references_resolve(self) -> RoutingConfig:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc
        receivers = {r.name for r in self.receivers}
        intervals = {t.name for t in self.time_intervals}
        if len(receivers) != len(self.receivers):
            raise ValueError("receiver names must be unique")
        if not self.routes:
            raise ValueError("at least one route is needed")
        for i, route in enumerate(self.routes):
            if route.receiver not in receivers:
                raise ValueError(f"route {i + 1}: no receiver named {route.receiver!r}")
        for r in self.receivers:
            for names in r.active_time_intervals.values():
                for name in names:
                    if name not in intervals:
                        raise ValueError(f"receiver {r.name!r}: no time interval named {name!r}")
        return self

    def receiver(self, name: str) -> Receiver:
        return next(r for r in self.receivers if r.name == name)

    def interval(self, name: str) -> TimeInterval:
        return next(t for t in self.time_intervals if t.name == name)

    def timers(self, route: int) -> Timers:
        return self.routes[route].timers or self.defaults


def matching_routes(config: RoutingConfig, labels: dict[str, str]) -> list[int]:
    """Indexes of the routes a notice takes: the first match, and later ones while ``continue``."""
    taken: list[int] = []
    for i, route in enumerate(config.routes):
        if all_match(route.match, labels):
            taken.append(i)
            if not route.continue_:
                break
    return taken


def group_key(
    receiver: str, recipient: str, channel: str, group_by: tuple[str, ...], labels: dict[str, str]
) -> str:
    """One notification per group: the receiver, the recipient, the channel and the group_by
    labels' values."""
    parts = [receiver, recipient, channel, *(f"{k}={labels.get(k, '')}" for k in group_by)]
    return "|".join(parts)


def flush_due_at(first_pending: datetime, last_flush: datetime | None, timers: Timers) -> datetime:
    """A new group waits ``group_wait`` to gather; a group that already notified sends what
    came since no earlier than ``group_interval`` after its last notification."""
    if last_flush is None:
        return first_pending + timedelta(seconds=timers.group_wait)
    return max(first_pending, last_flush + timedelta(seconds=timers.group_interval))


def deliverable_from(
    config: RoutingConfig,
    receiver: Receiver,
    channel: Channel,
    at: datetime,
    holidays: frozenset[date],
    *,
    urgent: bool,
) -> datetime:
    """When ``channel`` may deliver: ``at`` itself if urgent or inside any of its intervals,
    else the next opening (quiet hours queue, they do not drop)."""
    names = receiver.active_time_intervals.get(channel, ())
    if urgent or not names:
        return at
    local = at.astimezone(ZoneInfo(config.timezone))
    intervals = [config.interval(n) for n in names]
    if any(t.open_at(local, holidays) for t in intervals):
        return at
    return min(t.next_open(local, holidays) for t in intervals)
