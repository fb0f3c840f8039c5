"""The bounds procedure code runs within: time, memory, work, value sizes, call depth, and what may be stored.

A procedure's author is not trusted with the machine, and the code runs in the worker that serves requests (or
in the scheduler), so the bounds are kept in-process and cheap:

- **One budget per step.** Everything one step runs (the user task's post-script, then the scripts, gateway
  conditions, timer, loop and DMN expressions the engine runs until it waits for a person or a timer) shares a
  `Budget`: a wall-clock deadline (`MOTCUA_SCRIPT_TIMEOUT`, 1 s), a memory allowance (`MOTCUA_SCRIPT_MEMORY_MB`,
  256 MB), a count of loop steps and calls (`MAX_STEPS`) and of engine tasks (`MAX_ENGINE_TASKS`). Per step
  rather than per expression, so that a diagram that loops by itself (script → gateway → script) is bounded
  too. An expression evaluated outside a step (tests, tools) gets a budget of its own.
- **Where the clock is read.** Procedure code can only repeat through loops (every `for` and comprehension runs
  through the `_getiter_` guard), through calls of functions it defines (the compiler puts an `_enter_()` call at
  the top of each `def` and `lambda`), and through the engine's own loop (a callback before each engine task).
  Those are the points that tick: each tick counts a step and compares the monotonic clock with the next
  check. A trace function (`sys.settrace`) was not used: it costs a Python call for every frame, is unset as
  soon as it raises, and would displace a debugger's or coverage's tracer.
- **No single operation may run long.** Between two ticks only built-in operations run, and those the guards
  size before they allocate: `*`, `**`, `<<`, `+` and `%` on sequences and numbers, the padding and expanding
  string methods (`ljust`, `rjust`, `center`, `zfill`, `expandtabs`, `join`, `replace`, `translate`), f-string
  widths and precisions, `int.to_bytes`, conversions of huge Decimals to int (`int(Decimal('1e999999'))` takes
  27 s in C), `range`, `*`-unpacking in displays. Operations that walk a value recursively in C (comparison,
  hashing, `repr`/`str`/`format`, sorting) first measure it with a bounded walk (`weigh`), because a value built
  by sharing (`t = (t, t)` thirty times) is small in memory but exponential to walk.
- **Memory.** Single allocations are capped by the guards (`MAX_LENGTH` items or characters, `MAX_INT_BITS`);
  what accumulates is watched through the process's resident size, read from `/proc/self/statm` (about 1.5 µs)
  at most every `PROBE_INTERVAL` while the step runs, against its size at the step's first probe. A
  `MemoryError` raised by the allocator itself ends the step the same way. There is no `RLIMIT_AS`: it would
  bound the whole worker (its other threads, the database driver's buffers), not the procedure code, and a
  worker that hits it dies in places that cannot clean up. On systems without `/proc` only the per-operation
  caps and `MemoryError` remain.
- **Going over** raises `SandboxViolation`, which derives from `BaseException` so that procedure code cannot
  catch it (`except:` is compiled as `except Exception:`, and an `except` clause must name exception classes),
  and the budget stays tripped: every later tick of the step raises again.
- **What stays in task data** must be storable by the state serializer, and bounded: `check_storable`.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any
from uuid import UUID

MAX_STEPS = 1_000_000         # loop iterations and calls of procedure-defined functions, per step
MAX_ENGINE_TASKS = 1_000      # tasks the engine runs by itself in one step (scripts, gateways, events)
MAX_LENGTH = 1_000_000        # characters or items of one value made by a guarded operation
MAX_INT_BITS = 4_096          # integers a guarded operation may make (10**1233)
MAX_DECIMAL_EXPONENT = 1_000  # |exponent| of a Decimal that may be turned into an int or formatted in full
MAX_WEIGHT = 1_000_000        # nodes (and characters, for text) a repr, comparison or hash may walk
MAX_CALL_DEPTH = 50           # nested calls of procedure-defined functions
MAX_FORMAT_WIDTH = 10_000     # width and precision in format specs and %-formatting
MAX_INSTANCES = 1_000         # instances of a multi-instance activity (its cardinality)
# what may stay in task data
MAX_STORED_DEPTH = 32         # nesting of lists and dicts (orjson itself stops at 254)
MAX_STORED_NODES = 100_000    # values in what one script leaves
INT_MIN, INT_MAX = -(2**63), 2**64 - 1  # what orjson stores as a JSON integer
FIRST_PROBE = 0.001           # the first clock and memory check of a step comes after 1 ms...
PROBE_INTERVAL = 0.005        # ...then every 5 ms while it runs

_CONTAINERS = frozenset({list, tuple, dict, set, frozenset})
_SEQUENCES = (str, bytes, list, tuple)
_NUMBERS = frozenset({int, float, bool, Decimal, complex})
STORABLE_SCALARS = (str, bool, int, float, Decimal, date, datetime, timedelta, UUID, type(None))


@dataclass(frozen=True)
class ScriptLimits:
    """The configurable bounds (the rest are the constants above)."""

    timeout: float = 1.0                 # seconds of one step's procedure code (MOTCUA_SCRIPT_TIMEOUT)
    memory_bytes: int = 256 * 1024 ** 2  # growth of the process while it runs (MOTCUA_SCRIPT_MEMORY_MB)


REASONS = {  # reason code -> what a person is told
    "time-limit": "ran longer than its time limit",
    "memory-limit": "used more memory than its limit",
    "step-limit": "did too much work (loop steps, calls or engine tasks)",
    "size-limit": "made a value larger than allowed",
    "depth-limit": "nested calls or values too deeply",
    "forbidden": "did something procedure code may not do",
    "unstorable": "left data that cannot be stored",
}


class SandboxViolation(BaseException):
    """Procedure code went over a bound or did something forbidden.

    A BaseException, so that an `except Exception` in procedure code cannot swallow it; the script engine
    turns it into the engine's own error (naming the element) once the procedure code has returned.
    """

    def __init__(self, message: str, reason: str = "forbidden") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


# --- the process's resident size -----------------------------------------------------------------------

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_statm: list[int | None] = [None]  # an open /proc/self/statm, reopened in a forked child


def _reset_statm() -> None:
    fd = _statm[0]
    _statm[0] = None
    if fd is not None and fd >= 0:
        with contextlib.suppress(OSError):
            os.close(fd)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_statm)


def resident_bytes() -> int | None:
    """The process's resident size, or None where /proc is not there."""
    fd = _statm[0]
    if fd is None:
        try:
            fd = os.open("/proc/self/statm", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            fd = -1
        _statm[0] = fd
    if fd < 0:
        return None
    try:
        return int(os.pread(fd, 64, 0).split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None


# --- the budget ------------------------------------------------------------------------------------------

class Budget:
    """What one step may still spend; its methods are the guards' checks (see the module's docstring)."""

    __slots__ = ("check_at", "deadline", "depth_limit", "engine_tasks", "limits", "rss_base", "steps", "tripped")

    def __init__(self, limits: ScriptLimits) -> None:
        now = monotonic()
        self.limits = limits
        self.deadline = now + limits.timeout
        self.check_at = min(now + FIRST_PROBE, self.deadline)
        self.steps = MAX_STEPS
        self.engine_tasks = MAX_ENGINE_TASKS
        self.rss_base: int | None = None
        self.depth_limit: int | None = None
        self.tripped: SandboxViolation | None = None

    # going over ------------------------------------------------------------------------------------------
    def fail(self, reason: str, message: str) -> SandboxViolation:
        """Trip the budget and return the violation to raise (`raise budget.fail(...)`)."""
        self.tripped = SandboxViolation(message, reason)
        return SandboxViolation(message, reason)

    def _again(self) -> SandboxViolation:
        assert self.tripped is not None
        return SandboxViolation(self.tripped.message, self.tripped.reason)

    # ticking ---------------------------------------------------------------------------------------------
    def tick(self) -> None:
        """One step of procedure code: a loop iteration or a call of a function it defined."""
        self.steps -= 1
        if self.steps < 0 or self.tripped is not None or monotonic() >= self.check_at:
            self.check()

    def check(self) -> None:
        """The slow path: tripped, out of steps, past the deadline, or grown past the memory allowance."""
        if self.tripped is not None:
            raise self._again()
        if self.steps < 0:
            raise self.fail("step-limit", f"more than {MAX_STEPS:,} loop steps and calls")
        now = monotonic()
        if now >= self.deadline:
            raise self.fail("time-limit", f"ran longer than {self.limits.timeout:g} s")
        if now < self.check_at:
            return
        rss = resident_bytes()
        if rss is not None:
            if self.rss_base is None:
                self.rss_base = rss
            elif rss - self.rss_base > self.limits.memory_bytes:
                raise self.fail("memory-limit",
                                f"used more than {self.limits.memory_bytes // 1024 ** 2} MB of memory")
        self.check_at = min(now + PROBE_INTERVAL, self.deadline)

    def engine_task(self, task: Any = None) -> None:
        """Called before each task the engine runs by itself: bounds a diagram that loops without a person."""
        self.engine_tasks -= 1
        if self.engine_tasks < 0:
            raise self.fail("step-limit", f"the engine ran more than {MAX_ENGINE_TASKS:,} tasks in one step "
                                          "(a loop in the diagram with no human step?)")
        self.check()

    def getiter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """`_getiter_`: every loop and comprehension iterates through here, one tick per item."""
        if self.tripped is not None:
            raise self._again()
        for item in iterable:
            self.steps -= 1
            if self.steps < 0 or self.tripped is not None or monotonic() >= self.check_at:
                self.check()
            yield item

    def enter(self) -> None:
        """`_enter_()`, first in every function and lambda procedure code defines: a tick and the call depth."""
        self.tick()
        if self.depth_limit is None:  # the first call of the step: measure the stack once
            depth, frame = 0, sys._getframe()
            while frame is not None:
                depth, frame = depth + 1, frame.f_back
            self.depth_limit = depth + MAX_CALL_DEPTH - 1
            return
        try:
            sys._getframe(self.depth_limit)  # a C walk of the frames: exists only when the stack is too deep
        except ValueError:
            return
        raise self.fail("depth-limit", f"more than {MAX_CALL_DEPTH} nested calls")

    # sizes -----------------------------------------------------------------------------------------------
    def length(self, size: int, what: str = "value") -> None:
        if size > MAX_LENGTH:
            raise self.fail("size-limit", f"a {what} of more than {MAX_LENGTH:,} items or characters")

    def int_bits(self, bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise self.fail("size-limit", f"a number of more than {MAX_INT_BITS:,} bits")

    def decimal(self, value: Any) -> None:
        """A Decimal that would become a huge int or a huge text (its exponent is up to 999999)."""
        if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) > MAX_DECIMAL_EXPONENT:
            raise self.fail("size-limit", f"a decimal number beyond 10^{MAX_DECIMAL_EXPONENT}")

    def width(self, value: int) -> None:
        if value > MAX_FORMAT_WIDTH:
            raise self.fail("size-limit", f"a format width or precision above {MAX_FORMAT_WIDTH:,}")

    def deep(self, value: Any) -> Any:
        """`_deep_(x)`: before a comparison, a hash or a sort walks `value` in C, bound the walk; returns it."""
        if type(value) in _CONTAINERS:
            self.weigh(value, text=False)
        return value

    def member(self, container: Any) -> Any:
        """`_member_(c)` on the right of `in`: a dict or set is searched by hash (its keys were weighed when
        they went in), anything else is compared item by item."""
        if type(container) in (dict, set, frozenset):
            return container
        return self.deep(container)

    def weigh(self, value: Any, text: bool = True) -> int:
        """How much of `value` a recursive walk visits, counting shared parts each time they are reached
        (as repr, ==, hash and storage do); characters count too when `text` (for repr, str and format).
        Flat containers of scalars are measured in C; nested ones one node at a time, charged as steps."""
        kind = type(value)
        if kind not in _CONTAINERS:
            return len(value) if text and kind in (str, bytes) else 1
        total, stack, walked = 0, [value], 0
        while stack:
            node = stack.pop()
            kind = type(node)
            if kind is dict:
                items: Any = (*node.keys(), *node.values()) if len(node) <= MAX_WEIGHT else ()
            elif kind in _CONTAINERS:
                items = node
            else:
                total += len(node) if text and kind in (str, bytes) else 1
                continue
            walked += 1
            total += 1 + len(items)
            if total > MAX_WEIGHT or len(node) > MAX_WEIGHT:
                raise self.fail("size-limit", f"a value of more than {MAX_WEIGHT:,} parts to compare, hash or "
                                              "print")
            kinds = set(map(type, items))
            if kinds.isdisjoint(_CONTAINERS):
                if text and (str in kinds or bytes in kinds):
                    total += sum(len(x) for x in items if type(x) in (str, bytes))
                continue
            stack.extend(items)
        self.steps -= walked
        if self.steps < 0:
            self.check()
        return total


# --- the budget of the step being run ------------------------------------------------------------------

_CURRENT: ContextVar[Budget | None] = ContextVar("motcua_step_budget", default=None)


def current_budget() -> Budget | None:
    return _CURRENT.get()


def active_budget() -> Budget:
    """The budget the guards charge: that of the step being run (the sandbox opens one around an evaluation
    made outside any step). Read from a context variable, so one set of guards serves every thread."""
    budget = _CURRENT.get()
    if budget is None:
        raise SandboxViolation("procedure code ran outside a step", "forbidden")
    return budget


class StepBudget:
    """`with step_budget(limits) as budget:` runs one step within one budget (see the module's docstring)."""

    __slots__ = ("budget", "limits", "token")

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits

    def __enter__(self) -> Budget:
        self.budget = Budget(self.limits)
        self.token = _CURRENT.set(self.budget)
        return self.budget

    def __exit__(self, *exc: object) -> None:
        _CURRENT.reset(self.token)


def step_budget(limits: ScriptLimits) -> StepBudget:
    return StepBudget(limits)


# --- what may stay in task data ------------------------------------------------------------------------

def check_storable(name: str, value: Any) -> None:
    """Raise SandboxViolation('unstorable') unless `value` can be stored in a dossier's state and read back
    as it was: JSON-like values (ints within 64 bits, finite floats), dates, datetimes, durations, Decimals;
    lists, tuples and sets of them; dicts with text or number keys; bounded in depth and size."""
    kind = type(value)
    if kind in (str, bool, type(None)) or (kind is int and INT_MIN <= value <= INT_MAX):
        return  # the common case, without building a stack
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_STORED_NODES:
            raise _unstorable(name, f"holds more than {MAX_STORED_NODES:,} values")
        kind = type(node)
        if kind is int:
            if not INT_MIN <= node <= INT_MAX:
                raise _unstorable(name, "holds an integer beyond 64 bits")
        elif kind is float:
            if not math.isfinite(node):
                raise _unstorable(name, "holds a number that is not finite")
        elif kind is str:
            if len(node) > MAX_LENGTH:
                raise _unstorable(name, f"holds a text longer than {MAX_LENGTH:,} characters")
        elif kind in (list, tuple, set, frozenset, dict):
            if depth >= MAX_STORED_DEPTH:
                raise _unstorable(name, f"is nested more than {MAX_STORED_DEPTH} levels deep")
            if kind is dict:
                for key in node:
                    if not (type(key) in (str, bool, float) or key is None
                            or (type(key) is int and INT_MIN <= key <= INT_MAX)):
                        raise _unstorable(name, f"has a key of type {type(key).__name__}")
                stack.extend((v, depth + 1) for v in node.values())
            else:
                stack.extend((v, depth + 1) for v in node)
        elif not isinstance(node, STORABLE_SCALARS):
            raise _unstorable(name, f"holds a value of type {kind.__name__}")


def _unstorable(name: str, why: str) -> SandboxViolation:
    return SandboxViolation(f"'{name}' cannot be stored in the dossier: it {why}", "unstorable")


