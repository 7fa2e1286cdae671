"""What the notifier's routes answer, as its OpenAPI publishes it (clients and the schema fuzzer
check the answers against these). The stored documents may carry more; ``extra="allow"`` lets
it through, but a field a client relies on belongs here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class AckOut(_Open):
    by: str = Field(description="NIP of who acknowledged")
    at: datetime
    comment: str


class AlertOut(_Open):
    """An alert or dialogue notice, and how far its delivery has come."""

    id: str
    kind: str = Field(description="alert or dialogue")
    type: str
    nip: str
    unit_code: str | None = None
    period: str | None = None
    level: str | None = None
    title: str
    reasons: list[str]
    status: str | None = Field(None, description="pending, sent, failed, acknowledged, ...")
    recipients: list[str] = Field(default_factory=list)
    received_at: datetime | None = None
    raised_at: datetime | None = None
    ack: AckOut | None = None


class AlertPage(BaseModel):
    alerts: list[AlertOut]
    limit: int
    offset: int


class AttemptOut(_Open):
    id: str
    at: datetime | None = None


class NotificationOut(_Open):
    id: str
    status: str = Field(description="The final result of its delivery, or pending")
    attempts: list[AttemptOut]


class AlertDetail(AlertOut):
    notifications: list[NotificationOut] = Field(description="Yours, or every one for overseers")


class SilenceOut(_Open):
    id: str
    matchers: list[dict[str, Any]]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str


class SilenceList(BaseModel):
    silences: list[SilenceOut]


class SilenceExpired(BaseModel):
    id: str
    ends_at: datetime


class PreferencesOut(BaseModel):
    nip: str
    email: bool = Field(description="E-mail reaches me")
    web: bool = Field(description="The console's live stream reaches me")
