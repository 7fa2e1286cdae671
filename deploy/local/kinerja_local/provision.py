"""Loads a simulated city into intake's reference data through the admin API, and issues the
simulator's API key: what a city's administrator does once before the machines send events."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from kinerja_local.city import City
from kinerja_shared.auth import mint_dev_token
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
                "rate_per_minute": 100_000,
            },
        )
    return str(key["api_key"])
