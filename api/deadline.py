"""A request still running after MOTCUA_REQUEST_TIMEOUT seconds is stopped and answered with a 503 problem,
before the server's worker timeout kills the worker (which answers with the server's own HTML, or nothing).

One watchdog thread per process keeps each running request's deadline. When one passes, it raises
`RequestTimeout` in that request's thread (CPython's `PyThreadState_SetAsyncExc`), so the request unwinds as
from any error: the unit of work rolls back and the error handler answers 503 `request-timeout` with
`Retry-After`. This works alike for a synchronous worker (the main thread) and for threaded workers, where
a signal could not reach the request's thread. The exception arrives at the thread's next Python
instruction: a call blocked in C (a query waiting on a lock) is stopped only once it returns, which is why
the server's own timeout stays a few seconds longer, as the backstop.

The deadline is disarmed as soon as the response exists (and in any case when the request is torn down), so
it never fires while the answer is being written.
"""

from __future__ import annotations

import ctypes
import heapq
import logging
import os
import threading
import time
from dataclasses import dataclass, field

from flask import Flask, Response, request

from .problems import problem

log = logging.getLogger(__name__)
RETRY_AFTER = 5


class RequestTimeout(Exception):
    """Raised inside a request's thread by the watchdog."""


@dataclass(order=True)
class _Deadline:
    at: float
    thread: int = field(compare=False)
    path: str = field(compare=False)
    armed: bool = field(default=True, compare=False)


class Watchdog:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Condition()
        self._queue: list[_Deadline] = []
        self._running: dict[int, _Deadline] = {}  # thread id -> its request's deadline
        self._pid = 0

    def arm(self) -> None:
        self._start()
        deadline = _Deadline(time.monotonic() + self.seconds, threading.get_ident(), request.path)
        with self._lock:
            while self._queue and not self._queue[0].armed:  # answered: requests mostly end in the order they came
                heapq.heappop(self._queue)
            self._running[deadline.thread] = deadline
            heapq.heappush(self._queue, deadline)
            if len(self._queue) == 1:  # deadlines only grow: the watchdog waits for an earlier one, or for none
                self._lock.notify()

    def disarm(self) -> None:
        """No exception may reach this thread once this returns: none is raised after, and one raised but not
        yet delivered is withdrawn."""
        with self._lock:
            deadline = self._running.pop(threading.get_ident(), None)
            if deadline is None:
                return
            if not deadline.armed:
                _raise_in(deadline.thread, None)
            deadline.armed = False

    def _start(self) -> None:
        if self._pid != os.getpid():  # first request in this process (a forked worker starts its own)
            with self._lock:
                if self._pid != os.getpid():
                    self._pid = os.getpid()
                    self._queue, self._running = [], {}
                    threading.Thread(target=self._watch, name="request-deadlines", daemon=True).start()

    def _watch(self) -> None:
        while True:
            with self._lock:
                while self._queue and not self._queue[0].armed:
                    heapq.heappop(self._queue)
                wait = self._queue[0].at - time.monotonic() if self._queue else None
                if wait is None or wait > 0:
                    self._lock.wait(wait)
                    continue
                deadline = heapq.heappop(self._queue)
                deadline.armed = False  # once: a second exception could land in the error handler itself
                log.warning("request %s ran past %ss: stopping it", deadline.path, self.seconds)
                _raise_in(deadline.thread, RequestTimeout)


def _raise_in(thread: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(exc) if exc else None)


def init_deadline(app: Flask, seconds: float) -> None:
    """Arm a deadline for every request (called first in the app factory, so it is armed before any other
    work); `seconds` <= 0 turns it off."""
    if seconds <= 0:
        return
    watchdog = Watchdog(seconds)
    app.extensions["motcua.deadline"] = watchdog
    app.before_request(watchdog.arm)
    app.teardown_request(lambda exc: watchdog.disarm())

    @app.errorhandler(RequestTimeout)
    def _timed_out(err: RequestTimeout) -> Response:
        watchdog.disarm()
        return problem(503, "request-timeout", "Service unavailable",
                       f"The request took longer than {seconds:g} seconds and was stopped; nothing was changed. "
                       "Try again shortly.", retry_after=RETRY_AFTER)


def disarm_when_answered(app: Flask) -> None:
    """Registered last, so that it runs first once the view has answered (after_request runs in reverse)."""
    watchdog = app.extensions.get("motcua.deadline")
    if watchdog is not None:
        @app.after_request
        def _answered(response: Response) -> Response:
            watchdog.disarm()
            return response
