"""The performance dialogue over real Kafka and the MongoDB-wire server: a thread with a reply,
an edit that keeps the history, the employee's acknowledgement, the dialogue's events on
kinerja.feedback.v1, refusals written to the audit log, and a supervisor's rating that reaches
scoring and changes the employee's predicate."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from feedback.app import create_app as create_feedback
from feedback.settings import FeedbackSettings
from kinerja_shared.auth import mint_dev_token
from kinerja_shared.settings import DEV_JWT_SECRET
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import (
    KABID,
    KEPALA,
    STAFF,
    STAFF2,
    employee_records,
    org_chart_loaded,
    progress_record,
    publish,
    wait_for,
)
from tests.support import read_topic, serving, values

pytestmark = pytest.mark.integration


def as_(sub: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(DEV_JWT_SECRET, sub, list(roles))}"}


FEEDBACK = {
    "period": "2026-11",
    "category": "pelayanan",
    "values": ["berorientasi_pelayanan"],
    "text": "Antrean loket KTP-el masih panjang pada Senin pagi.",
    "strengths": ["Ramah kepada warga"],
    "improvements": ["Kecepatan pelayanan"],
    "actions": [{"what": "Pelatihan aplikasi SIAK", "owner_nip": STAFF, "due": "2026-12-15"}],
}


async def test_thread_versions_acknowledgement_and_refusals(infra: Infra, ns: Namespace) -> None:
    settings = ns.settings(FeedbackSettings, infra)
    app = create_feedback(settings)
    async with serving(app) as url, httpx.AsyncClient(base_url=url) as c:
        await publish(infra.kafka_bootstrap, settings.topics.reference, employee_records())
        await org_chart_loaded(app.state.people)
        r = await c.post(
            f"/v1/employees/{STAFF}/feedback", json=FEEDBACK, headers=as_(KABID, "supervisor")
        )
        assert r.status_code == 201, r.text
        thread = r.json()
        assert thread["notice_published"] is True
        tid = thread["id"]
        # The employee replies; the supervisor edits the feedback: a new version, the old kept.
        r = await c.post(
            f"/v1/feedback/{tid}/replies",
            json={"text": "Baik, saya ikut pelatihan."},
            headers=as_(STAFF, "employee"),
        )
        assert r.status_code == 201, r.text
        edited = {k: FEEDBACK[k] for k in ("text", "strengths", "improvements", "actions")}
        edited["text"] = "Antrean loket KTP-el masih panjang pada Senin dan Selasa pagi."
        r = await c.put(
            f"/v1/feedback/{tid}/entries/e1", json=edited, headers=as_(KABID, "supervisor")
        )
        assert r.status_code == 200, r.text
        first, answer = r.json()["entries"]
        assert (first["kind"], answer["kind"]) == (
            "feedback",
            "reply",
        )  # the thread keeps its order
        assert first["version"] == 2
        assert [h["body"]["text"] for h in first["history"]] == [FEEDBACK["text"], edited["text"]]
        # Only its author edits; only the employee acknowledges, once.
        r = await c.put(
            f"/v1/feedback/{tid}/entries/e1", json=edited, headers=as_(KEPALA, "supervisor")
        )
        assert r.status_code == 403
        r = await c.post(f"/v1/feedback/{tid}/ack", headers=as_(KABID, "supervisor"))
        assert r.status_code == 403
        r = await c.post(f"/v1/feedback/{tid}/ack", headers=as_(STAFF, "employee"))
        assert r.status_code == 200, r.text
        assert r.json()["acknowledged"]["by"] == STAFF
        assert (
            await c.post(f"/v1/feedback/{tid}/ack", headers=as_(STAFF, "employee"))
        ).status_code == 409
        # Outside the chain: refused, and the refusal is in the audit log.
        assert (
            await c.get(f"/v1/feedback/{tid}", headers=as_(STAFF2, "employee"))
        ).status_code == 403
        r = await c.post(
            f"/v1/employees/{STAFF}/feedback", json=FEEDBACK, headers=as_(STAFF2, "supervisor")
        )
        assert r.status_code == 403
        r = await c.post(
            f"/v1/employees/{STAFF}/feedback", json=FEEDBACK, headers=as_(STAFF, "employee")
        )
        assert r.status_code == 403
        assert (await c.get(f"/v1/employees/{STAFF}/feedback")).status_code == 401
        refused = (
            await c.get("/v1/audit", params={"refused_only": True}, headers=as_(KEPALA, "admin"))
        ).json()
        assert {(e["sub"], e["action"]) for e in refused["entries"]} >= {
            (STAFF2, "feedback.read"),
            (STAFF2, "feedback.post"),
            (STAFF, "feedback.post"),
            (KEPALA, "feedback.edit"),
            (KABID, "feedback.ack"),
        }
        # A supervisors' note: the employee does not see it, and it tells nobody.
        note = {**FEEDBACK, "visibility": "atasan", "text": "Catatan untuk pembinaan."}
        r = await c.post(
            f"/v1/employees/{STAFF}/feedback", json=note, headers=as_(KABID, "supervisor")
        )
        assert r.status_code == 201
        mine = (
            await c.get(f"/v1/employees/{STAFF}/feedback", headers=as_(STAFF, "employee"))
        ).json()
        assert [t["id"] for t in mine["threads"]] == [tid]
        team = (
            await c.get(f"/v1/employees/{STAFF}/feedback", headers=as_(KEPALA, "supervisor"))
        ).json()
        assert len(team["threads"]) == 2
        # Bad input: a clear 422 that names the field.
        bad = await c.post(
            f"/v1/employees/{STAFF}/feedback",
            json={**FEEDBACK, "category": "x"},
            headers=as_(KABID, "supervisor"),
        )
        assert bad.status_code == 422
        assert "category" in bad.text
        assert (
            await c.get(f"/v1/employees/{'9' * 18}/feedback", headers=as_(KABID, "supervisor"))
        ).status_code == 404
        # Coaching and the employee's Format B.1.8.
        r = await c.post(
            f"/v1/employees/{STAFF}/coaching",
            json={"date": "2026-11-24", "topics": ["Antrean loket"], "follow_up": "Pelatihan SIAK"},
            headers=as_(KABID, "supervisor"),
        )
        assert r.status_code == 201, r.text
        session = r.json()["id"]
        b18 = {"answers": [True] * 8 + [False], "comment": "Bermanfaat"}
        r = await c.post(
            f"/v1/coaching/{session}/employee-feedback", json=b18, headers=as_(STAFF, "employee")
        )
        assert r.status_code == 200, r.text
        assert r.json()["employee_feedback"]["agreed"] == "8/9"
    events = values(await read_topic(infra.kafka_bootstrap, settings.topics.feedback))
    assert [(e["type"], e["payload"]["author_nip"]) for e in events] == [
        ("feedback.posted", KABID),
        ("feedback.replied", STAFF),
        ("feedback.acknowledged", STAFF),
    ]
    assert all(e["nip"] == STAFF and e["payload"]["thread_id"] == tid for e in events)


async def test_a_rating_reaches_scoring_and_changes_the_predicate(
    infra: Infra, ns: Namespace
) -> None:
    feedback = ns.settings(FeedbackSettings, infra)
    scoring = ns.settings(ScoringSettings, infra, batch_timeout_ms=50, publish_alerts=False)
    app = create_feedback(feedback)
    async with (
        serving(app) as url,
        serving(create_scoring(scoring)) as scoring_url,
        httpx.AsyncClient() as c,
    ):
        await publish(infra.kafka_bootstrap, feedback.topics.reference, employee_records())
        await publish(
            infra.kafka_bootstrap,
            scoring.topics.target_progress,
            [progress_record(STAFF)],
        )
        await org_chart_loaded(app.state.people)

        async def evaluation() -> dict[str, Any]:
            r = await c.get(
                f"{scoring_url}/v1/employees/{STAFF}/evaluation",
                params={"period": "2026-11"},
                headers=as_(KEPALA, "admin"),
            )
            return r.json() if r.status_code == 200 else {}

        async def proposed() -> bool:
            return bool((await evaluation()).get("hasil_kerja", {}).get("indicators"))

        await wait_for(proposed, "scoring's first evaluation")
        before = await evaluation()
        assert before["perilaku_kerja"]["proposal"] is True
        rating = {
            "period": "2026-11",
            "rating": "Di Bawah Ekspektasi",
            "justification": "Sering menunda pelayanan.",
        }
        assert (
            await c.post(
                f"{url}/v1/employees/{STAFF}/ratings",
                json=rating,
                headers=as_(STAFF2, "supervisor"),
            )
        ).status_code == 403
        r = await c.post(
            f"{url}/v1/employees/{STAFF}/ratings", json=rating, headers=as_(KABID, "supervisor")
        )
        assert r.status_code == 201, r.text
        assert r.json()["published"] is True

        async def rated() -> bool:
            return (await evaluation())["perilaku_kerja"].get("proposal") is False

        await wait_for(rated, "the rating in scoring's evaluation")
        after = await evaluation()
        assert after["perilaku_kerja"]["rating"] == "Di Bawah Ekspektasi"
        assert after["predikat"] != before["predikat"]
        assert after["predikat"] == "Kurang/Misconduct"  # Hasil Sesuai × Perilaku Di Bawah (§1.4)
        # The employee objects (PP 30/2019 Pasal 59); the appraiser's superior changes the
        # behaviour rating, and scoring's evaluation follows the decision, which is final.
        objection = {"period": "2026-11", "reasons": "Saya bertugas di luar kantor sepekan."}
        r = await c.post(
            f"{url}/v1/employees/{STAFF}/objections", json=objection, headers=as_(STAFF, "employee")
        )
        assert r.status_code == 201, r.text
        filed = r.json()
        assert (filed["appraiser_nip"], filed["reviewer_nip"]) == (KABID, KEPALA)
        decision = {
            "outcome": "diubah",
            "perilaku_kerja": "Sesuai Ekspektasi",
            "reasons": "Surat tugas dinas luar terlampir; penundaan bukan kelalaian.",
        }
        by_appraiser = await c.post(
            f"{url}/v1/objections/{filed['id']}/decision",
            json=decision,
            headers=as_(KABID, "supervisor"),
        )
        assert by_appraiser.status_code == 403
        r = await c.post(
            f"{url}/v1/objections/{filed['id']}/decision",
            json=decision,
            headers=as_(KEPALA, "supervisor"),
        )
        assert r.status_code == 200, r.text
        assert r.json()["published"] is True

        async def decided() -> bool:
            return "keberatan" in await evaluation()

        await wait_for(decided, "the decision in scoring's evaluation")
        final = await evaluation()
        assert final["perilaku_kerja"]["rating"] == "Sesuai Ekspektasi"
        assert final["keberatan"]["reviewer_nip"] == KEPALA
        assert final["predikat"] == "Baik"
        # A later rating by the appraiser does not undo the final decision.
        again = {**rating, "justification": "Penilaian ulang."}
        later = await c.post(
            f"{url}/v1/employees/{STAFF}/ratings", json=again, headers=as_(KABID, "supervisor")
        )
        assert later.status_code == 201

        async def rerated() -> bool:
            latest = (await evaluation())["perilaku_kerja"].get("justification")
            return bool(latest == "Penilaian ulang.")

        await wait_for(rerated, "the later rating in scoring's evaluation")
        assert (await evaluation())["perilaku_kerja"]["rating"] == "Sesuai Ekspektasi"
        listed = await c.get(
            f"{url}/v1/employees/{STAFF}/objections", headers=as_(STAFF, "employee")
        )
        assert listed.json()["objections"][0]["decision"]["outcome"] == "diubah"
