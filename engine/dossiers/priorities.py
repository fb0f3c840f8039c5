"""A task's priority: a small named scale, not any integer. Stored as its rank (higher first), so that sorting
the inbox by priority keeps its meaning; the API and the pages speak in names."""

from __future__ import annotations

from typing import Any

PRIORITIES: dict[str, int] = {"normal": 0, "urgent": 1, "most_urgent": 2}  # Bình thường, Khẩn, Thượng khẩn
NAMES: dict[int, str] = {rank: name for name, rank in PRIORITIES.items()}
NORMAL = 0


def rank_of(value: Any) -> int | None:
    """The rank of a priority's name, or None for anything else (a number included)."""
    return PRIORITIES.get(value) if isinstance(value, str) else None


def name_of(rank: int | None) -> str:
    """The name of a stored rank; a rank outside the scale reads as the nearest end of it."""
    if rank is None or rank <= 0:
        return "normal"
    return NAMES.get(rank, "most_urgent")


def from_legacy(number: int) -> int:
    """An integer of the old open scale (-100 to 100, higher first) on the named one, as migration 0017 mapped
    stored tasks: nothing raised is normal, a raise up to 50 urgent, above 50 most urgent."""
    return 0 if number <= 0 else 1 if number <= 50 else 2


def step_default(value: str | None) -> int:
    """A step's default priority, from its BPMN property `priority`: a name of the scale; an integer, as older
    procedures wrote it, is read as `from_legacy` reads it; anything else is normal."""
    if value is None:
        return NORMAL
    text = value.strip()
    if text in PRIORITIES:
        return PRIORITIES[text]
    try:
        return from_legacy(int(text))
    except ValueError:
        return NORMAL
