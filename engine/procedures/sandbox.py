"""Sandboxed evaluation of BPMN scripts and conditions.

Scripts come from uploaded diagrams, so they are untrusted. They are compiled with RestrictedPython's
compiler (no imports, no names or attributes starting with '_', guarded item/attribute access and writes)
and run with a small set of builtins. On top of that policy Motcua forbids `while` loops and bounds
iteration, `*` and `**` so that a script cannot hang or exhaust a worker.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

MAX_ITERATIONS = 100_000
MAX_SEQUENCE = 100_000
MAX_EXPONENT_BITS = 4_096


class SandboxViolation(Exception):
    """A script tried something the sandbox forbids, or exceeded a limit."""


class MotcuaPolicy(RestrictingNodeTransformer):
    def visit_While(self, node: ast.While) -> Any:
        self.error(node, "while loops are not allowed in procedure scripts; use for over a bounded range")
        return node

    def visit_Import(self, node: ast.Import) -> Any:
        self.error(node, "imports are not allowed in procedure scripts")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self.error(node, "imports are not allowed in procedure scripts")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_"}.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        ast.copy_location(call.func, node)
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        if isinstance(node.op, ast.Pow | ast.Mult | ast.LShift):
            self.error(node, "augmented *, ** and << are not allowed; write x = x * y")
            return node
        return super().visit_AugAssign(node)


def _pow(base: Any, exp: Any) -> Any:
    if isinstance(base, int) and isinstance(exp, int) and exp > 0 and \
            abs(base) > 1 and exp * max(abs(base).bit_length(), 1) > MAX_EXPONENT_BITS:
        raise SandboxViolation("number too large")
    return base**exp


def _mul(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, str | bytes | list | tuple) and isinstance(n, int) and len(seq) * n > MAX_SEQUENCE:
            raise SandboxViolation("sequence too long")
    return a * b


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > MAX_EXPONENT_BITS:
        raise SandboxViolation("number too large")
    return a << b


def _getiter(obj: Iterable[Any]) -> Iterator[Any]:
    for count, item in enumerate(obj):
        if count >= MAX_ITERATIONS:
            raise SandboxViolation(f"more than {MAX_ITERATIONS} iterations")
        yield item


def _range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_ITERATIONS:
        raise SandboxViolation("range too large")
    return r


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    ops = {"+=": operator.add, "-=": operator.sub, "/=": operator.truediv, "//=": operator.floordiv,
           "%=": operator.mod, "&=": operator.and_, "|=": operator.or_, "^=": operator.xor,
           ">>=": operator.rshift}
    if op not in ops:
        raise SandboxViolation(f"operator {op} not allowed")
    return ops[op](x, y)


_BUILTINS: dict[str, Any] = dict(safe_builtins)
_BUILTINS.update({
    "range": _range, "min": min, "max": max, "sum": sum, "any": any, "all": all, "sorted": sorted,
    "enumerate": enumerate, "reversed": reversed, "dict": dict, "list": list, "set": set,
    "map": map, "filter": filter, "zip": zip,
})
for _name in ("setattr", "delattr", "_getattr_"):
    _BUILTINS.pop(_name, None)

# Values scripts may use without importing anything.
SCRIPT_GLOBALS: dict[str, Any] = {
    "Decimal": Decimal, "date": date, "datetime": datetime, "timedelta": timedelta,
    "floor": math.floor, "ceil": math.ceil,
}

_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "__name__": "procedure_script",
    "__metaclass__": type,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": _getiter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_pow_": _pow,
    "_mul_": _mul,
    "_lshift_": _lshift,
}
_RESERVED = frozenset(_GUARDS) | frozenset(SCRIPT_GLOBALS)


class ScriptRejected(Exception):
    def __init__(self, errors: tuple[str, ...]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    result = compile_restricted_exec(source, filename="<string>", policy=MotcuaPolicy)
    if result.errors or result.code is None:
        raise ScriptRejected(tuple(result.errors) or ("cannot compile",))
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    result = compile_restricted_eval(source.strip(), filename="<string>", policy=MotcuaPolicy)
    if result.errors or result.code is None:
        raise ScriptRejected(tuple(result.errors) or ("cannot compile",))
    return result.code


def _scope(context: dict[str, Any], external_context: Any) -> dict[str, Any]:
    # Task data may shadow the helper globals, never the guards.
    scope = dict(SCRIPT_GLOBALS)
    scope.update(external_context or {})
    scope.update(context)
    scope.update(_GUARDS)
    return scope


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that runs everything through the restricted compiler."""

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        return eval(compile_expression(expression), _scope(context, external_context))

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        scope = _scope(context, external_context)
        exec(compile_script(script), scope)
        external = set(external_context or ())
        for key in list(context):
            if key not in scope:
                del context[key]
        for key, value in scope.items():
            if key in _RESERVED or key in external or callable(value):
                continue
            context[key] = value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported")


def script_engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=SandboxEnvironment())
