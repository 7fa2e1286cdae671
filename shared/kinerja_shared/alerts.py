"""Contracts scoring publishes: ``evaluation.updated`` (kinerja.evaluation.v1) and the alerts
(kinerja.alert.v1) the notifier routes. Keyed by NIP. An alert's id is deterministic, so a
republish after a crash is recognisable downstream and never notified twice."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

AlertType = Literal["coaching.needed", "recognition.earned", "discipline.threshold_crossed"]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EvaluationUpdated(_Frozen):
    type: Literal["evaluation.updated"] = "evaluation.updated"
    schema_version: Literal[1] = 1
    nip: str
    periods: list[str] = Field(description="Months whose figures changed, YYYY-MM")
    as_of: AwareDatetime


class AlertRaised(_Frozen):
    type: AlertType
    schema_version: Literal[1] = 1
    alert_id: str = Field(description="Deterministic: the same crossing gives the same id")
    nip: str
    unit_code: str | None
    supervisor_nip: str | None
    period: str
    level: str | None = None
    title: str
    reasons: list[str]
    evidence: dict[str, Any]
    policy_version: str
    raised_at: datetime
