"""A supervisor's "needs attention this week" (use case): who in their team crossed a threshold
(scoring's lines over the rolling 30 days), who has had no feedback this quarter, and which
agreed actions are past their due date, each with the reason in words.

An agreed action is open until its entry's author marks it done (``selesai``) in a new version
of the entry; an open one past its due date is listed for 90 days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from feedback.store import AgreedAction
from kinerja_shared.indonesian import tanggal
from kinerja_shared.orgchart import Person

#: An action overdue longer than this is left to the unit page's list.
OVERDUE_WINDOW_DAYS = 90
#: A list longer than this shows its first ones and says how many more (a new unit's head
#: would otherwise get 1,500 names of people nobody has given feedback yet).
SHOWN = 100
_NEVER = datetime.min.replace(tzinfo=UTC)


class TeamDialogue(Protocol):
    async def last_threads(self, nips: list[str]) -> dict[str, datetime]: ...
    async def agreed_actions(self, nips: list[str]) -> list[AgreedAction]: ...


@dataclass(frozen=True)
class Flag:
    nip: str
    name: str
    reasons: list[str]


@dataclass(frozen=True)
class Overdue:
    nip: str
    name: str
    what: str
    due: str
    days_late: int
    thread_id: str


@dataclass(frozen=True)
class Attention:
    quarter_start: str
    crossed: list[Flag]
    no_feedback: list[Flag]
    overdue: list[Overdue]
    no_feedback_total: int


def quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def reasons(line: Mapping[str, Any]) -> list[str]:
    """Why scoring's line needs attention, in words (scoring's own test, ``needs_attention``)."""
    said = []
    if line.get("discipline_level"):
        said.append(f"disiplin tingkat {line['discipline_level']}")
    if line.get("tanpa_keterangan"):
        said.append(f"{line['tanpa_keterangan']} hari tanpa keterangan dalam 30 hari")
    if line.get("predikat") in ("Butuh Perbaikan", "Kurang/Misconduct", "Sangat Kurang"):
        said.append(f"predikat 30 hari {line['predikat']}")
    return said


async def needs_attention(
    team: Sequence[Person],
    crossed_lines: Sequence[Mapping[str, Any]],
    dialogue: TeamDialogue,
    today: date,
) -> Attention:
    names = {p.nip: p.name for p in team}
    nips = list(names)
    start = quarter_start(today)
    last = await dialogue.last_threads(nips)
    # Never given feedback first, then the longest without.
    quiet_people = sorted(
        (p for p in team if p.nip not in last or last[p.nip].date() < start),
        key=lambda p: (last.get(p.nip, _NEVER), p.name),
    )
    quiet = [Flag(p.nip, p.name, [_quiet_reason(last.get(p.nip))]) for p in quiet_people]
    crossed = [
        Flag(m["nip"], m.get("name") or names.get(m["nip"], m["nip"]), reasons(m))
        for m in crossed_lines
        if reasons(m)
    ]
    overdue = [
        Overdue(a.nip, names.get(a.nip, a.nip), a.what, a.due, late, a.thread_id)
        for a in await dialogue.agreed_actions(nips)
        if 0 < (late := (today - date.fromisoformat(a.due)).days) <= OVERDUE_WINDOW_DAYS
    ]
    overdue.sort(key=lambda o: (-o.days_late, o.name))
    return Attention(start.isoformat(), crossed, quiet[:SHOWN], overdue[:SHOWN], len(quiet))


def _quiet_reason(last: datetime | None) -> str:
    if last is None:
        return "belum pernah mendapat umpan balik"
    return f"umpan balik terakhir {tanggal(last.date())}"
