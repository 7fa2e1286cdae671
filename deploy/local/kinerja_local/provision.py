"""Loads a simulated city into intake's reference data through the admin API, and issues the
simulator's API key: what a city's administrator does once before the machines send events."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from kinerja_local.city import City
from kinerja_shared.auth import mint_dev_token
from kinerja_shared.reference import EMPLOYEE_CSV_COLUMNS
from kinerja_shared.settings import DEV_JWT_SECRET

ADMIN_NIP = "198001012005011001"


def admin_headers(secret: str = DEV_JWT_SECRET) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_dev_token(secret, ADMIN_NIP, ['admin'])}"}


def _post(client: httpx.Client, path: str, body: Any) -> Any:
    r = client.post(path, json=body)
    if r.status_code >= 300:
        raise RuntimeError(f"{path} answered {r.status_code}: {r.text[:1000]}")
    return r.json()


def provision_city(
    city: City, intake_url: str, on_progress: Callable[[int], None] | None = None, chunk: int = 500
) -> str:
    """Register units, devices and employees; returns an API key for the simulator's gateway."""
    with httpx.Client(base_url=intake_url, headers=admin_headers(), timeout=300) as client:
        _post(client, "/v1/admin/units", [{"code": u.code, "name": u.name} for u in city.units])
        _post(
            client,
            "/v1/admin/devices",
            [{"serial": d.serial, "unit_code": d.unit_code} for u in city.units for d in u.devices],
        )
        rows = city_rows(city)
        for start in range(0, len(rows), chunk):
            _post(client, "/v1/admin/employees", rows[start : start + chunk])
            if on_progress:
                on_progress(len(rows[start : start + chunk]))
        key = _post(
            client,
            "/v1/admin/keys",
            {
                "kind": "system",
                "owner": "kinerja-simulator",
                "event_types": [
                    "attendance.recorded",
                    "attendance.excused",
                    "service.rated",
                    "target.progressed",
                ],
                "units": ["*"],
                "rate_per_minute": 10_000_000,
            },
        )
    return str(key["api_key"])


#: Holidays whose date is fixed by law. Moving ones (Idul Fitri, Idul Adha, Nyepi, Waisak, ...)
#: and cuti bersama follow each year's joint ministerial decree (SKB 3 Menteri) and are loaded by
#: the administrator from it.
FIXED_HOLIDAYS = (
    ("01-01", "Tahun Baru Masehi"),
    ("05-01", "Hari Buruh Internasional"),
    ("06-01", "Hari Lahir Pancasila"),
    ("08-17", "Hari Kemerdekaan Republik Indonesia"),
    ("12-25", "Hari Raya Natal"),
)

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "tanjungbalai"


def calendar_of(year: int) -> dict[str, Any]:
    """A year's calendar file for ``POST /v1/admin/calendars``: the sample of that year's SKB
    where the repository has one, else only the fixed-date holidays, named as such so nobody
    takes it for the decree."""
    sample = SAMPLES / f"calendar-{year}.json"
    if sample.exists():
        return dict(json.loads(sample.read_text()))
    return {
        "year": year,
        "source": f"CONTOH lokal: hanya libur bertanggal tetap, bukan SKB {year}",
        "days": [{"date": f"{year}-{md}", "name": name} for md, name in FIXED_HOLIDAYS],
    }


def load_calendars(intake_url: str, years: Iterable[int]) -> None:
    """Load each year's calendar: intake holds a year's days until its calendar is there."""
    with httpx.Client(base_url=intake_url, headers=admin_headers(), timeout=60) as client:
        for year in sorted(set(years)):
            _post(client, "/v1/admin/calendars", calendar_of(year))


def city_rows(city: City) -> list[dict[str, Any]]:
    rows = [
        {
            "nip": e.nip,
            "name": e.name,
            "unit_code": e.unit_code,
            "position": e.position,
            "supervisor_nip": e.supervisor_nip,
            "schedule": e.schedule,
            "email": e.email,
            "device_pins": [e.device_pin],
        }
        for e in city.employees
    ]
    # Heads first, so every chunk's supervisors are already registered.
    rows.sort(key=lambda r: (r["supervisor_nip"] is not None, r["position"] == "Pelaksana"))
    return rows


def write_city_files(city: City, folder: Path, year: int = 2026) -> list[Path]:
    """units.json, devices.json, employees.csv and calendar-<year>.json for the admin API."""
    folder.mkdir(parents=True, exist_ok=True)
    units = folder / "units.json"
    units.write_text(
        json.dumps([{"code": u.code, "name": u.name} for u in city.units], indent=1) + "\n"
    )
    devices = folder / "devices.json"
    devices.write_text(
        json.dumps(
            [{"serial": d.serial, "unit_code": d.unit_code} for u in city.units for d in u.devices],
            indent=1,
        )
        + "\n"
    )
    employees = folder / "employees.csv"
    with employees.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(EMPLOYEE_CSV_COLUMNS)
        for r in city_rows(city):
            writer.writerow(
                [
                    r["nip"],
                    r["name"],
                    r["unit_code"],
                    r["position"],
                    r["supervisor_nip"] or "",
                    r["schedule"],
                    r["email"],
                    ";".join(r["device_pins"]),
                ]
            )
    calendar = folder / f"calendar-{year}.json"
    calendar.write_text(json.dumps(calendar_of(year), indent=1, ensure_ascii=False) + "\n")
    return [units, devices, employees, calendar]


def close_days(intake_url: str, days: list[date]) -> list[str]:
    """Close past working days through the admin API, as the city's evening job does, so the
    days without a record count as absences; returns the days closed."""
    if not days:
        return []
    with httpx.Client(base_url=intake_url, headers=admin_headers(), timeout=60) as client:
        body = _post(client, "/v1/admin/days/close", {"dates": [d.isoformat() for d in days]})
    return list(body.get("closed", []))
