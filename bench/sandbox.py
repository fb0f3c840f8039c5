"""What the sandbox's bounds cost on the API path: the shipped procedures' scripts and conditions evaluated
alone, and their dossiers driven through the engine in memory (no database, no HTTP), per step.

    .venv/bin/python bench/sandbox.py [--rounds 20000] [--dossiers 300]

Runs against whatever `engine` is importable, so the same file measures an older checkout too
(`PYTHONPATH=/path/to/old/checkout python bench/sandbox.py`), for a before/after comparison. Each figure is the
best of five runs (the machine is shared: the best run is the one least disturbed).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import inspect
import json
import statistics
import time
import timeit
from pathlib import Path
from typing import Any

from engine.dossiers import workflows
from engine.procedures.packages import read_package
from engine.procedures.sandbox import SandboxEnvironment
from engine.procedures.specs import _all_specs, _sources, compile_package

ROOT = Path(__file__).resolve().parent.parent
PATHS = json.loads((ROOT / "tests" / "data" / "paths.json").read_text(encoding="utf-8"))
CODES = ("ho-kinh-doanh", "gpxd-nha-o")


def _context(code: str) -> dict[str, Any]:
    data = dict(PATHS[code]["start"])
    for step in PATHS[code]["steps"].values():
        data.update(step)
    return data


def evaluations(rounds: int, in_step: bool) -> dict[str, float]:
    """Mean µs per evaluation of each kind, over every script and condition of the shipped procedures (within
    one step's budget, as the engine runs them, when `in_step` and the checkout has step budgets)."""
    env = SandboxEnvironment()
    times: dict[str, list[float]] = {"script": [], "expression": []}
    for code in CODES:
        compiled = compile_package(read_package(ROOT / "processes" / code, ROOT / "forms"))
        context = _context(code)
        for process in _all_specs(compiled.spec, compiled.subprocess_specs):
            for task_spec in process.task_specs.values():
                for source, kind in _sources(task_spec):
                    run = env.execute if kind == "script" else env.evaluate
                    run(source, dict(context))  # compiled once, cached
                    with _step() if in_step else contextlib.nullcontext():
                        best = min(timeit.repeat(lambda run=run, source=source, data=context: run(source, dict(data)),
                                                 number=rounds, repeat=5))
                    times[kind].append(best / rounds * 1e6)
    return {kind: statistics.mean(values) for kind, values in times.items() if values}


def _step() -> Any:
    try:
        from engine.procedures.limits import ScriptLimits, step_budget
    except ImportError:  # a checkout from before the bounds
        return contextlib.nullcontext()
    return step_budget(ScriptLimits(timeout=3600))


def dossiers(count: int) -> float:
    """Mean µs of engine work per step (create + advance, then each completion), in memory."""
    takes_run = "run" in inspect.signature(workflows.advance).parameters
    steps, started = 0, time.perf_counter()
    for i in range(count):
        code = CODES[i % len(CODES)]
        compiled = _compiled(code)
        workflow = workflows.new_workflow(compiled, copy.deepcopy(PATHS[code]["start"]))
        workflows.advance(workflow)
        steps += 1
        while True:
            ready = workflows.ready_user_tasks(workflow)
            if not ready:
                break
            task = ready[0]
            task.data.update(PATHS[code]["steps"].get(task.task_spec.name, {}))
            if takes_run:
                workflows.advance(workflow, run=task)
            else:
                task.run()
                workflows.advance(workflow)
            steps += 1
    return (time.perf_counter() - started) / steps * 1e6


_CACHE: dict[str, Any] = {}


def _compiled(code: str) -> Any:
    if code not in _CACHE:
        _CACHE[code] = compile_package(read_package(ROOT / "processes" / code, ROOT / "forms"))
    return _CACHE[code]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20000)
    parser.add_argument("--dossiers", type=int, default=300)
    args = parser.parse_args()
    for in_step in (True, False):
        for kind, mean in evaluations(args.rounds, in_step).items():
            print(f"{kind:>10}: {mean:7.2f} µs per evaluation{' (alone)' if not in_step else ''}")
    dossiers(20)  # warm up
    best = min(dossiers(args.dossiers) for _ in range(5))
    print(f"{'step':>10}: {best:7.1f} µs of engine work per step (create/advance, complete)")


if __name__ == "__main__":
    main()
