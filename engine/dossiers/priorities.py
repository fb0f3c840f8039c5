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


def step_default(value: str | None) -> int:
    """A step's default priority, from its BPMN property `priority`: a name of the scale (or its rank as a
    digit, as older procedures wrote it); anything else is normal."""
    if value is None:
        return NORMAL
    text = value.strip()
    if text in PRIORITIES:
        return PRIORITIES[text]
    return int(text) if text in ("0", "1", "2") else NORMAL
