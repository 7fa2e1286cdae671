"""Validation errors in words (pure): for the DLQ's detail header and for people reading a
configuration file's complaint."""

from __future__ import annotations

from pydantic import ValidationError


def invalid_detail(exc: ValidationError) -> str:
    """For the DLQ's detail header: each field and what is wrong with it."""
    return str(exc.errors(include_url=False))[:1000]


def describe_errors(exc: ValidationError, top: str = "(file)") -> str:
    """For a person reading a config file: ``where: what`` per problem."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or top}: {e['msg']}"
        for e in exc.errors(include_url=False)
    )
