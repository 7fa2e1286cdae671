"""The console in a real browser: Playwright drives Debian's Chromium (installed by the test
setup, never downloaded) against feedback, scoring and the notifier over real Kafka and the
MongoDB-wire server. A supervisor signs in, sees the team, opens a person, writes feedback and a
rating, sees the employee's reply and a live alert arrive and acknowledges it; a head of unit sees
the unit's charts. Screenshots are kept in test-artifacts/console/."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from openpyxl import load_workbook
from playwright.async_api import Browser, Page, Route, async_playwright, expect
from pypdf import PdfReader

from feedback.app import create_app as create_feedback
from feedback.settings import FeedbackSettings
from intake.app import create_app as create_intake
from intake.settings import IntakeSettings
from kinerja_local.city import generate_city
from kinerja_local.provision import city_rows
from kinerja_local.stack import free_port
from kinerja_shared.indonesian import BULAN, tanggal
from notifier.app import create_app as create_notifier
from notifier.settings import NotifierSettings
from scoring.app import create_app as create_scoring
from scoring.settings import ScoringSettings
from tests.conftest import Namespace
from tests.infra import Infra
from tests.notifier_support import (
    KABID,
    KEPALA,
    STAFF,
    STAFF2,
    SUPERVISOR,
    UNIT,
    alert,
    employee_records,
    org_chart_loaded,
    progress_record,
    publish,
    wait_for,
    web_only_routing,
)
from tests.support import admin_headers, serving

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-artifacts" / "console"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        raise RuntimeError("Chromium is missing: `make test-tools` installs Debian's package")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            await b.close()


async def sign_in(page: Page, url: str, nip: str, role: str = "supervisor") -> None:
    await page.goto(url)
    await page.get_by_label("NIP").fill(nip)
    await page.get_by_label("Peran").select_option(role)
    await page.get_by_role("button", name="Masuk (pengembangan)").click()


async def test_a_supervisor_and_a_head_of_unit_use_the_console(
    infra: Infra, ns: Namespace, tmp_path: Path
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    feedback_port, scoring_port, notifier_port = free_port(), free_port(), free_port()
    intake_port = free_port()
    intake = ns.settings(IntakeSettings, infra, close_days=False)
    feedback_url = f"http://127.0.0.1:{feedback_port}"
    scoring = ns.settings(ScoringSettings, infra, batch_timeout_ms=50, publish_alerts=False)
    notifier = ns.settings(
        NotifierSettings,
        infra,
        dispatch_interval_s=0.2,
        stream_poll_s=0.2,
        routing_file=web_only_routing(tmp_path),
        cors_origins=[feedback_url],
    )
    feedback = ns.settings(
        FeedbackSettings,
        infra,
        scoring_url=f"http://127.0.0.1:{scoring_port}",
        intake_url=f"http://127.0.0.1:{intake_port}",
        notifier_public_url=f"http://127.0.0.1:{notifier_port}",
    )
    app = create_feedback(feedback)
    async with (
        serving(create_scoring(scoring), scoring_port),
        serving(create_intake(intake), intake_port),
        serving(create_notifier(notifier), notifier_port),
        serving(app, feedback_port),
        browser() as b,
    ):
        await publish(infra.kafka_bootstrap, feedback.topics.reference, employee_records())
        await publish(
            infra.kafka_bootstrap,
            scoring.topics.target_progress,
            [progress_record(STAFF)],
        )
        await org_chart_loaded(app.state.people)
        page = await b.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, feedback_url, KABID)
        team = page.locator("#team")
        await expect(team).to_contain_text(STAFF)
        await expect(team.locator("tbody tr")).to_have_count(3)
        await expect(team.locator("tbody tr").filter(has_text=STAFF)).to_contain_text("baru")
        await page.screenshot(path=str(SHOTS / "1-team.png"), full_page=True)
        await accessible(page, "the team")
        # Live: a colleague's target figure reaches scoring, and the list on screen redraws
        # its table, unasked (evaluation.updated through the notifier's stream).
        await expect(page.locator("#stream-state")).to_contain_text("Tersambung")
        hasil = team.locator("tbody tr").filter(has_text=STAFF2).locator("td").nth(8)
        await expect(hasil).to_have_text("—")
        await publish(
            infra.kafka_bootstrap, scoring.topics.target_progress, [progress_record(STAFF2)]
        )
        await expect(hasil).not_to_have_text("—", timeout=60_000)
        await expect(page.locator("#stream-state")).to_contain_text("Angka diperbarui")
        # "This month" is WIB's: 18:00 UTC on 30 November is already 1 December in Tanjungbalai.
        month = await page.evaluate("thisMonth(new Date('2026-11-30T18:00:00Z'))")
        assert month == "2026-12"
        assert await page.evaluate("thisMonth(new Date('2026-11-30T16:59:00Z'))") == "2026-11"
        # A person: the evaluation with its evidence, the dialogue and the forms.
        await page.get_by_role("row").filter(has_text=STAFF).get_by_role("button").click()
        await expect(page.locator("#evaluation")).to_contain_text("Predikat")
        await page.get_by_label("Umpan balik").fill("Antrean loket masih panjang pada Senin pagi.")
        await page.get_by_label("Perlu ditingkatkan (pisahkan dengan ;)").fill(
            "Kecepatan pelayanan; Penguasaan SIAK"
        )
        await page.get_by_label("Tindakan").fill("Pelatihan aplikasi SIAK")
        await page.get_by_label("Tenggat").fill("2026-12-15")
        await page.get_by_role("button", name="Simpan umpan balik").click()
        await expect(page.locator(".thread")).to_contain_text("Antrean loket masih panjang")
        await page.get_by_label("Penilaian", exact=True).select_option("Di Bawah Ekspektasi")
        await page.get_by_label("Alasan").fill("Sering menunda pelayanan.")
        await page.get_by_role("button", name="Simpan penilaian").click()
        await expect(page.locator("#rating-form .status")).to_have_text("Penilaian tersimpan.")
        # Live: scoring takes the rating and the page on screen redraws its figures, unasked
        # (evaluation.updated through the notifier's stream).
        await expect(page.locator("#fig-perilaku .why")).to_contain_text(
            f"oleh atasan (NIP {KABID})", timeout=60_000
        )
        await expect(page.locator("#stream-state")).to_contain_text("Angka diperbarui")
        # The employee replies (through the API, as their own console would).
        async with httpx.AsyncClient(base_url=feedback_url) as c:
            threads = (
                await c.get(
                    f"/v1/employees/{STAFF}/feedback", headers=await _token(c, STAFF, "employee")
                )
            ).json()
            tid = threads["threads"][0]["id"]
            r = await c.post(
                f"/v1/feedback/{tid}/replies",
                json={"text": "Siap, saya ikut pelatihan SIAK."},
                headers=await _token(c, STAFF, "employee"),
            )
            assert r.status_code == 201, r.text

        # The page reads the evaluation when a person is opened: wait until scoring has the
        # rating (under the whole suite it may take longer than the clicks), then open them.
        async def rated() -> bool:
            async with httpx.AsyncClient() as sc:
                r = await sc.get(
                    f"http://127.0.0.1:{scoring_port}/v1/employees/{STAFF}/evaluation",
                    params={"period": datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")},
                    headers=admin_headers(),
                )
                return r.status_code == 200 and bool(r.json()["perilaku_kerja"].get("rating"))

        await wait_for(rated, "the rating in scoring's evaluation", timeout_s=90)
        await page.get_by_role("button", name="Tim saya").click()
        await page.get_by_role("row").filter(has_text=STAFF).get_by_role("button").click()
        await expect(page.locator(".thread .entry.reply")).to_contain_text(
            "Siap, saya ikut pelatihan SIAK."
        )
        # The rating reached scoring: the predicate now uses the supervisor's rating.
        await expect(page.locator("#fig-perilaku .why")).to_contain_text(
            f"oleh atasan (NIP {KABID})", timeout=30_000
        )
        # Who needs attention: the two without feedback this quarter, no action past due.
        await page.get_by_role("button", name="Perlu perhatian").click()
        quiet = page.locator("#attention-quiet li")
        await expect(quiet).to_have_count(2)
        await expect(quiet.first).to_contain_text("belum pernah mendapat umpan balik")
        await expect(page.locator("#attention-overdue")).to_contain_text("Tidak ada")
        await page.screenshot(path=str(SHOTS / "7-attention.png"), full_page=True)
        await accessible(page, "needs attention")
        await quiet.first.get_by_role("button").click()
        await expect(page.locator(".person")).to_be_visible()
        await page.get_by_role("button", name="Tim saya").click()
        await page.get_by_role("row").filter(has_text=STAFF).get_by_role("button").click()
        # A live alert arrives from the notifier's stream and is acknowledged.
        await expect(page.locator("#stream-state")).to_contain_text("Tersambung.")
        await publish(
            infra.kafka_bootstrap,
            notifier.topics.alert,
            [alert("coaching.needed", STAFF, "2026-W48")],
        )
        notices = page.locator("#alert-list li")
        # The employee's reply reached the supervisor through the notifier too.
        await expect(notices.filter(has_text="Balasan baru dalam dialog kinerja")).to_have_count(1)
        live = notices.filter(has_text="Perlu pembinaan")
        await expect(live).to_have_count(1, timeout=30_000)
        page.once("dialog", lambda d: d.accept("Sudah dibina"))
        await live.get_by_role("button", name="Tanggapi").click()
        await expect(live).to_contain_text("Ditanggapi")
        await page.screenshot(path=str(SHOTS / "2-person.png"), full_page=True)
        # A coaching session, then the employee's Format B.1.8 in their own console.
        await page.get_by_label("Tanggal").fill("2026-11-24")
        await page.get_by_label("Topik (pisahkan dengan ;)").fill("Antrean loket; SIAK")
        await page.get_by_label("Tindak lanjut").fill("Pelatihan SIAK bulan Desember")
        await page.get_by_role("button", name="Simpan sesi").click()
        await expect(page.locator("#coaching")).to_contain_text("menunggu umpan balik pegawai")
        employee = await b.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(employee, feedback_url, STAFF, "employee")
        await expect(employee.locator(".thread")).to_contain_text("Antrean loket masih panjang")
        form = employee.locator("form.b18")
        for box in await form.get_by_role("checkbox").all():
            await box.check()
        await form.get_by_role("button", name="Kirim umpan balik bimbingan").click()
        await expect(employee.locator("#coaching")).to_contain_text("B.1.8: 9/9")
        # Their own page: each figure with the sentence that explains it, month by month.
        await expect(employee.get_by_role("heading", name="Kinerja saya")).to_be_visible()
        await expect(employee.locator("#fig-hasil .why")).to_contain_text("indikator kinerja")
        await expect(employee.locator("#fig-disiplin .why")).to_contain_text("PP 94/2021")
        await expect(employee.locator("#fig-kehadiran .why")).not_to_be_empty()
        await expect(employee.locator("#why-predikat")).to_contain_text("PermenPANRB 6/2022")
        await expect(employee.locator("#targets")).to_contain_text("Dokumen terbit")
        await expect(employee.get_by_role("button", name="Tim saya")).to_be_hidden()
        await employee.screenshot(path=str(SHOTS / "6-kinerja-saya.png"), full_page=True)
        await accessible(employee, "Kinerja saya")
        # Their evaluation document and coaching record, then the code checked as BKPSDM would.
        said, code = await downloaded_pdf(employee, "Unduh dokumen evaluasi (PDF)", tmp_path)
        figures = await employee.evaluate(
            """async (nip) => (await fetch(`/v1/console/employees/${nip}/evaluation`, {headers:
            {Authorization: `Bearer ${sessionStorage.getItem("kinerja.token")}`}})).json()""",
            STAFF,
        )
        assert "DOKUMEN EVALUASI KINERJA PEGAWAI" in said
        assert f"NIP {STAFF}" in said
        assert f"Predikat kinerja pegawai {figures['predikat'] or 'belum ada'}" in said
        assert f"Kebijakan {figures['policy_version']}" in said
        record, _ = await downloaded_pdf(employee, "Unduh B.1.8 (PDF)", tmp_path)
        assert "Pegawai menyetujui 9/9 pernyataan." in record
        assert f"kebijakan penilaian versi {figures['policy_version']}" in record
        await employee.get_by_role("button", name="Periksa dokumen").click()
        await employee.get_by_label("Kode verifikasi (tertera di kaki dokumen)").fill(code)
        await employee.get_by_role("button", name="Periksa", exact=True).click()
        await expect(employee.locator("#verify-result")).to_contain_text("Dokumen asli")
        await accessible(employee, "Periksa dokumen")
        # The rules, with the city's figures, for anyone who wants to know how they are judged.
        await employee.get_by_role("button", name="Cara penilaian").click()
        await expect(employee.locator(".guide")).to_have_count(9)
        await expect(employee.locator("#view")).to_contain_text("setiap 450 menit dihitung")
        await expect(employee.locator("#view table").first).to_contain_text("TL2")
        await accessible(employee, "Cara penilaian")
        await employee.get_by_role("button", name="Kinerja saya").click()
        # An objection to the month's result (keberatan, PP 30/2019 Pasal 59).
        await employee.get_by_label("Alasan keberatan").fill(
            "Penilaian perilaku tidak sesuai dengan catatan pelayanan saya bulan ini."
        )
        await employee.get_by_role("button", name="Ajukan keberatan").click()
        await expect(employee.locator("#objections")).to_contain_text("Menunggu keputusan")
        await employee.get_by_role("button", name="‹ Bulan sebelumnya").click()
        await expect(employee.locator("#month")).to_contain_text(previous_month_name())
        # And that month's year: the same figures and sentences over the year.
        await employee.get_by_role("button", name=re.compile(r"Lihat tahun \d{4}")).click()
        await expect(employee.locator("#month")).to_contain_text(re.compile(r"Tahun \d{4}"))
        await expect(employee.locator("#fig-disiplin .why")).to_contain_text("PP 94/2021")
        # The head of the unit sees the unit's picture as charts.
        head = await b.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(head, feedback_url, KEPALA)
        await expect(head.locator("#team")).to_contain_text(KABID)
        await head.get_by_role("button", name="Unit kerja").click()
        await expect(head.locator("figure svg")).to_have_count(5)
        await expect(head.locator("figure").first).to_contain_text("Sebaran predikat")
        # Each chart has a value axis with its ticks and a legend naming what it counts.
        await expect(head.locator("figure").first.locator("line")).to_have_count(4)
        await expect(head.locator("figure").first.locator(".legend")).to_have_text(
            " jumlah pegawai"
        )
        await head.get_by_label("Predikat organisasi unit").select_option("Baik")
        await expect(head.locator("#distribution-check")).to_contain_text(
            "predikat organisasi Baik"
        )
        improvements = head.locator("figure").filter(has_text="paling sering perlu ditingkatkan")
        await expect(improvements.locator("svg")).to_have_attribute(
            "aria-label", re.compile("Kecepatan pelayanan 1, Penguasaan SIAK 1")
        )
        await expect(head.locator("#open-actions")).to_contain_text(
            "15 Desember 2026: Pelatihan aplikasi SIAK"
        )
        await head.screenshot(path=str(SHOTS / "3-unit.png"), full_page=True)
        await accessible(head, "the unit")
        # The appraiser's superior decides the objection, once and for good.
        await head.get_by_role("button", name="Tim saya").click()
        await head.get_by_role("row").filter(has_text=STAFF).get_by_role("button").click()
        await head.get_by_label("Alasan keputusan").fill("Catatan pelayanan sudah diperiksa.")
        await head.get_by_role("button", name="Simpan keputusan").click()
        await expect(head.locator("#objections")).to_contain_text(
            "Keputusan (final): keberatan ditolak, hasil tetap"
        )
        await accessible(head, "a person's page with an objection")
        # And on a phone screen the page still reads.
        phone = await b.new_page(viewport={"width": 390, "height": 844})
        await sign_in(phone, feedback_url, KABID)
        await expect(phone.locator("#team")).to_be_visible()
        await phone.screenshot(path=str(SHOTS / "4-phone.png"), full_page=True)
        # An admin sees the year's working calendar: first that it is missing, then the SKB's.
        year = datetime.now(ZoneInfo("Asia/Jakarta")).year
        admin = await b.new_page(viewport={"width": 1280, "height": 900})
        # The team view opens first and its answer is held back until the admin has moved on to
        # the calendar: arriving late, it must not be drawn over the view asked for since.
        team_held = asyncio.Event()

        async def hold_team(route: Route) -> None:
            await team_held.wait()
            await route.continue_()

        await admin.route("**/v1/console/team?*", hold_team)
        await sign_in(admin, feedback_url, KEPALA, role="admin")
        await admin.get_by_role("button", name="Kalender kerja").click()
        await expect(admin.locator("#calendar-source")).to_contain_text(
            f"Kalender {year} belum dimuat"
        )
        async with admin.expect_response("**/v1/console/team?*") as late:
            team_held.set()
        await (await late.value).finished()
        await admin.evaluate("() => new Promise((done) => setTimeout(done, 200))")
        await expect(admin.locator("#calendar-source")).to_be_visible()
        await expect(admin.locator("#team")).to_have_count(0)
        await admin.unroute("**/v1/console/team?*")
        await publish(infra.kafka_bootstrap, feedback.topics.reference, calendar_records(year))

        async def calendar_shown() -> bool:
            await admin.get_by_role("button", name="Kalender kerja").click()
            return "SKB uji" in (await admin.locator("#calendar-source").inner_text())

        await wait_for(calendar_shown, "the calendar reaches scoring and the console")
        await expect(admin.locator("#calendar tbody tr")).to_have_count(2)
        await expect(admin.locator("#calendar")).to_contain_text("Cuti bersama Natal")
        await admin.screenshot(path=str(SHOTS / "5-calendar.png"), full_page=True)
        # BKPSDM downloads the month's TPP recap, the file payroll opens.
        await admin.get_by_role("button", name="Rekap TPP").click()
        async with admin.expect_download() as got:
            await admin.get_by_role("button", name="Unduh XLSX").click()
        download = await got.value
        assert re.fullmatch(r"rekap-tpp-20\d\d-\d\d\.xlsx", download.suggested_filename)
        await download.save_as(tmp_path / download.suggested_filename)
        recap = load_workbook(tmp_path / download.suggested_filename).active
        assert recap is not None
        header = next(recap.iter_rows(max_row=1, values_only=True))
        assert header[:3] == ("Kode OPD", "NIP", "Nama")
        await expect(admin.locator("#recap-status")).to_contain_text("diunduh")
        # The city at a glance: each unit's picture, the machine that never spoke, the lists.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake_port}") as c:
            for path, body in [
                ("/v1/admin/units", [{"code": "DISDIK", "name": "Dinas Pendidikan"}]),
                ("/v1/admin/devices", [{"serial": "MESIN-DIAM-1", "unit_code": "DISDIK"}]),
            ]:
                r = await c.post(path, json=body, headers=admin_headers())
                assert r.status_code == 200, r.text
        await admin.get_by_role("button", name="Kota").click()
        await expect(admin.locator("#city-units tbody tr").first).to_contain_text("DISDIK")
        await expect(admin.locator("#city-machines")).to_contain_text(
            "MESIN-DIAM-1 (DISDIK): belum pernah terhubung"
        )
        await expect(admin.locator("#outcomes-coaching, #outcomes-recognition")).to_have_count(2)
        await admin.screenshot(path=str(SHOTS / "8-city.png"), full_page=True)
        await accessible(admin, "Kota")
        async with admin.expect_download() as got:
            await admin.get_by_role("button", name="Unduh CSV").click()
        lists = (await got.value).suggested_filename
        assert re.fullmatch(r"hasil-kinerja-20\d\d\.csv", lists)
        await expect(admin.locator("#outcomes-status")).to_contain_text("diunduh")
        # BKPSDM corrects a punch: a check-in at 06.10 under STAFF's PIN was somebody else's.
        today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{intake_port}") as c:
            setda = [{"code": "SETDA", "name": "Sekretariat Daerah"}]
            r = await c.post("/v1/admin/units", json=setda, headers=admin_headers())
            assert r.status_code == 200, r.text
            r = await c.post("/v1/admin/employees", json=people_rows(), headers=admin_headers())
            assert r.status_code == 200, r.text
        await publish(
            infra.kafka_bootstrap,
            scoring.topics.attendance,
            [
                punch_record(STAFF, f"{today}T06:10:00+07:00"),
                punch_record(STAFF, f"{today}T07:40:00+07:00"),
            ],
        )
        await admin.get_by_label("Buka halaman pegawai (NIP)").fill(STAFF)
        await admin.get_by_role("button", name="Buka", exact=True).click()
        day = admin.get_by_role("button", name=f"Rincian presensi {tanggal(today)}")
        await expect(day).to_be_visible(timeout=30_000)

        async def punches_shown(count: int) -> bool:
            """The day opened shows ``count`` punches (the day may show before scoring has them
            all; a live redraw reopens the panel)."""
            await day.click()
            try:
                await expect(admin.locator("#punches li")).to_have_count(count, timeout=3_000)
            except AssertionError:
                return False
            return True

        await wait_for(lambda: punches_shown(2), "the day's two punches in scoring", timeout_s=30)
        early = admin.locator("#punches li").first
        await early.get_by_role("textbox").fill("Presensi dengan PIN pegawai ini oleh orang lain")
        await early.get_by_role("button", name="Batalkan presensi").click()
        await expect(early).to_contain_text("Koreksi diterima")
        await accessible(admin, "Rincian presensi")

        # Unasked, the live redraw (scoring judged the day again) keeps the day open and
        # shows the punch voided.
        await expect(admin.locator("#punches li").first).to_contain_text(
            "dibatalkan", timeout=60_000
        )
        await expect(admin.locator("#corrections")).to_contain_text("orang lain")
        # A supervisor has no calendar button (scoring refuses them the calendar too).
        await expect(head.get_by_role("button", name="Kalender kerja")).to_be_hidden()
        # The feedback's author marks the agreed action done: a new version of the entry, and
        # the unit's open actions no longer list it.
        await page.get_by_role("button", name="Tim saya").click()
        await page.get_by_role("row").filter(has_text=STAFF).get_by_role("button").click()
        await page.get_by_role("button", name="Tandai selesai").click()
        await expect(page.locator(".thread .actions")).to_contain_text("selesai")
        await expect(page.locator(".thread details summary")).to_contain_text("2 versi")
        await head.get_by_role("button", name="Unit kerja").click()
        await expect(head.locator("#open-actions")).to_have_text("Belum ada tindak lanjut terbuka.")


def people_rows() -> list[dict[str, Any]]:
    """The org chart of ``employee_records`` as intake's administrators send it."""
    return [
        {"nip": nip, "name": f"Pegawai {nip[-3:]}", "unit_code": UNIT[nip], "position": "Staf",
         "supervisor_nip": sup}
        for nip, sup in SUPERVISOR.items()
    ]  # fmt: skip


