"""A team list (pure): who is below a supervisor, and one page of a unit's lines filtered and
sorted the way a supervisor asks, in a stable order (ties broken by NIP)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

#: Predicates from best to worst, and no predicate last: the order "by predicate" sorts in.
PREDICATE_RANK = {
    "Sangat Baik": 0,
    "Baik": 1,
    "Butuh Perbaikan": 2,
    "Kurang/Misconduct": 3,
    "Sangat Kurang": 4,
    None: 5,
}
LEVEL_RANK = {"berat": 0, "sedang": 1, "ringan": 2, None: 3}


class SortKey(StrEnum):
    NAME = "name"
    PREDIKAT = "predikat"
    DISCIPLINE = "discipline"
    HADIR = "hadir"
    TANPA_KETERANGAN = "tanpa_keterangan"
    TL_PSW = "tl_psw_days"


@dataclass(frozen=True)
class MemberQuery:
    below: str | None = None  # a supervisor's NIP: only the people under them
    predikat: str | None = None  # a predicate, or "none" for no predicate yet
    discipline_level: str | None = None  # ringan, sedang, berat, or "none"
    attention: bool = False  # only those who need attention
    search: str | None = None  # part of a name or NIP
    sort: SortKey = SortKey.NAME
    descending: bool = False
    page: int = 1
    size: int = 50

    def under(self, nip: str) -> MemberQuery:
        return replace(self, below=nip)


def below(supervisor: str, lines: Iterable[Mapping[str, Any]]) -> set[str]:
    """Everyone under ``supervisor`` through the chain (a loop in the data stops the walk)."""
    children: dict[str, list[str]] = {}
    for m in lines:
        if m.get("supervisor_nip"):
            children.setdefault(m["supervisor_nip"], []).append(m["nip"])
    seen: set[str] = set()
    todo = list(children.get(supervisor, []))
    while todo:
        nip = todo.pop()
        if nip in seen or nip == supervisor:
            continue
        seen.add(nip)
        todo.extend(children.get(nip, []))
    return seen


def needs_attention(m: Mapping[str, Any]) -> bool:
    return bool(
        m.get("discipline_level")
        or m.get("tanpa_keterangan")
        or PREDICATE_RANK.get(m.get("predikat"), 5) in (2, 3, 4)
    )


def _matches(m: Mapping[str, Any], q: MemberQuery) -> bool:
    if q.predikat is not None and (m.get("predikat") or "none") != q.predikat:
        return False
    if (
        q.discipline_level is not None
        and (m.get("discipline_level") or "none") != q.discipline_level
    ):
        return False
    if q.attention and not needs_attention(m):
        return False
    if q.search:
        needle = q.search.casefold()
        return needle in (m.get("name") or "").casefold() or needle in m["nip"]
    return True


def _key(m: Mapping[str, Any], sort: SortKey) -> tuple[Any, ...]:
    if sort is SortKey.PREDIKAT:
        return (PREDICATE_RANK.get(m.get("predikat"), 5), (m.get("name") or "").casefold())
    if sort is SortKey.DISCIPLINE:
        return (LEVEL_RANK.get(m.get("discipline_level"), 3), (m.get("name") or "").casefold())
    if sort is SortKey.NAME:
        return ((m.get("name") or "").casefold(),)
    return (m.get(sort.value) or 0,)


def select(lines: Sequence[Mapping[str, Any]], q: MemberQuery) -> tuple[int, list[dict[str, Any]]]:
    """(how many match, the asked page of them)."""
    hits = [m for m in lines if _matches(m, q)]
    hits.sort(key=lambda m: m["nip"])  # the tie-breaker: sorts are stable
    hits.sort(key=lambda m: _key(m, q.sort), reverse=q.descending)
    start = (q.page - 1) * q.size
    return len(hits), [dict(m) for m in hits[start : start + q.size]]
