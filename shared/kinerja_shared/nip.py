"""NIP (Nomor Induk Pegawai, the civil servant's 18-digit number; Perka BKN 22/2007).

Layout: ``YYYYMMDD`` birth date, ``YYYYMM`` CPNS appointment (TMT), ``G`` sex (1 male, 2 female),
``NNN`` serial. Example: ``19860926 201505 1 001``. Validation is pure: ``today`` is a parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_NIP_RE = re.compile(r"^[0-9]{18}$")  # ASCII only: \d also matches other scripts' digits

#: Oldest birth year accepted; an ASN born earlier would be far past retirement age.
OLDEST_BIRTH_YEAR = 1940
#: Youngest age at which a CPNS appointment is accepted (legal minimum 18, one year slack).
MIN_AGE_AT_APPOINTMENT = 17
#: Youngest plausible age of anyone holding a NIP today.
MIN_AGE_TODAY = 17


@dataclass(frozen=True, slots=True)
class NipParts:
    """The decoded parts of a valid NIP."""

    birth_date: date
    appointment_year: int
    appointment_month: int
    sex: int
    serial: int


def parse_nip(nip: str, today: date) -> NipParts:
    """Decode ``nip`` or raise ``ValueError`` saying which part is implausible and why."""
    if not _NIP_RE.match(nip):
        raise ValueError("NIP must be exactly 18 digits")
    try:
        birth = date(int(nip[0:4]), int(nip[4:6]), int(nip[6:8]))
    except ValueError:
        raise ValueError(f"NIP birth date {nip[0:8]} is not a calendar date") from None
    if birth.year < OLDEST_BIRTH_YEAR or birth.year > today.year - MIN_AGE_TODAY:
        raise ValueError(
            f"NIP birth year {birth.year} is outside "
            f"{OLDEST_BIRTH_YEAR}–{today.year - MIN_AGE_TODAY}"
        )
    tmt_year, tmt_month = int(nip[8:12]), int(nip[12:14])
    if not 1 <= tmt_month <= 12:
        raise ValueError(f"NIP appointment month {nip[12:14]} is not a month")
    if tmt_year < birth.year + MIN_AGE_AT_APPOINTMENT:
        raise ValueError(
            f"NIP appointment {tmt_year}-{tmt_month:02d} is before the holder "
            f"was {MIN_AGE_AT_APPOINTMENT}"
        )
    if (tmt_year, tmt_month) > (today.year + 1, today.month):
        raise ValueError(f"NIP appointment {tmt_year}-{tmt_month:02d} is in the future")
    sex = int(nip[14])
    if sex not in (1, 2):
        raise ValueError(f"NIP sex digit must be 1 or 2, not {sex}")
    serial = int(nip[15:18])
    if serial == 0:
        raise ValueError("NIP serial number 000 is not issued")
    return NipParts(birth, tmt_year, tmt_month, sex, serial)


def format_nip(
    birth_date: date, appointment_year: int, appointment_month: int, sex: int, serial: int
) -> str:
    """Compose a NIP from its parts (used by the simulator and tests)."""
    return f"{birth_date:%Y%m%d}{appointment_year:04d}{appointment_month:02d}{sex:d}{serial:03d}"
