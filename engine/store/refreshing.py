"""A value loaded from the database and kept per process for a while: reference data (calendar
overrides, the unit tree) that every request reads and that changes rarely.

Other workers see a change within `ttl` seconds; the worker that made it calls `invalidate()` and sees it
at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


class Refreshing(Generic[T]):
    def __init__(self, load: Callable[[Session], T], ttl: float = 30.0) -> None:
        self._load = load
        self.ttl = ttl
        self._value: T | None = None
        self._loaded_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> T:
        value = self._value
        if value is not None and time.monotonic() - self._loaded_at < self.ttl:
            return value
        value = self._load(session)
        with self._lock:
            self._value, self._loaded_at = value, time.monotonic()
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._value = None
