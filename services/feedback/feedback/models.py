"""What a person sends to the dialogue (request bodies, validated at the edge): feedback with
its strengths, improvements and agreed actions, a reply or an edit, a Perilaku Kerja rating, a
coaching session and the employee's Format B.1.8."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from feedback.domain import Kategori, NilaiBerakhlak, Visibility
from kinerja_shared.events import Nip, ObjectionOutcome, PerilakuRating, check_decision
from kinerja_shared.periods import PeriodName

#: A month, quarter or year of this century ("2026-11", "2026-Q4", "2026"): a year 0 or 414 is
#: no period anyone is judged in, and would not make a date.
Period = PeriodName  # a month, quarter or year (kinerja_shared.periods)
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=300, strip_whitespace=True)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Action(_Body):
    """An agreed action (rencana tindak lanjut), e.g. a training need."""

    what: Line
    owner_nip: Nip
    due: date
    # Marked by the entry's author in a new version of it (the old version keeps it open).
    done: bool = Field(False, description="Carried out (selesai)")


class Content(_Body):
    text: Text
    strengths: list[Line] = Field(default_factory=list, max_length=20)
    improvements: list[Line] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(default_factory=list, max_length=20)


class FeedbackRequest(Content):
    period: Period
    category: Kategori
    values: list[NilaiBerakhlak] = Field(default_factory=list, max_length=7)
    visibility: Visibility = Visibility.BERSAMA


class RatingRequest(_Body):
    period: Period
    rating: PerilakuRating
    justification: Text


class CoachingRequest(_Body):
    date: date
    topics: list[Line] = Field(min_length=1, max_length=20)
    follow_up: Text


class B18Request(_Body):
    answers: list[bool] = Field(min_length=9, max_length=9, description="Format B.1.8, in order")
    comment: Annotated[str, StringConstraints(max_length=2000)] = ""


class ObjectionRequest(_Body):
    """An employee's objection (keberatan) to the result of a period, with reasons."""

    period: Period
    reasons: Annotated[
        str, StringConstraints(min_length=10, max_length=4000, strip_whitespace=True)
    ]


class DecisionRequest(_Body):
    """The reviewer's decision: rejected (the result stands) or changed (the new ratings)."""

    outcome: ObjectionOutcome
    hasil_kerja: PerilakuRating | None = None
    perilaku_kerja: PerilakuRating | None = None
    reasons: Text

    @model_validator(mode="after")
    def _consistent(self) -> DecisionRequest:
        check_decision(self.outcome, self.hasil_kerja, self.perilaku_kerja)
        return self
