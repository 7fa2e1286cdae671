"""Cara penilaian (how the rules work): every rule scoring applies, in Indonesian, with the
figures of the policy file in force, so the page the employees read never drifts from what
judges them (the "sosialisasi" the policy needs) — pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from kinerja_shared.indonesian import tanggal
from scoring.domain.explain import PERMEN6, PERMEN14, PP94, angka
from scoring.domain.performance import PREDICATE_MATRIX, Rating
from scoring.domain.policy import Band, Policy, Schedule

HARI = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


@dataclass(frozen=True)
class Bagian:
    """One section: its title, its sentences, and a table (header row first) if it has one."""

    judul: str
    kalimat: list[str]
    tabel: list[list[str]] = field(default_factory=list)


def cara_penilaian(policy: Policy) -> list[Bagian]:
    return [
        jam_kerja(policy),
        terlambat_dan_pulang_cepat(policy),
        tanpa_keterangan(policy),
        disiplin(policy),
        ikm(policy),
        hasil_kerja(policy),
        perilaku_kerja(policy),
        predikat(),
        peringatan_dini(policy),
    ]


def _jam(t: time) -> str:
    return f"{t:%H.%M}"


def _jadwal(name: str, s: Schedule) -> str:
    """``standar: Senin–Kamis 07.30–16.00 (istirahat 12.00–13.00); Jumat ...``: days with the same
    hours and break are named together."""
    groups: list[tuple[list[int], str]] = []
    for day in sorted(s.hours):
        start, end = s.hours[day]
        rest = s.breaks.get(day)
        text = f"{_jam(start)}–{_jam(end)}" + (
            f" (istirahat {_jam(rest[0])}–{_jam(rest[1])})" if rest else ""
        )
        if groups and groups[-1][1] == text and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], text))
    parts = [f"{HARI[d[0]]}{'–' + HARI[d[-1]] if len(d) > 1 else ''} {text}" for d, text in groups]
    night = " (shift malam: berakhir keesokan paginya)" if s.overnight else ""
    return f"Jadwal {name}{night}: " + "; ".join(parts) + "."


def jam_kerja(policy: Policy) -> Bagian:
    said = [_jadwal(name, s) for name, s in policy.schedules.items()]
    said += [
        f"Mulai {tanggal(p.from_)}{f' sampai {tanggal(p.to)}' if p.to else ''}, pegawai "
        f"berjadwal {p.schedule} bekerja menurut jadwal {p.use} ({p.source})."
        for p in policy.schedule_periods
    ]
    said.append(
        "Hari di luar jadwal, hari libur nasional dan cuti bersama (SKB) bukan hari kerja. "
        "Menit istirahat tidak dihitung sebagai terlambat atau pulang cepat."
    )
    return Bagian("Jam kerja", said)


def _bands(bands: list[Band], what: str, policy: Policy) -> list[list[str]]:
    rows = []
    for i, (start, category) in enumerate(bands):
        end = bands[i + 1][0] - 1 if i + 1 < len(bands) else None
        minutes = f"{start}–{end} menit" if end else f"{start} menit atau lebih"
        percent = f"{angka(policy.tpp.deduction_percent[category])}%"
        rows.append([category, f"{what} {minutes}", percent, policy.tpp.sources[category]])
    return rows


def terlambat_dan_pulang_cepat(policy: Policy) -> Bagian:
    a = policy.attendance
    missing = (
        "Hari dengan presensi masuk tanpa presensi pulang (atau sebaliknya) dihitung TL4 atau "
        "PSW4, dan separuh menit kerja hari itu dihitung sebagai menit yang tidak dikerjakan."
        if a.missing_punch_minutes == "half_day"
        else "Hari dengan presensi masuk tanpa presensi pulang (atau sebaliknya) dihitung TL4 "
        "atau PSW4."
    )
    return Bagian(
        "Terlambat masuk (TL) dan pulang sebelum waktunya (PSW)",
        [
            "Setiap hari kerja, menit terlambat masuk dan menit pulang lebih awal menentukan "
            "kategorinya; potongan TPP per hari menurut tabel ini.",
            missing,
        ],
        [
            ["Kategori", "Menit", "Potongan TPP per hari", "Dasar"],
            *_bands(a.tl_bands, "terlambat", policy),
            *_bands(a.psw_bands, "pulang cepat", policy),
        ],
    )


def tanpa_keterangan(policy: Policy) -> Bagian:
    t = policy.tpp
    return Bagian(
        "Tidak masuk kerja tanpa keterangan",
        [
            f"Hari kerja tanpa presensi dan tanpa izin, cuti atau tugas dinas memotong TPP "
            f"{angka(t.unexcused_absence_percent)}% ({t.sources['unexcused_absence']}).",
            f"Potongan TPP karena disiplin dalam sebulan paling banyak "
            f"{angka(t.cap_percent)}% ({t.sources['cap']}).",
            "Izin, cuti dan tugas dinas yang tercatat tidak memotong apa pun.",
        ],
    )


def disiplin(policy: Policy) -> Bagian:
    d = policy.discipline
    said = [
        f"Hari kerja tanpa keterangan dijumlahkan dalam satu tahun kalender menurut {PP94}.",
    ]
    if d.convert_minutes_to_days:
        said.append(
            f"Menit terlambat dan pulang cepat juga dijumlahkan: setiap {d.minutes_per_day} "
            "menit dihitung satu hari tidak masuk kerja."
        )
    said.append(
        f"Tidak masuk kerja {d.consecutive_days_dismissal} hari kerja berturut-turut tanpa "
        "keterangan langsung sampai tingkat terakhir (pemberhentian)."
    )
    rows = [["Mulai hari ke-", "Tingkat", "Hukuman disiplin"]]
    rows += [[str(lv.from_days), lv.level, lv.sanction] for lv in d.levels]
    return Bagian("Disiplin", said, rows)


def ikm(policy: Policy) -> Bagian:
    i = policy.ikm
    rows = [["Nilai mulai", "Mutu", "Kinerja unit pelayanan"]]
    rows += [[angka(low), category, label] for low, category, label in i.bands]
    return Bagian(
        "Indeks Kepuasan Masyarakat (IKM)",
        [
            f"Warga menilai layanan pada sembilan unsur; nilai rata-rata tiap unsur dikali "
            f"{angka(i.element_weight)} lalu dijumlahkan dan dikonversi ke 25–100 ({PERMEN14}).",
            f"Mutu IKM baru dianggap final setelah sedikitnya {i.min_responses_final} penilaian.",
        ],
        rows,
    )


def hasil_kerja(policy: Policy) -> Bagian:
    t = policy.targets
    return Bagian(
        "Hasil kerja (target SKP)",
        [
            "Setiap indikator dibandingkan dengan bagian target tahunan yang seharusnya sudah "
            f"tercapai menurut waktu yang berjalan: {angka(t.above_percent)}% atau lebih dari "
            f"bagian itu di atas ekspektasi, {angka(t.meets_percent)}% atau lebih sesuai "
            "ekspektasi, di bawah itu di bawah ekspektasi. Indikator yang makin kecil makin "
            "baik (misalnya waktu layanan) dibandingkan dengan targetnya langsung.",
            "Hasil kerja Di Atas Ekspektasi bila sebagian besar indikator di atas ekspektasi "
            "dan tidak ada indikator utama di bawah; Di Bawah Ekspektasi bila sebagian besar di "
            f"bawah, atau separuh indikator utama di bawah; selain itu Sesuai ({PERMEN6}).",
            f"Bila capaian sebuah indikator di bawah {angka(t.pace_warning_percent)}% dari "
            "bagian yang seharusnya sudah tercapai, atasan diberi tahu lebih awal.",
        ],
    )


def perilaku_kerja(policy: Policy) -> Bagian:
    most = policy.behaviour.max_tl_psw_days_for_above
    return Bagian(
        "Perilaku kerja (BerAKHLAK)",
        [
            "Perilaku kerja dinilai atasan menurut nilai-nilai BerAKHLAK.",
            "Sebelum atasan menilai, Kinerja mengusulkan: Di Atas Ekspektasi bila tidak ada hari "
            f"tanpa keterangan, paling banyak {most} hari TL/PSW dan IKM bermutu A; Di Bawah "
            "Ekspektasi bila hukuman disiplin sedang atau berat, atau IKM bermutu D; selain itu "
            "Sesuai. Usulan selalu ditandai sebagai usulan.",
        ],
    )


def predikat() -> Bagian:
    order = (Rating.DI_ATAS, Rating.SESUAI, Rating.DI_BAWAH)
    rows = [["Hasil kerja \\ Perilaku kerja", *(r.value for r in reversed(order))]]
    rows += [
        [hk.value, *(PREDICATE_MATRIX[(hk, pk)].value for pk in reversed(order))] for hk in order
    ]
    return Bagian(
        "Predikat kinerja",
        [f"Predikat adalah gabungan hasil kerja dan perilaku kerja menurut matriks {PERMEN6}."],
        rows,
    )


def peringatan_dini(policy: Policy) -> Bagian:
    e = policy.early_warning
    return Bagian(
        "Peringatan dini untuk atasan",
        [
            f"Atasan diberi tahu bila seorang pegawai terlambat atau pulang cepat pada "
            f"{e.tl_psw_days_in_a_week} hari atau lebih dalam satu minggu; bila IKM dari "
            f"{e.ikm_last_responses} penilaian terakhir bermutu C atau D; bila capaian target "
            "tertinggal; bila predikat 30 hari terakhir Butuh Perbaikan atau lebih rendah; dan "
            "setiap kali jumlah hari tanpa keterangan mencapai tingkat disiplin berikutnya.",
            "Pemberitahuan itu ajakan untuk berdialog dan membina, bukan hukuman.",
        ],
    )
