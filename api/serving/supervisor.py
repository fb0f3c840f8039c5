"""`motcua serve`'s top process: it starts the web server (gunicorn) and the scheduler as two child processes,
restarts the scheduler with a growing pause whenever it exits, and stops both when the web server ends or when
it is told to stop (SIGTERM, SIGINT). It runs no application code itself, so nothing a job does can take the web
server down with it, and a scheduler that dies is back within seconds."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

FIRST_PAUSE = 1.0  # seconds before the first restart; doubled after each quick exit
LONGEST_PAUSE = 60.0
STABLE_AFTER = 60.0  # a child that ran this long starts again from the first pause
STOP_WAIT = 40.0  # gunicorn's graceful timeout (30 s) and a margin, before SIGKILL
POLL = 0.2
SUPERVISOR_ENV = "MOTCUA_SUPERVISOR_PID"  # a scheduler started here exits when this process is gone
CODE_ROOT = str(Path(__file__).resolve().parents[2])  # the children run the code this process runs


def _die_with_parent() -> None:  # pragma: no cover (runs in the child between fork and exec)
    # Linux: the kernel sends SIGTERM to the child when this process dies, even by SIGKILL.
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    pause: float = FIRST_PAUSE
    restart_at: float | None = None

    def start(self) -> None:
        env = dict(os.environ)
        env[SUPERVISOR_ENV] = str(os.getpid())
        env["PYTHONPATH"] = os.pathsep.join(p for p in (CODE_ROOT, env.get("PYTHONPATH")) if p)
        self.process = subprocess.Popen(self.argv, env=env,
                                        preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        self.started, self.restart_at = time.monotonic(), None
        _say(f"{self.name} started (pid {self.process.pid})")

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def plan_restart(self, code: int) -> None:
        ran = time.monotonic() - self.started
        if ran >= STABLE_AFTER:
            self.pause = FIRST_PAUSE
        _say(f"{self.name} exited with {code} after {ran:.0f}s; restarting in {self.pause:g}s")
        self.process, self.restart_at = None, time.monotonic() + self.pause
        self.pause = min(self.pause * 2, LONGEST_PAUSE)

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)


def _say(message: str) -> None:
    print(f"[motcua serve {os.getpid()}] {message}", file=sys.stderr, flush=True)


def supervise(web_argv: list[str], scheduler_argv: list[str]) -> int:
    """Run until the web server exits (its exit code) or a stop signal comes (0)."""
    web, scheduler = Child("web server", web_argv), Child("scheduler", scheduler_argv)
    stop: list[int] = []
    previous = {sig: signal.signal(sig, lambda sig, _frame: stop.append(sig))
                for sig in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, lambda *_: web.signal(signal.SIGHUP))  # gunicorn reloads
    code = 0
    try:
        web.start()
        scheduler.start()
        while not stop:
            web_code = web.exited()
            if web_code is not None:
                _say(f"web server exited with {web_code}; stopping")
                code = web_code
                break
            scheduler_code = scheduler.exited()
            if scheduler_code is not None:
                scheduler.plan_restart(scheduler_code)
            if scheduler.restart_at is not None and time.monotonic() >= scheduler.restart_at:
                scheduler.start()
            time.sleep(POLL)
    finally:
        _stop(web, scheduler)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def _stop(*children: Child) -> None:
    for child in children:
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_WAIT
    for child in children:
        if child.process is None:
            continue
        try:
            child.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{child.name} did not stop in time; killing it")
            child.process.kill()
            child.process.wait()
