from __future__ import annotations

from datetime import date

import pytest

from kinerja_shared.nip import format_nip, parse_nip

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("nip", "birth", "tmt", "sex", "serial"),
    [
        ("198609262015051001", date(1986, 9, 26), (2015, 5), 1, 1),  # the BKN example
        ("199912312024122999", date(1999, 12, 31), (2024, 12), 2, 999),
        ("194001011965011001", date(1940, 1, 1), (1965, 1), 1, 1),  # oldest accepted
        ("200902282026121001", date(2009, 2, 28), (2026, 12), 1, 1),  # appointment next month
    ],
)
def test_valid_nips_decode(
    nip: str, birth: date, tmt: tuple[int, int], sex: int, serial: int
) -> None:
    parts = parse_nip(nip, TODAY)
    assert parts.birth_date == birth
    assert (parts.appointment_year, parts.appointment_month) == tmt
    assert parts.sex == sex
    assert parts.serial == serial
    assert format_nip(birth, *tmt, sex, serial) == nip


@pytest.mark.parametrize(
    ("nip", "reason"),
    [
        ("19860926201505100", "exactly 18 digits"),
        ("1986092620150510011", "exactly 18 digits"),
        ("19860926201505100a", "exactly 18 digits"),
        ("１９８６０９２６２０１５０５１００１", "exactly 18 digits"),  # full-width digits
        ("198602302015051001", "not a calendar date"),  # 30 February
        ("193912312015051001", "birth year 1939"),
        ("201001012028011001", "birth year 2010"),
        ("198609262015131001", "appointment month 13"),
        ("198609262015001001", "appointment month 00"),
        ("198609262000051001", "before the holder was 17"),
        ("198609262028011001", "in the future"),
        ("198609262015053001", "sex digit must be 1 or 2"),
        ("198609262015051000", "serial number 000"),
    ],
)
def test_implausible_nips_say_why(nip: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_nip(nip, TODAY)
