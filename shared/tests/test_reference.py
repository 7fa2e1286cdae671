"""A device's allowed source addresses (the contract of reference data)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kinerja_shared.reference import Device


@pytest.mark.parametrize(
    ("allowed", "address", "admitted"),
    [
        ([], "203.0.113.9", True),  # none named: any address (the default, as before)
        (["10.20.0.0/16"], "10.20.4.7", True),
        (["10.20.0.0/16"], "10.21.4.7", False),
        (["10.20.0.0/16", "192.0.2.5"], "192.0.2.5", True),  # a single gateway address
        (["10.20.0.0/16"], "", False),  # no address known: refused once any is named
        (["2001:db8::/32"], "2001:db8::1", True),
        (["10.20.0.0/16"], "not-an-ip", False),
    ],
)
def test_a_device_admits_only_its_named_sources(
    allowed: list[str], address: str, admitted: bool
) -> None:
    device = Device(serial="SN1", unit_code="DUKCAPIL", allowed_sources=allowed)
    assert device.admits(address) is admitted


def test_sources_are_written_canonically_and_checked() -> None:
    assert Device(
        serial="SN1", unit_code="U", allowed_sources=["10.20.4.7/16"]
    ).allowed_sources == ["10.20.0.0/16"]
    with pytest.raises(ValidationError, match="not an IP address or CIDR block"):
        Device(serial="SN1", unit_code="U", allowed_sources=["gateway.local"])