def punch_record(nip: str, at: str) -> tuple[bytes, bytes]:
    event = {
        "event_id": str(uuid.uuid4()),
        "type": "attendance.recorded",
        "occurred_at": at,
        "nip": nip,
        "source": {"kind": "device", "id": "TBL1"},
        "payload": {"direction": "in", "method": "fingerprint", "device_sn": "TBL1"},
    }
    return nip.encode(), json.dumps(event).encode()


#: The WCAG 2.1 A and AA rules of axe-core (the checker Deque publishes, bundled in
#: axe-playwright-python), run on each page a role's journey opens.
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


async def accessible(page: Page, what: str) -> None:
    results = await Axe().run(page, options=WCAG)
    assert results.violations_count == 0, f"{what}:\n{results.generate_report()}"


async def downloaded_pdf(page: Page, button: str, folder: Path) -> tuple[str, str]:
    """The text of the PDF a button downloads, and the verification code the page names."""
    async with page.expect_download() as got:
        await page.get_by_role("button", name=button).first.click()
    download = await got.value
    path = folder / download.suggested_filename
    await download.save_as(path)
    shutil.copy(path, SHOTS / download.suggested_filename)  # kept with the screenshots
    status = page.locator("#document-status")
    await expect(status).to_contain_text("Kode verifikasinya")
    code = (await status.inner_text()).rsplit(" ", 1)[-1].rstrip(".")
    text = "\n".join(p.extract_text() for p in PdfReader(path).pages)
    return " ".join(text.split()), code


