"""Reading connector settings from MOTCUA_* variables, the same way for every plugin."""

from __future__ import annotations


def seconds(raw: str | None, default: float) -> float:
    """A bad value is the default, not a crash of every process that reads the settings."""
    try:
        value = float(raw) if raw else default
    except ValueError:
        return default
    return value if value > 0 else default
