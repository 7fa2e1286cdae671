"""Objections (keberatan) to a performance result, PP 30/2019 Pasal 59 (use cases).

The employee objects, with reasons, within 14 days of receiving the result; the objection goes
to the appraiser's superior (``atasan pejabat penilai``: the second person up the chain), who
asks both sides, decides with reasons and may change the result; the decision is final. It
becomes an ``objection.decided`` event that scoring applies and every evaluation of the period
shows. The notifier tells the reviewer of a new objection (and reminds them) and the employee of
the decision. Each step is authorised and audited here; the ports are those of ``Dialogue``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from feedback.dialogue import (
    SOURCE,
    Conflict,
    Doc,
    NotFound,
    People,
    Publishes,
    audit,
    refuse,
    request_id,
)
from feedback.domain import OBJECTION_DECISION_DAYS, filing_window
from feedback.models import DecisionRequest, ObjectionRequest
from kinerja_shared.clock import Clock
from kinerja_shared.events import (
    DialogueNotice,
    ObjectionAnsweredEvent,
    ObjectionDecided,
    ObjectionDecidedEvent,
    ObjectionFiledEvent,
)
from kinerja_shared.identity import Principal, Role
from kinerja_shared.orgchart import chain_above

WIB = ZoneInfo("Asia/Jakarta")
_NOTICES = uuid.UUID("0b7e3f7a-51c3-4f47-9a2e-6d0c1f0e9b21")


class ObjectionStore(Protocol):
    async def ratings_of(self, nip: str) -> list[Doc]: ...
    async def objection(self, objection_id: str) -> Doc | None: ...
    async def objections_of(self, nip: str) -> list[Doc]: ...
    async def record(self, entry: Doc) -> None: ...


class Objections:
    """The ports are the dialogue's: ``FeedbackStore``, ``PeopleView``, ``Publisher``."""

    def __init__(
        self, store: ObjectionStore, people: People, publisher: Publishes, clock: Clock
    ) -> None:
        self._store = store
        self._people = people
        self._publisher = publisher
        self._clock = clock

    async def file(
        self, who: Principal, nip: str, body: ObjectionRequest, idempotency_key: str | None
    ) -> tuple[Doc, bool]:
        """The objection filed, and whether its notice reached Kafka."""
        if who.sub != nip:
            raise await refuse(
                self._store, self._clock, who, "objection.file", nip, "only the employee objects"
            )
        chain = await self._chain(nip)
        if len(chain) < 2:
            raise NotFound(
                "atasan pejabat penilai Anda tidak ada di struktur organisasi Kinerja; "
                "ajukan keberatan langsung ke BKPSDM"
            )
        now = self._clock.now()
        today = now.astimezone(WIB).date()
        rated = [r["at"] for r in await self._store.ratings_of(nip) if r["period"] == body.period]
        rated_on = max(rated).astimezone(WIB).date() if rated else None
        allowed, last_day = filing_window(body.period, rated_on, today)
        if not allowed:
            why = (
                f"keberatan atas periode {body.period} hanya dapat diajukan s.d. {last_day} "
                "(14 hari sejak hasil penilaian diterima, PP 30/2019 Pasal 59), dan setelah "
                "ada hasilnya"
            )
            raise await refuse(self._store, self._clock, who, "objection.file", nip, why)
        objection_id = request_id(who, "objection", idempotency_key)
        open_ = [o for o in await self._store.objections_of(nip) if o["period"] == body.period]
        if any(o["_id"] != objection_id and not o.get("decision") for o in open_):
            raise Conflict(f"sudah ada keberatan atas periode {body.period} yang belum diputus")
        doc = {
            "_id": objection_id,
            "nip": nip,
            "period": body.period,
            "reasons": body.reasons,
            "appraiser_nip": chain[0],
            "reviewer_nip": chain[1],
            "filed_at": now,
            "file_by": last_day.isoformat(),
            "decide_by": (today + timedelta(days=OBJECTION_DECISION_DAYS)).isoformat(),
        }
        notice = self._notice(ObjectionFiledEvent, doc, nip, body.reasons, "filed")
        published = await self._publisher.publish(notice, now, [("objections", doc)])
        await audit(self._store, self._clock, who, "objection.file", objection_id, allowed=True)
        return await self._objection(objection_id), published

    async def decide(
        self, who: Principal, objection_id: str, body: DecisionRequest
    ) -> tuple[Doc, bool]:
        """The reviewer's decision (final), and whether it reached Kafka."""
        objection = await self._objection(objection_id)
        if who.sub != objection["reviewer_nip"]:
            why = "only the appraiser's superior (atasan pejabat penilai) decides an objection"
            raise await refuse(self._store, self._clock, who, "objection.decide", objection_id, why)
        if objection.get("decision"):
            raise Conflict("keberatan ini sudah diputus; keputusan itu final")
        now = self._clock.now()
        decided = ObjectionDecided(
            objection_id=objection_id,
            period=objection["period"],
            outcome=body.outcome,
            hasil_kerja=body.hasil_kerja,
            perilaku_kerja=body.perilaku_kerja,
            reasons=body.reasons,
            reviewer_nip=who.sub,
            filed_at=objection["filed_at"],
        )
        event = ObjectionDecidedEvent(
            event_id=str(uuid.uuid5(_NOTICES, f"{objection_id}:decided")),
            type="objection.decided",
            occurred_at=now,
            nip=objection["nip"],
            source=SOURCE,
            payload=decided,
        )
        decision = {"_id": objection_id, "at": now, **decided.model_dump(mode="json")}
        published = await self._publisher.publish(event, now, [("decisions", decision)])
        notice = self._notice(ObjectionAnsweredEvent, objection, who.sub, body.reasons, "decided")
        await self._publisher.publish(notice, now)
        await audit(self._store, self._clock, who, "objection.decide", objection_id, allowed=True)
        return await self._objection(objection_id), published

    async def of(self, who: Principal, nip: str) -> list[Doc]:
        """The employee's objections: for them, their chain (the reviewer too) and admin."""
        chain = await self._chain(nip)
        if who.sub != nip and who.sub not in chain and not who.has(Role.ADMIN):
            raise await refuse(
                self._store, self._clock, who, "objection.list", nip, "not yours nor your chain's"
            )
        return await self._store.objections_of(nip)

    async def _objection(self, objection_id: str) -> Doc:
        found = await self._store.objection(objection_id)
        if found is None:
            raise NotFound(f"no objection {objection_id}")
        return found

    async def _chain(self, nip: str) -> list[str]:
        chart = await self._people.chart([nip], depth=3)
        if nip not in chart:
            raise NotFound(f"NIP {nip} is not in the reference data")
        return [p.nip for p in chain_above(nip, chart.get, 2)]

    def _notice(
        self,
        kind: type[ObjectionFiledEvent] | type[ObjectionAnsweredEvent],
        objection: Doc,
        author: str,
        text: str,
        step: str,
    ) -> ObjectionFiledEvent | ObjectionAnsweredEvent:
        return kind.model_validate(
            {
                "event_id": str(uuid.uuid5(_NOTICES, f"{objection['_id']}:{step}:notice")),
                "type": f"feedback.objection_{step}",
                "occurred_at": self._clock.now(),
                "nip": objection["nip"],
                "source": SOURCE,
                "payload": DialogueNotice(
                    thread_id=objection["_id"],
                    period=objection["period"],
                    category="keberatan",
                    author_nip=author,
                    supervisor_nip=objection["reviewer_nip"],
                    excerpt=text[:280],
                ),
            }
        )