def calendar_records(year: int) -> list[tuple[bytes, bytes]]:
    days = [
        (f"{year}-12-24", "Cuti bersama Natal", "cuti_bersama"),
        (f"{year}-12-25", "Natal", "libur_nasional"),
    ]
    records = [
        (
            f"holiday:{d}".encode(),
            json.dumps({"kind": "holiday", "date": d, "name": n, "holiday_kind": k}).encode(),
        )
        for d, n, k in days
    ]
    year_record = {"kind": "calendar_year", "year": year, "source": "SKB uji", "days": 2}
    return [*records, (f"calendar_year:{year}".encode(), json.dumps(year_record).encode())]


def previous_month_name() -> str:
    """The month before this one in WIB, as the console names it ("Oktober 2026")."""
    today = datetime.now(ZoneInfo("Asia/Jakarta"))
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{BULAN[month - 1]} {year}"


async def _token(c: httpx.AsyncClient, nip: str, role: str) -> dict[str, str]:
    r = await c.post("/v1/console/dev-sign-in", json={"nip": nip, "role": role})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


WIB = ZoneInfo("Asia/Jakarta")
#: The team the head pages through; ``make journeys`` runs it with 1,100 (a big unit's head).
TEAM = int(os.environ.get("KINERJA_JOURNEY_TEAM", "120"))


