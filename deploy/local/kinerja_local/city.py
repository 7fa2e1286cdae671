"""A simulated city like Kota Tanjungbalai: OPD (perangkat daerah, the city's agencies), employees
with plausible NIPs, supervisors, schedules and attendance machines. Deterministic for a seed.

The OPD names follow the agencies seen in Tanjungbalai's public news; sizes are invented so that
the city has about 4,500 ASN, as the real one is reported to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from kinerja_shared.nip import format_nip

# (code, name, relative size)
OPD: tuple[tuple[str, str, int], ...] = (
    ("SETDA", "Sekretariat Daerah", 180),
    ("SETWAN", "Sekretariat DPRD", 70),
    ("INSP", "Inspektorat", 55),
    ("BAPPERIDA", "Badan Perencanaan Pembangunan, Riset dan Inovasi Daerah", 60),
    ("BKD", "Badan Kepegawaian Daerah", 50),
    ("BPKPD", "Badan Pengelolaan Keuangan dan Pendapatan Daerah", 90),
    ("KESBANGPOL", "Badan Kesatuan Bangsa dan Politik", 35),
    ("BPBD", "Badan Penanggulangan Bencana Daerah", 45),
    ("DISDIK", "Dinas Pendidikan", 1450),
    ("DINKES", "Dinas Kesehatan", 420),
    ("RSUD", "RSUD Dr. Tengku Mansyur", 520),
    ("PUPR", "Dinas Pekerjaan Umum dan Penataan Ruang", 90),
    ("PERKIM", "Dinas Perumahan dan Kawasan Permukiman", 50),
    ("DINSOS", "Dinas Sosial", 55),
    ("DUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil", 60),
    ("DPMPTSP", "Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", 50),
    ("KOMINFO", "Dinas Komunikasi dan Informatika", 45),
    ("DLH", "Dinas Lingkungan Hidup", 160),
    ("DISHUB", "Dinas Perhubungan", 90),
    ("DKUKM", "Dinas Koperasi, Usaha Kecil dan Menengah", 40),
    ("DKP", "Dinas Ketahanan Pangan dan Pertanian", 60),
    ("DISKAN", "Dinas Perikanan", 45),
    ("DISPORAPAR", "Dinas Pemuda, Olahraga dan Pariwisata", 45),
    ("DISPUSIP", "Dinas Perpustakaan dan Kearsipan", 35),
    ("DP3AP2KB", "Dinas Pemberdayaan Perempuan, Perlindungan Anak dan KB", 55),
    ("SATPOLPP", "Satuan Polisi Pamong Praja", 140),
    ("DISDAGIN", "Dinas Perdagangan dan Perindustrian", 45),
    ("DISNAKER", "Dinas Tenaga Kerja", 35),
    ("KEC-DTB", "Kecamatan Datuk Bandar", 45),
    ("KEC-TBS", "Kecamatan Tanjungbalai Selatan", 45),
)

_GIVEN_M = (
    "Ahmad",
    "Muhammad",
    "Rizky",
    "Fadli",
    "Hendra",
    "Budi",
    "Agus",
    "Syahrul",
    "Irwan",
    "Dedi",
    "Fajar",
    "Arif",
    "Hasan",
    "Rahmat",
    "Zulkifli",
    "Iqbal",
    "Teguh",
    "Andi",
)
_GIVEN_F = (
    "Siti",
    "Nur",
    "Dewi",
    "Rina",
    "Fitri",
    "Sri",
    "Yuli",
    "Ratna",
    "Mariani",
    "Ayu",
    "Indah",
    "Lestari",
    "Nurhayati",
    "Wulan",
    "Rahmah",
    "Aisyah",
    "Putri",
    "Dian",
)
_FAMILY = (
    "Siregar",
    "Nasution",
    "Lubis",
    "Harahap",
    "Pane",
    "Sitorus",
    "Tanjung",
    "Marpaung",
    "Hasibuan",
    "Simanjuntak",
    "Sinaga",
    "Panjaitan",
    "Rangkuti",
    "Daulay",
    "Batubara",
    "Pohan",
    "Matondang",
    "Damanik",
    "Purba",
    "Ginting",
)


class Habit(StrEnum):
    """How an employee tends to keep working hours (drives the simulated punches)."""

    PUNCTUAL = "punctual"  # arrives 07:00–07:29, leaves after the end
    SOMETIMES_LATE = "sometimes_late"
    CHRONICALLY_LATE = "chronically_late"
    OFTEN_ABSENT = "often_absent"


HABIT_SHARES = (
    (Habit.PUNCTUAL, 0.74),
    (Habit.SOMETIMES_LATE, 0.16),
    (Habit.CHRONICALLY_LATE, 0.07),
    (Habit.OFTEN_ABSENT, 0.03),
)


@dataclass(frozen=True, slots=True)
class Device:
    serial: str
    unit_code: str


@dataclass(frozen=True, slots=True)
class Employee:
    nip: str
    name: str
    unit_code: str
    position: str
    supervisor_nip: str | None
    schedule: str
    email: str
    device_pin: str
    habit: Habit


@dataclass(slots=True)
class Unit:
    code: str
    name: str
    head_nip: str = ""
    devices: list[Device] = field(default_factory=list)


@dataclass(slots=True)
class City:
    seed: int
    units: list[Unit]
    employees: list[Employee]

    def by_unit(self, code: str) -> list[Employee]:
        return [e for e in self.employees if e.unit_code == code]


def _nip(rng: random.Random, used: set[str]) -> str:
    while True:
        birth = date(rng.randint(1966, 2001), rng.randint(1, 12), rng.randint(1, 28))
        tmt_year = min(2025, birth.year + rng.randint(21, 32))
        nip = format_nip(
            birth, tmt_year, rng.choice((1, 3, 4)), rng.randint(1, 2), rng.randint(1, 999)
        )
        if nip not in used:
            used.add(nip)
            return nip


def _habit(rng: random.Random) -> Habit:
    x = rng.random()
    for habit, share in HABIT_SHARES:
        if x < share:
            return habit
        x -= share
    return Habit.PUNCTUAL


def generate_city(seed: int = 1956, employees: int = 4500, units: int | None = None) -> City:
    """A city of about ``employees`` ASN spread over the OPD by their relative size.

    Each OPD has a head (Kepala), a few heads of division (Kabid) under the head, and staff under
    the Kabid; 1–3 attendance machines. ``units`` keeps only the first N OPD (small test cities).
    """
    rng = random.Random(seed)
    chosen = OPD[: units or len(OPD)]
    total_weight = sum(w for _, _, w in chosen)
    used: set[str] = set()
    city_units: list[Unit] = []
    people: list[Employee] = []
    pin = 1000
    for code, name, weight in chosen:
        size = max(3, round(employees * weight / total_weight))
        unit = Unit(code, name)
        for _ in range(1 + min(2, size // 150)):
            unit.devices.append(Device(f"TBL{rng.randrange(10**8):08d}", code))
        divisions = max(1, min(6, size // 25))
        staff_nips: list[str] = []
        for i in range(size):
            pin += 1
            female = rng.random() < 0.55
            given = rng.choice(_GIVEN_F if female else _GIVEN_M)
            full = f"{given} {rng.choice(_FAMILY)}"
            nip = _nip(rng, used)
            if i == 0:
                position, supervisor = f"Kepala {name}", None
                unit.head_nip = nip
            elif i <= divisions:
                position, supervisor = "Kepala Bidang", unit.head_nip
            else:
                position = "Pelaksana"
                supervisor = staff_nips[(i - divisions - 1) % divisions]
            if 1 <= i <= divisions:
                staff_nips.append(nip)
            people.append(
                Employee(
                    nip=nip,
                    name=full,
                    unit_code=code,
                    position=position,
                    supervisor_nip=supervisor,
                    schedule="standar",
                    email=f"{given.lower()}.{nip[-6:]}@tanjungbalaikota.go.id",
                    device_pin=str(pin),
                    habit=_habit(rng),
                )
            )
        city_units.append(unit)
    return City(seed, city_units, people)
