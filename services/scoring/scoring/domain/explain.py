"""Penjelasan (explanations): each figure of an evaluation in one plain Indonesian sentence, made
from the evaluation's own figures and the policy's values, so that a person reads how and why
they were judged without knowing the rules' names. Pure: the evaluation document in, the
sentences out, one per figure."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from kinerja_shared.indonesian import waktu_wib
from scoring.domain.policy import Policy

Doc = Mapping[str, Any]

#: The national rule each sentence rests on, named where the person reads it.
PP94 = "PP 94/2021 tentang Disiplin PNS"
PERMEN6 = "PermenPANRB 6/2022"
PERMEN14 = "PermenPANRB 14/2017"


def penjelasan(doc: Doc, policy: Policy) -> dict[str, str]:
    """One sentence per figure the document holds, keyed as the evaluation's own fields (a
    document of an older shape gets the sentences its figures allow)."""
    out: dict[str, str] = {}
    if "attendance" in doc:
        out["kehadiran"] = kehadiran(doc["attendance"], (doc.get("employee") or {}).get("schedule"))
        if doc.get("tpp_disiplin_deduction_percent") is not None:
            out["tpp"] = tpp(doc["tpp_disiplin_deduction_percent"], doc["attendance"], policy)
    if "discipline" in doc:
        out["disiplin"] = disiplin(doc["discipline"], policy)
    out["ikm"] = ikm(doc.get("ikm"), policy)
    if "hasil_kerja" in doc:
        out["hasil_kerja"] = hasil_kerja(doc["hasil_kerja"])
    if "perilaku_kerja" in doc:
        out["perilaku_kerja"] = perilaku_kerja(doc["perilaku_kerja"])
        out["predikat"] = predikat(doc)
    if doc.get("corrections"):
        out["koreksi"] = koreksi(doc["corrections"])
    return out


def koreksi(corrections: list[Doc]) -> str:
    """Each voided punch, when it was, who voided it and why: nothing leaves a day unsaid."""
    told = "; ".join(
        f"presensi {waktu_wib(datetime.fromisoformat(c['punch_at']))} dibatalkan oleh "
        f"administrator NIP {c['voided_by']} dengan alasan: {c['reason']}"
        for c in corrections
    )
    return f"Hari-hari ini dinilai tanpa presensi yang dibatalkan: {told}."


def kehadiran(a: Doc, schedule: str | None) -> str:
    judged = a["working_days_judged"]
    if judged == 0:
        return "Belum ada hari kerja yang selesai dinilai pada periode ini."
    late = _minutes(a["late_minutes"], "terlambat masuk")
    early = _minutes(a["early_minutes"], "pulang sebelum waktunya")
    timing = (
        f" Pada {a['tl_psw_days']} hari Anda {late}{' dan ' if late and early else ''}{early}."
        if a["tl_psw_days"]
        else " Tidak ada keterlambatan (TL) maupun pulang cepat (PSW)."
    )
    return (
        f"Dari {judged} hari kerja yang dinilai menurut jadwal {schedule or 'standar'}, Anda "
        f"hadir {a['hadir']} hari, izin, cuti atau dinas {a['izin']} hari, dan tidak hadir "
        f"tanpa keterangan {a['tanpa_keterangan']} hari.{timing}"
    )


def angka(x: float) -> str:
    """A number as Indonesian writes it: a decimal comma (99,9; 0,5)."""
    return f"{x:g}".replace(".", ",")


def _minutes(total: int, what: str) -> str:
    return f"{what} {total} menit seluruhnya" if total else ""


def disiplin(d: Doc, policy: Policy) -> str:
    counted = d["counted_days"]
    shown = angka(counted)
    if d.get("level"):
        now = (
            f"Tahun ini {shown} hari dihitung sebagai tidak masuk kerja tanpa keterangan, "
            f"sehingga menurut {PP94} tingkat hukuman disiplinnya {d['level']} "
            f"({d.get('sanction')})."
        )
    else:
        now = (
            f"Tahun ini {shown} hari dihitung sebagai tidak masuk kerja tanpa keterangan "
            f"(termasuk menit TL/PSW yang dijumlahkan menjadi hari), belum sampai tingkat "
            f"hukuman disiplin menurut {PP94}."
        )
    ahead = next((lv for lv in policy.discipline.levels if lv.from_days > counted), None)
    if ahead is None:
        return now
    gap = ahead.from_days - counted
    step = f"Tingkat berikutnya ({ahead.sanction}) dimulai pada {ahead.from_days} hari"
    return f"{now} {step}, {angka(gap)} hari lagi."


def tpp(percent: float, a: Doc, policy: Policy) -> str:
    if not percent:
        return "Tidak ada potongan TPP karena disiplin pada periode ini."
    return (
        f"TPP dipotong {angka(percent)}% karena disiplin: keterlambatan dan pulang cepat menurut "
        f"kategorinya ({_categories(a['categories'])}) serta {a['tanpa_keterangan']} hari tanpa "
        f"keterangan, menurut tabel potongan kota (paling banyak "
        f"{angka(policy.tpp.cap_percent)}%)."
    )


def _categories(categories: Mapping[str, int]) -> str:
    shown = [f"{k} {v} kali" for k, v in sorted(categories.items()) if v and k[:2] in ("TL", "PS")]
    return ", ".join(shown) or "tidak ada"


def ikm(i: Doc | None, policy: Policy) -> str:
    if not i or not i.get("responses"):
        return "Belum ada penilaian warga atas layanan Anda pada periode ini."
    need = policy.ikm.min_responses_final
    if not i.get("final"):
        return (
            f"Baru {i['responses']} warga menilai; IKM setelah sedikitnya {need} penilaian "
            f"({PERMEN14})."
        )
    return (
        f"{i['responses']} warga menilai layanan Anda. Nilai IKM {angka(i['converted'])} dari "
        f"100, mutu {i['category']} ({i['label']}), menurut {PERMEN14}."
    )


def hasil_kerja(h: Doc) -> str:
    indicators = h.get("indicators") or []
    if not indicators:
        return "Belum ada capaian target kinerja (SKP) yang tercatat pada periode ini."
    below = [i for i in indicators if i.get("status") == "below"]
    main_below = [i for i in below if i.get("main")]
    said = (
        f"Dari {len(indicators)} indikator kinerja, {len(below)} di bawah target"
        f"{f' ({len(main_below)} di antaranya indikator utama)' if main_below else ''}."
    )
    return f"{said} Hasil kerja dinilai {h.get('rating') or 'belum ada'} ({PERMEN6})."


def perilaku_kerja(p: Doc) -> str:
    if p.get("proposal"):
        return (
            f"Perilaku kerja {p['rating']} adalah usulan sistem dari kehadiran, disiplin dan "
            "IKM; atasan Anda yang menetapkannya."
        )
    who = f" oleh atasan (NIP {p['rated_by']})" if p.get("rated_by") else " oleh atasan"
    why = f": {p['justification']}" if p.get("justification") else "."
    return f"Perilaku kerja dinilai {p['rating']}{who}{why}"


def predikat(doc: Doc) -> str:
    value = doc.get("predikat")
    if not value:
        return "Predikat belum dapat ditetapkan karena belum ada target kinerja (SKP)."
    return (
        f"Predikat {value}: gabungan hasil kerja {doc['hasil_kerja'].get('rating')} dan "
        f"perilaku kerja {doc['perilaku_kerja']['rating']} menurut matriks {PERMEN6}."
    )
