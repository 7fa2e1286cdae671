"""Reads and validates a routing file (TOML); a bad file stops the start with a clear message."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from pydantic import ValidationError

from kinerja_shared.validation import describe_errors
from notifier.domain.routing import RoutingConfig


class RoutingFileError(Exception):
    pass


def default_routing_path() -> Path:
    return Path(str(files("notifier") / "routing" / "tanjungbalai.toml"))


def load_routing(path: Path | None = None) -> RoutingConfig:
    path = path or default_routing_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RoutingFileError(f"routing file {path}: cannot read it ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RoutingFileError(f"routing file {path}: not valid TOML ({exc})") from exc
    try:
        return RoutingConfig.model_validate(data)
    except ValidationError as exc:
        raise RoutingFileError(f"routing file {path}: {describe_errors(exc)}") from exc
