"""The current time, injectable so tests and the scheduler can move it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def system_clock() -> datetime:
    return datetime.now(UTC)


def to_local(value: datetime | None, tz: ZoneInfo = LOCAL_TZ) -> datetime | None:
    return value.astimezone(tz) if value is not None else None
