"""Adapter: reads the policy file named by the settings (Tanjungbalai's by default)."""

from __future__ import annotations

from pathlib import Path

from scoring.domain.policy import Policy, PolicyError, parse_policy

DEFAULT_POLICY = Path(__file__).resolve().parent / "policies" / "tanjungbalai.toml"


def load_policy(path: Path | None = None) -> Policy:
    path = path or DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc.strerror})") from None
    return parse_policy(text, str(path))
