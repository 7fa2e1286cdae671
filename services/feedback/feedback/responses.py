"""What the dialogue's routes answer, as the OpenAPI publishes it (clients and the schema fuzzer
check the answers against these). The stored documents may carry more; ``extra="allow"`` lets
it through, but a field a client relies on belongs here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class EntryOut(_Open):
    id: str
    kind: str = Field(description="feedback or reply")
    author: str = Field(description="NIP of its author")
    version: int
    current: dict[str, Any] = Field(description="The latest version's text, strengths, ...")
    history: list[dict[str, Any]] = Field(description="Every version, oldest first")


class ThreadOut(_Open):
    """A feedback thread (dialog kinerja) about one employee."""

    id: str
    nip: str
    supervisor_nip: str
    period: str
    category: str
    values: list[str] = Field(description="The BerAKHLAK core values it concerns")
    visibility: str = Field(description="bersama (shared with the employee) or pribadi")
    created_at: datetime
    acknowledged: dict[str, Any] | None = None
    entries: list[EntryOut] = Field(default_factory=list)
    notice_published: bool | None = Field(None, description="The notice reached Kafka")


class ThreadList(BaseModel):
    nip: str
    threads: list[ThreadOut]


class RatingOut(_Open):
    """A supervisor's Perilaku Kerja rating of one period."""

    id: str
    nip: str
    period: str
    rating: str
    justification: str
    published: bool | None = Field(None, description="It reached Kafka (scoring will apply it)")


class RatingList(BaseModel):
    nip: str
    ratings: list[RatingOut]


class CoachingOut(_Open):
    """A coaching session (bimbingan kinerja) and the employee's Format B.1.8, once given."""

    id: str
    nip: str
    supervisor_nip: str
    date: str
    topics: list[str]
    follow_up: str
    employee_feedback: dict[str, Any] | None = None


class CoachingLog(BaseModel):
    nip: str
    sessions: list[CoachingOut]
    b18_statements: list[str] = Field(description="Format B.1.8's statements, in order")


class ObjectionOut(_Open):
    """An employee's objection (keberatan, PP 30/2019 Pasal 59) and, once made, the decision."""

    id: str
    nip: str
    period: str
    reasons: str


class ObjectionList(BaseModel):
    nip: str
    objections: list[ObjectionOut]


class AuditLog(BaseModel):
    entries: list[dict[str, Any]]


class ConsoleConfig(BaseModel):
    notifier_url: str | None = Field(description="Where the console opens the live stream")
    dev_sign_in: bool = Field(description="Development sign-in offered (loopback only)")
    timezone: str


class DevToken(BaseModel):
    token: str


class TeamRow(BaseModel):
    """One person in the supervisor's team list."""

    nip: str
    name: str
    position: str | None = None
    unit_code: str | None = None
    direct: bool = Field(description="Reports to the reader directly")
    predikat: str | None = None
    predikat_30d: str | None = None
    discipline: str | None = None
    ikm: str | None = None
    hasil_kerja: str | None = None
    hadir: int
    tanpa_keterangan: int
    tl_psw_days: int
    feedback_threads: int
    change: str = Field(description="Against the month before: baru, tetap, naik/turun dari ...")


class TeamMe(BaseModel):
    nip: str
    unit_code: str | None = None


class TeamPage(BaseModel):
    period: str
    me: TeamMe
    total: int
    page: int
    size: int
    members: list[TeamRow]


class ScoringAnswer(_Open):
    """Scoring's own answer, passed through (its OpenAPI documents the fields)."""


class VoidAccepted(_Open):
    """Intake's answer to a void: the correction's event, and the day judged again."""

    event_id: str
    voided_event_id: str
    nip: str
    day: str
    status: str


class UnitPicture(_Open):
    """Scoring's unit summary with the console's additions."""

    unit_code: str
    period: str
    trend: dict[str, Any] = Field(description="Desks' IKM and discipline levels, three months")
    improvement_areas: list[tuple[str, int]]
    open_actions: list[dict[str, Any]]
