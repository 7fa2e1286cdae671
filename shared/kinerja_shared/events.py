"""Event contracts of the design (envelope and per-type payloads), JSON on the wire.

Strict where it matters: the NIP is checked for plausible dates, times must carry an offset,
strings and numbers are bounded, unknown fields are refused. A new shape is a new
``schema_version``; consumers send versions they do not know to the DLQ.
"""

from __future__ import annotations

import re
from datetime import date
from datetime import time as dt_time
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    model_validator,
)

from kinerja_shared import topics
from kinerja_shared.nip import parse_nip
from kinerja_shared.periods import PeriodName

#: Schema versions this code understands.
SUPPORTED_SCHEMA_VERSIONS = frozenset({1})

_UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$")


def _check_event_id(value: str) -> str:
    if _UUID_RE.match(value):
        return value.lower()
    if _ULID_RE.match(value):
        return value.upper()
    raise ValueError("event_id must be a UUID or a ULID")


def _check_nip(value: str) -> str:
    parse_nip(value, date.today())  # noqa: DTZ011 - a NIP's plausibility is judged by the calendar date
    return value


EventId = Annotated[str, StringConstraints(max_length=36), AfterValidator(_check_event_id)]
Nip = Annotated[str, AfterValidator(_check_nip)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
Code = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$")
]
LongText = Annotated[str, StringConstraints(max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceKind(StrEnum):
    DEVICE = "device"
    DESK = "desk"
    SYSTEM = "system"
    IMPORT = "import"


class Source(_Strict):
    """Who emitted the event: an attendance machine, a service desk, a system or an import."""

    kind: SourceKind
    id: Code


# --- payloads -----------------------------------------------------------------------------


class Direction(StrEnum):
    IN = "in"
    OUT = "out"
    UNKNOWN = "unknown"


class AttendanceMethod(StrEnum):
    FINGERPRINT = "fingerprint"
    FACE = "face"
    CARD = "card"
    PIN = "pin"
    GPS = "gps"
    MANUAL = "manual"


class AttendanceRecorded(_Strict):
    """One check-in or check-out (presensi) at an attendance machine or app."""

    direction: Direction
    method: AttendanceMethod
    device_sn: Code
    workcode: Code | None = None


class ExcuseReason(StrEnum):
    CUTI = "cuti"  # leave
    SAKIT = "sakit"  # sick
    IZIN = "izin"  # permitted absence
    DINAS_LUAR = "dinas_luar"  # official duty away from the office
    TUGAS_BELAJAR = "tugas_belajar"  # study assignment


class ExcusePart(StrEnum):
    """What an excuse covers: whole days, or part of one day."""

    DAY = "day"  # whole days: they never count as absence
    DATANG_TERLAMBAT = "datang_terlambat"  # permission to arrive late (until ``time``)
    PULANG_CEPAT = "pulang_cepat"  # permission to leave early (from ``time``)


class AttendanceExcused(_Strict):
    """Days with a valid reason (keterangan sah); they never count as absence. A partial-day
    permission (izin datang terlambat / pulang cepat, with its reference) excuses the late or
    early minutes of one day, not the day: arriving after ``time``, or leaving before it, still
    counts; without ``time`` all of that day's lateness (or early leaving) is excused."""

    date_from: date
    date_to: date
    reason: ExcuseReason
    reference: ShortText
    part: ExcusePart = ExcusePart.DAY
    time: dt_time | None = Field(None, description="Local time: arrive until / leave from")

    @model_validator(mode="after")
    def _range(self) -> AttendanceExcused:
        if self.date_to < self.date_from:
            raise ValueError("date_to is before date_from")
        if (self.date_to - self.date_from).days > 366:
            raise ValueError("an excuse may cover at most one year")
        if self.part is not ExcusePart.DAY and self.date_to != self.date_from:
            raise ValueError("a partial-day permission covers one day: date_to = date_from")
        if self.part is ExcusePart.DAY and self.time is not None:
            raise ValueError("time belongs to a partial-day permission (part)")
        return self


class SkmElement(StrEnum):
    """The nine elements (unsur) of the citizen satisfaction survey, PermenPANRB 14/2017."""

    U1 = "U1"  # Persyaratan
    U2 = "U2"  # Sistem, Mekanisme, dan Prosedur
    U3 = "U3"  # Waktu Penyelesaian
    U4 = "U4"  # Biaya/Tarif
    U5 = "U5"  # Produk Spesifikasi Jenis Pelayanan
    U6 = "U6"  # Kompetensi Pelaksana
    U7 = "U7"  # Perilaku Pelaksana
    U8 = "U8"  # Sarana dan Prasarana
    U9 = "U9"  # Penanganan Pengaduan, Saran dan Masukan
    OVERALL = "overall"  # a one-button kiosk: counts for every element


SkmValue = Annotated[int, Field(ge=1, le=4)]


class ServiceRated(_Strict):
    """A citizen's rating of one service encounter (SKM)."""

    unit_code: Code
    desk_id: Code
    service: ShortText
    ratings: dict[SkmElement, SkmValue] = Field(min_length=1, max_length=10)
    comment: LongText | None = None

    @model_validator(mode="after")
    def _overall_alone(self) -> ServiceRated:
        if SkmElement.OVERALL in self.ratings and len(self.ratings) > 1:
            raise ValueError("an 'overall' rating stands alone, without U1..U9")
        return self


class Polarity(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class TargetProgressed(_Strict):
    """Cumulative realisation of one SKP indicator (Sasaran Kinerja Pegawai, the annual targets)."""

    skp_id: Code
    indicator_id: Code
    indicator: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    period: Annotated[int, Field(ge=2000, le=2100)]
    target: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
    realized: Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
    unit: ShortText
    polarity: Polarity = Polarity.HIGHER_IS_BETTER
    main: bool = Field(
        False,
        description="Indikator kinerja utama (main indicator): one below expectation bars Di Atas",
    )


# --- envelope -----------------------------------------------------------------------------


class _Envelope(_Strict):
    event_id: EventId
    schema_version: Literal[1] = 1
    occurred_at: AwareDatetime
    nip: Nip
    source: Source
    received_at: AwareDatetime | None = None
    trace_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class AttendanceRecordedEvent(_Envelope):
    type: Literal["attendance.recorded"]
    payload: AttendanceRecorded


class AttendanceExcusedEvent(_Envelope):
    type: Literal["attendance.excused"]
    payload: AttendanceExcused


class ServiceRatedEvent(_Envelope):
    type: Literal["service.rated"]
    payload: ServiceRated


class TargetProgressedEvent(_Envelope):
    type: Literal["target.progressed"]
    payload: TargetProgressed


Event: TypeAlias = Annotated[
    AttendanceRecordedEvent | AttendanceExcusedEvent | ServiceRatedEvent | TargetProgressedEvent,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

#: Where each event type is published.
TOPIC_OF_TYPE: dict[str, str] = {
    "attendance.recorded": topics.ATTENDANCE,
    "attendance.excused": topics.ATTENDANCE,
    "service.rated": topics.SERVICE_QUALITY,
    "target.progressed": topics.TARGET_PROGRESS,
}
EVENT_TYPES = tuple(TOPIC_OF_TYPE)


def parse_event(data: bytes | str | dict[str, Any]) -> Event:
    """Validate one event from JSON bytes/text or a decoded object; raises ``ValidationError``."""
    if isinstance(data, dict):
        return EVENT_ADAPTER.validate_python(data)
    return EVENT_ADAPTER.validate_json(data)


def encode_event(event: _Envelope) -> bytes:
    """The event's wire form: compact JSON, times in ISO 8601 with their offset."""
    return EVENT_ADAPTER.dump_json(event, exclude_none=True)  # type: ignore[arg-type]


# --- corrections (kinerja.attendance.v1, produced by intake's administrators) ----------------


class AttendanceVoided(_Strict):
    """An administrator voided one attendance record: a punch under somebody else's PIN, a
    machine's fault, a test. The record stays on the topic, as every event does; scoring leaves
    it out of its day and shows the correction, who made it and why, beside the day."""

    voided_event_id: EventId
    punch_at: AwareDatetime = Field(description="The voided punch's instant: which day it lies in")
    reason: Annotated[str, StringConstraints(min_length=10, max_length=1000, strip_whitespace=True)]
    voided_by: Nip


class AttendanceVoidedEvent(_Envelope):
    """Never accepted from devices or keys (``POST /v1/events`` refuses the type): only intake's
    administrators' API publishes it, keyed by the NIP like the punch, so it follows it."""

    type: Literal["attendance.voided"]
    payload: AttendanceVoided


#: The attendance topic's correction events (not in ``Event``: no key may send them).
CORRECTION_TYPES = ("attendance.voided",)


# --- events of the performance dialogue (kinerja.feedback.v1, produced by feedback) ----------


class PerilakuRating(StrEnum):
    """The supervisor's Perilaku Kerja rating (PermenPANRB 6/2022)."""

    DI_ATAS = "Di Atas Ekspektasi"
    SESUAI = "Sesuai Ekspektasi"
    DI_BAWAH = "Di Bawah Ekspektasi"


class BehaviourRated(_Strict):
    period: PeriodName
    rating: PerilakuRating
    justification: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    rated_by: Nip


class BehaviourRatedEvent(_Envelope):
    """The supervisor rated an employee's work behaviour for a period; a later one replaces it."""

    type: Literal["behaviour.rated"]
    payload: BehaviourRated


class ObjectionOutcome(StrEnum):
    DITOLAK = "ditolak"  # rejected: the result stands
    DIUBAH = "diubah"  # changed: the reviewer sets the ratings below


class ObjectionDecided(_Strict):
    """The decision on an employee's objection (keberatan) to a performance result, PP 30/2019
    Pasal 59: the appraiser's superior examines it and may change the result, and that is
    final. A rating given here replaces the appraiser's for the period."""

    objection_id: Code
    period: PeriodName
    outcome: ObjectionOutcome
    hasil_kerja: PerilakuRating | None = None
    perilaku_kerja: PerilakuRating | None = None
    reasons: Annotated[str, StringConstraints(min_length=1, max_length=4000)]
    reviewer_nip: Nip
    filed_at: AwareDatetime

    @model_validator(mode="after")
    def _changed_says_how(self) -> ObjectionDecided:
        check_decision(self.outcome, self.hasil_kerja, self.perilaku_kerja)
        return self


def check_decision(
    outcome: ObjectionOutcome, hasil: PerilakuRating | None, perilaku: PerilakuRating | None
) -> None:
    """A changed result names a new rating; a rejected objection changes none."""
    if outcome is ObjectionOutcome.DIUBAH and (hasil, perilaku) == (None, None):
        raise ValueError("a changed result names the new hasil_kerja or perilaku_kerja")
    if outcome is ObjectionOutcome.DITOLAK and (hasil, perilaku) != (None, None):
        raise ValueError("a rejected objection changes no rating")


class ObjectionDecidedEvent(_Envelope):
    type: Literal["objection.decided"]
    payload: ObjectionDecided


ScoringFeedbackEvent: TypeAlias = Annotated[
    BehaviourRatedEvent | ObjectionDecidedEvent, Field(discriminator="type")
]
FEEDBACK_EVENT_ADAPTER: TypeAdapter[ScoringFeedbackEvent] = TypeAdapter(ScoringFeedbackEvent)
#: The feedback topic's events that scoring applies (the others are the notifier's).
SCORING_FEEDBACK_TYPES = ("behaviour.rated", "objection.decided")


class DialogueNotice(_Strict):
    """One step of the written performance dialogue (dialog kinerja) on a feedback thread.
    The envelope's ``nip`` is the employee the thread is about; the notifier tells the other
    party: the employee when the supervisor wrote, the supervisor when the employee did."""

    thread_id: Code
    period: PeriodName
    category: ShortText
    author_nip: Nip
    supervisor_nip: Nip
    excerpt: Annotated[str, StringConstraints(max_length=280)] = ""


class FeedbackPostedEvent(_Envelope):
    """A supervisor wrote feedback (umpan balik) on an employee."""

    type: Literal["feedback.posted"]
    payload: DialogueNotice


class FeedbackRepliedEvent(_Envelope):
    """Either party replied on the thread."""

    type: Literal["feedback.replied"]
    payload: DialogueNotice


class FeedbackAcknowledgedEvent(_Envelope):
    """The employee acknowledged the feedback (read and understood)."""

    type: Literal["feedback.acknowledged"]
    payload: DialogueNotice


class ObjectionFiledEvent(_Envelope):
    """The employee objected to a result; ``supervisor_nip`` is the reviewer (the appraiser's
    superior), who hears of it."""

    type: Literal["feedback.objection_filed"]
    payload: DialogueNotice


class ObjectionAnsweredEvent(_Envelope):
    """The reviewer decided; the employee hears of it."""

    type: Literal["feedback.objection_decided"]
    payload: DialogueNotice


DialogueEvent: TypeAlias = Annotated[
    FeedbackPostedEvent
    | FeedbackRepliedEvent
    | FeedbackAcknowledgedEvent
    | ObjectionFiledEvent
    | ObjectionAnsweredEvent,
    Field(discriminator="type"),
]
DIALOGUE_EVENT_ADAPTER: TypeAdapter[DialogueEvent] = TypeAdapter(DialogueEvent)
DIALOGUE_EVENT_TYPES = (
    "feedback.posted",
    "feedback.replied",
    "feedback.acknowledged",
    "feedback.objection_filed",
    "feedback.objection_decided",
)
