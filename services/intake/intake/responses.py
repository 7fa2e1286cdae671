"""What intake's routes answer, as its OpenAPI publishes it (clients and the schema fuzzer check
the answers against these)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class ItemError(BaseModel):
    field: str
    reason: str


class ItemOutcome(BaseModel):
    """One submitted item: accepted (now in Kafka), duplicate (an event id seen before) or
    rejected with its errors."""

    index: int
    status: str = Field(description="accepted, duplicate or rejected")
    event_id: str | None = None
    errors: list[ItemError] | None = None


class EventsAnswer(BaseModel):
    trace_id: str
    accepted: int
    duplicates: int
    rejected: int
    results: list[ItemOutcome]


class DaysClosed(BaseModel):
    closed: list[str]


class IssuedKey(BaseModel):
    key_id: str
    api_key: str = Field(description="Shown once: only its hash is kept")
    note: str


class KeyOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    key_id: str
    kind: str
    owner: str
    event_types: list[str]
    units: list[str]
    rate_per_minute: int
    created_at: datetime | None = None
    revoked_at: datetime | None = None


class KeyRevoked(BaseModel):
    key_id: str
    revoked: bool


class Stored(BaseModel):
    """Reference records stored and published to the reference topic (all or none)."""

    stored: int
    published: int


class RowProblem(BaseModel):
    line: int
    field: str
    reason: str


class InvalidRows(BaseModel):
    """Nothing was stored: every problem, by line and field (or why the body could not be read,
    in ``detail`` alone)."""

    title: str | None = None
    status: int | None = None
    detail: str
    errors: list[RowProblem] | None = None
