"""The channels' pure parts: webhook signatures and the e-mail templates."""

from __future__ import annotations

import time

from notifier.channels import EmailSender, sign, verify

BODY = b'{"notification_id":"abc"}'


def test_signatures_verify_and_refuse_tampering_and_replays() -> None:
    now = int(time.time())
    header = sign("rahasia", now, BODY)
    assert header.startswith(f"t={now},v1=")
    assert verify("rahasia", header, BODY)
    assert not verify("rahasia", header, BODY + b" ")  # body changed
    assert not verify("lain", header, BODY)  # another secret
    assert not verify("rahasia", sign("rahasia", now - 3600, BODY), BODY)  # too old
    assert not verify("rahasia", "v1=deadbeef", BODY)  # no timestamp


def test_email_renders_plain_text_and_escaped_html_in_indonesian() -> None:
    sender = EmailSender("smtp.invalid", 25, "Kinerja <k@x.go.id>", console_url="https://k/")
    context = {
        "recipient": {"id": "1", "name": "Budi", "reason": "atasan langsung", "email": "b@x"},
        "reminder": True,
        "escalated": False,
        "notices": [
            {
                "title": "Perlu <b>pembinaan</b>",
                "nip": "199001012015011001",
                "unit_code": "DISDIK",
                "period": "2026-W47",
                "reasons": ["3 hari terlambat"],
            },
            {
                "title": "Kedua",
                "nip": "199202022016012005",
                "unit_code": None,
                "period": "2026",
                "reasons": [],
            },
        ],
    }
    message = sender.render("b@x", "n-1", context)
    assert message["Subject"] == "[Pengingat] Kinerja: Perlu <b>pembinaan</b> (+1 lainnya)"
    assert message["Message-ID"] == "<n-1@kinerja>"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    plain, markup = str(text.get_content()), str(html.get_content())
    assert "Yth. Budi" in plain
    assert "belum ditanggapi" in plain
    assert "3 hari terlambat" in plain
    assert "https://k/" in plain
    assert "Perlu &lt;b&gt;pembinaan&lt;/b&gt;" in markup  # titles are escaped in HTML
    assert '<html lang="id">' in markup
