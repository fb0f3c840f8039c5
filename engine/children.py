"""Bounded child processes for untrusted work (rendering a template, validating an uploaded PDF).

Each child forks from one server process that has imported the heavy libraries once (multiprocessing's
forkserver), so a child costs a fork, not an interpreter start and a second of imports. Multiprocessing would also
make every child re-run the parent's `__main__` (the `motcua` script imports the whole application: seconds per
child); the children here run functions of importable modules only, so they are started without it.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing import context as mp_context
from multiprocessing import spawn
from typing import Any

# loaded once in the fork server; names, not imports: this module sits below every area
PRELOAD = ["engine.rendering.worker", "weasyprint", "engine.signing.validate", "pyhanko.sign.validation"]
_lock = threading.Lock()
_context: Any = None


def _context_once() -> Any:
    global _context
    with _lock:
        if _context is None:
            methods = multiprocessing.get_all_start_methods()
            _context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
            if "forkserver" in methods:
                _context.set_forkserver_preload(PRELOAD)
        return _context


def _without_main(prepare: Any) -> Any:
    def data(name: str) -> dict[str, Any]:
        found = dict(prepare(name))
        found.pop("init_main_from_path", None)
        found.pop("init_main_from_name", None)
        return found
    return data


class _ForkServerChild(mp_context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj: Any) -> Any:
        from multiprocessing.popen_forkserver import Popen

        with _lock:  # the preparation data is read from the module at launch: swapped for that moment only
            original = spawn.get_preparation_data
            spawn.get_preparation_data = _without_main(original)
            try:
                return Popen(process_obj)
            finally:
                spawn.get_preparation_data = original


def pipe() -> tuple[Any, Any]:
    """(receiving, sending) ends for a child's one answer."""
    return _context_once().Pipe(duplex=False)


def start(target: Any, args: tuple[Any, ...]) -> Any:
    """A started daemon child running `target(*args)`; the caller waits on its pipe and kills it when late."""
    context = _context_once()
    process = _ForkServerChild(target=target, args=args, daemon=True) if context.get_start_method() == "forkserver" \
        else context.Process(target=target, args=args, daemon=True)
    process.start()
    return process
