"""The ZKTeco push protocol ("ADMS", iclock) as real attendance machines speak it — pure parsing
and answers; the HTTP adapter is ``adms_api``.

An ATTLOG upload is text, one record per line, fields separated by tabs::

    <PIN>\t<YYYY-MM-DD HH:MM:SS>\t<status>\t<verify>\t<workcode>\t<reserved>...

``status``: 0 check-in, 1 check-out, 2 break-out, 3 break-in, 4 overtime-in, 5 overtime-out.
``verify``: 0 password, 1 fingerprint, 2 card, 15 face (others are vendor-specific).
Times are the machine's local time (WIB unless the device is registered in another zone).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from kinerja_shared.events import AttendanceMethod, Direction

#: Namespace of the deterministic event ids of device records: a re-upload gives the same ids.
ADMS_NAMESPACE = uuid.UUID("7a1d3f0e-5c4b-4e8a-9d2f-6b1c0e9a8f47")

_DIRECTION = {
    "0": Direction.IN,
    "3": Direction.IN,
    "4": Direction.IN,
    "1": Direction.OUT,
    "2": Direction.OUT,
    "5": Direction.OUT,
}
_METHOD = {
    "0": AttendanceMethod.PIN,
    "1": AttendanceMethod.FINGERPRINT,
    "2": AttendanceMethod.CARD,
    "15": AttendanceMethod.FACE,
}


@dataclass(frozen=True, slots=True)
class AttLine:
    pin: str
    at: datetime  # aware, in the device's zone
    direction: Direction
    method: AttendanceMethod
    workcode: str | None
    raw: str

    def event_id(self, serial: str) -> str:
        key = f"{serial}|{self.pin}|{self.at.isoformat()}|{self.direction.value}"
        return str(uuid.uuid5(ADMS_NAMESPACE, key))


@dataclass(frozen=True, slots=True)
class BadLine:
    line: int
    raw: str
    reason: str


def parse_attlog(body: str, tz: ZoneInfo) -> tuple[list[AttLine], list[BadLine]]:
    good: list[AttLine] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(body.replace("\r\n", "\n").split("\n"), start=1):
        if not raw.strip():
            continue
        fields = raw.split("\t")
        if len(fields) < 2:
            bad.append(BadLine(number, raw, "expected tab-separated PIN and time"))
            continue
        pin = fields[0].strip()
        if not pin.isascii() or not pin.isdigit() or len(pin) > 9:
            bad.append(BadLine(number, raw, f"PIN {pin!r} is not 1-9 digits"))
            continue
        try:
            at = datetime.strptime(fields[1].strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)
        except ValueError:
            bad.append(BadLine(number, raw, f"time {fields[1]!r} is not YYYY-MM-DD HH:MM:SS"))
            continue
        status = fields[2].strip() if len(fields) > 2 else ""
        verify = fields[3].strip() if len(fields) > 3 else ""
        workcode = fields[4].strip() if len(fields) > 4 else ""
        good.append(
            AttLine(
                pin=pin,
                at=at,
                direction=_DIRECTION.get(status, Direction.UNKNOWN),
                method=_METHOD.get(verify, AttendanceMethod.FINGERPRINT),
                workcode=workcode if workcode and workcode != "0" and workcode.isalnum() else None,
                raw=raw,
            )
        )
    return good, bad


def handshake(serial: str, utc_offset_hours: int) -> str:
    """The configuration block a machine asks for with ``GET /iclock/cdata?options=all``."""
    return (
        "\n".join(
            [
                f"GET OPTION FROM: {serial}",
                "ATTLOGStamp=None",
                "OPERLOGStamp=9999",
                "ATTPHOTOStamp=None",
                "ErrorDelay=30",
                "Delay=10",
                "TransTimes=00:00;14:05",
                "TransInterval=1",
                "TransFlag=TransData AttLog\tOpLog",
                f"TimeZone={utc_offset_hours}",
                "Realtime=1",
                "Encrypt=None",
            ]
        )
        + "\n"
    )


def count_lines(body: str) -> int:
    return sum(1 for line in body.splitlines() if line.strip())
