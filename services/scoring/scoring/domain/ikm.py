"""Indeks Kepuasan Masyarakat (IKM, the citizen satisfaction index), PermenPANRB 14/2017 (pure).

Per element (unsur U1..U9): NRR = mean of the answers (1–4) of the responses that rated it. The
index is the weighted sum of the NRR ("NRR tertimbang"), each element weighing the policy's
``element_weight``: 0.111 as the regulation writes it (all fours give 3.996, 99.9 converted), or
1/9 where a government chooses the exact fraction; near a band edge the two differ. An element
nobody rated is left out, the others share its weight, and the result is provisional: the
regulation's questionnaire rates all nine. The converted value is ×25 (25–100). A one-button
kiosk rating counts for every element. The category (mutu) is read on the converted value
rounded to 2 decimals, each band starting at its lower bound; with fewer responses than the
policy's minimum it is provisional.

The minimum is a fixed number (30 by default), not the Krejcie–Morgan sample size that the
regulation's guide reads from the population served: Kinerja receives the responses, never the
number of people a desk or an officer served, so it cannot size the sample from a population.
A unit's annual SKM, run as the regulation describes, stays the unit's own survey.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from scoring.domain.policy import Policy

ELEMENTS = ("U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8", "U9")
OVERALL = "overall"


@dataclass(frozen=True, slots=True)
class IkmResult:
    responses: int
    nrr: dict[str, float]  # element → mean answer
    index: float  # 1–4 scale
    converted: float  # 25–100, rounded to 2 decimals
    category: str  # A–D (mutu pelayanan)
    label: str  # Sangat Baik ... Tidak Baik (kinerja unit pelayanan)
    final: bool  # enough responses for the category to be final


@dataclass
class IkmTally:
    """Running sums per element: what scoring keeps per employee, desk and unit and period."""

    responses: int = 0
    sums: dict[str, int] | None = None
    counts: dict[str, int] | None = None

    def add(self, ratings: Mapping[str, int]) -> None:
        sums = self.sums if self.sums is not None else {}
        counts = self.counts if self.counts is not None else {}
        expanded = {e: ratings[OVERALL] for e in ELEMENTS} if OVERALL in ratings else ratings
        for element, value in expanded.items():
            sums[element] = sums.get(element, 0) + value
            counts[element] = counts.get(element, 0) + 1
        self.sums, self.counts = sums, counts
        self.responses += 1


def category_of(converted: float, policy: Policy) -> tuple[str, str]:
    value = round(converted, 2)
    found = policy.ikm.bands[0]
    for band in policy.ikm.bands:
        if value >= band[0]:
            found = band
    return found[1], found[2]


def ikm(tally: IkmTally, policy: Policy) -> IkmResult | None:
    if not tally.responses or not tally.sums or not tally.counts:
        return None
    nrr = {e: tally.sums[e] / tally.counts[e] for e in ELEMENTS if tally.counts.get(e)}
    weight = policy.ikm.element_weight * len(ELEMENTS) / len(nrr)  # shared when one is missing
    index = sum(v * weight for v in nrr.values())
    converted = round(index * 25, 2)
    category, label = category_of(converted, policy)
    return IkmResult(
        tally.responses,
        nrr,
        round(index, 4),
        converted,
        category,
        label,
        tally.responses >= policy.ikm.min_responses_final and len(nrr) == len(ELEMENTS),
    )


def ikm_of(responses: Iterable[Mapping[str, int]], policy: Policy) -> IkmResult | None:
    tally = IkmTally()
    for r in responses:
        tally.add(r)
    return ikm(tally, policy)