@pytest.mark.timeout(900)
async def test_a_head_pages_through_a_large_team_and_rates_gives_feedback_and_coaches(
    infra: Infra, ns: Namespace
) -> None:
    city = generate_city(seed=33, employees=TEAM + 1, units=1)
    head = next(e for e in city.employees if e.supervisor_nip is None)
    unit = city.units[0].code
    scoring = ns.settings(ScoringSettings, infra, batch_timeout_ms=50, publish_alerts=False)
    intake = ns.settings(IntakeSettings, infra, close_days=False)
    async with (
        serving(create_intake(intake)) as intake_url,
        serving(create_scoring(scoring)) as scoring_url,
        httpx.AsyncClient(timeout=120) as c,
    ):
        feedback = ns.settings(FeedbackSettings, infra, scoring_url=scoring_url)
        app = create_feedback(feedback)
        for path, body in [
            ("/v1/admin/units", [{"code": u.code, "name": u.name} for u in city.units]),
            ("/v1/admin/employees", city_rows(city)),
        ]:
            r = await c.post(f"{intake_url}{path}", json=body, headers=admin_headers())
            assert r.status_code == 200, r.text

        async def all_lines() -> bool:
            r = await c.get(
                f"{scoring_url}/v1/units/{unit}/members",
                params={"period": datetime.now(WIB).strftime("%Y-%m"), "below": head.nip},
                headers=admin_headers(),
            )
            return r.status_code == 200 and r.json()["total"] == TEAM

        await wait_for(all_lines, f"scoring's lines of {TEAM} people", timeout_s=600)
        async with serving(app) as feedback_url, browser() as b:
            await org_chart_loaded(app.state.people, TEAM + 1)
            page = await b.new_page(viewport={"width": 1280, "height": 900})
            await sign_in(page, feedback_url, head.nip)
            caption = page.locator("#team caption")
            await expect(caption).to_have_text(f"1–50 dari {TEAM} orang di bawah Anda")
            await accessible(page, f"a team of {TEAM}")
            await page.get_by_role("button", name="Berikutnya ›").click()
            await expect(caption).to_have_text(f"51–100 dari {TEAM} orang di bawah Anda")
            await expect(page.locator("#team tbody tr")).to_have_count(50)
            # The same team over the year: the period is chosen from a list, not typed.
            year = datetime.now(WIB).year
            await page.get_by_label("Periode").select_option(str(year))
            await expect(page.locator("#view-title")).to_have_text(f"Tim saya — Tahun {year}")
            await expect(caption).to_have_text(f"1–50 dari {TEAM} orang di bawah Anda")
            await expect(page.locator("#team .avatar").first).not_to_be_empty()  # initials
            # Found by name, then rated, given feedback and coached from their page.
            someone = sorted(city.employees, key=lambda e: e.name)[TEAM // 2]
            await page.get_by_label("Cari nama atau NIP").fill(someone.nip)
            await page.get_by_role("button", name="Cari", exact=True).click()
            await expect(page.locator("#team tbody tr")).to_have_count(1)
            await page.get_by_role("row").filter(has_text=someone.nip).get_by_role("button").click()
            await expect(page.locator(".person")).to_contain_text(someone.name)
            await page.get_by_label("Umpan balik").fill("Laporan bulan ini rapi dan tepat waktu.")
            await page.get_by_role("button", name="Simpan umpan balik").click()
            await expect(page.locator(".thread")).to_contain_text("Laporan bulan ini rapi")
            await page.get_by_label("Penilaian", exact=True).select_option("Di Atas Ekspektasi")
            await page.get_by_label("Alasan").fill("Selalu selesai sebelum tenggat.")
            await page.get_by_role("button", name="Simpan penilaian").click()
            await expect(page.locator("#rating-form .status")).to_have_text("Penilaian tersimpan.")
            await page.get_by_label("Tanggal").fill(datetime.now(WIB).date().isoformat())
            await page.get_by_label("Topik (pisahkan dengan ;)").fill("Rencana pelatihan")
            await page.get_by_label("Tindak lanjut").fill("Ikut diklat arsip digital")
            await page.get_by_role("button", name="Simpan sesi").click()
            await expect(page.locator("#coaching")).to_contain_text("Rencana pelatihan")
