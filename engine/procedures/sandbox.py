"""Sandboxed compilation and evaluation of BPMN scripts, conditions, timer, loop and DMN expressions.

Procedure code comes from uploaded packages, so it is untrusted. It is compiled with RestrictedPython's compiler
(no imports, no names or attributes starting with '_', guarded item/attribute access and writes) under Motcua's
policy, and runs with a small set of builtins and guards bound to the step's `Budget` (`limits.py` explains the
bounds and why they are kept in-process):

- **Compiling** is bounded before the compiler sees the source: its length (`MAX_SCRIPT_CHARS`,
  `MAX_EXPRESSION_CHARS`), then the parsed tree's depth and size, measured without recursion, so deep nesting
  is a clean refusal, never a `RecursionError` in the compiler. Compiled code is cached by source.
- **The policy** forbids `while`, imports, class definitions (their dunder methods would run inside the
  guards' own operations) and `except` clauses that could catch a violation; it rewrites the operations that
  can allocate or walk without bound into guard calls (`_mul_`, `_pow_`, `_lshift_`, `_add_`, `_mod_`,
  `_fstring_`/`_format_`, `_unpack_`, `_deep_` around compared and hashed operands) and puts `_enter_()` first
  in every function and lambda.
- **The script engine** (`MotcuaScriptEngine`) turns a violation into SpiffWorkflow's task error once the
  procedure code has returned (so the step names its element), checks what DMN tables produce, and bounds the
  values SpiffWorkflow itself would loop over: a timer's duration, a multi-instance cardinality.
"""

from __future__ import annotations

import ast
import contextlib
import math
import operator
import re
from collections.abc import Iterable, Sized
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache, partial
from types import CodeType
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import RestrictingNodeTransformer
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin

from .limits import (
    MAX_DECIMAL_EXPONENT,
    MAX_FORMAT_WIDTH,
    MAX_INSTANCES,
    MAX_INT_BITS,
    MAX_LENGTH,
    Budget,
    SandboxViolation,
    ScriptLimits,
    active_budget,
    check_storable,
    current_budget,
    step_budget,
)

MAX_SCRIPT_CHARS = 32_768      # a script task's script, a pre- or post-script
MAX_EXPRESSION_CHARS = 4_096   # a condition, a timer or loop expression, a DMN entry
MAX_AST_DEPTH = 100
MAX_AST_NODES = 10_000
MAX_TIMER_MONTHS = 1_200       # SpiffWorkflow walks a duration's months one by one
MAX_TIMER_TEXT = 200

__all__ = ["MotcuaScriptEngine", "SandboxEnvironment", "SandboxViolation", "ScriptLimits", "ScriptRejected",
           "compile_expression", "compile_script", "script_engine"]


class ScriptRejected(Exception):
    def __init__(self, errors: tuple[str, ...]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


# --- the policy ------------------------------------------------------------------------------------------

def _call(name: str, args: list[ast.expr], like: ast.AST) -> ast.Call:
    call = ast.Call(func=ast.Name(name, ast.Load()), args=args, keywords=[])
    return ast.fix_missing_locations(ast.copy_location(call, like))


def _is_constant(node: ast.AST) -> bool:
    """Literals whose comparison or hash costs nothing: constants, and displays of constants."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return all(isinstance(e, ast.Constant) for e in node.elts)
    return False


class MotcuaPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus Motcua's bounds (see the module's docstring). Guard calls are added
    after the parent has visited a node, so its checks see only what the author wrote."""

    _BINOP_GUARDS = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_", ast.Add: "_add_",
                     ast.Mod: "_mod_"}

    def visit_While(self, node: ast.While) -> Any:
        self.error(node, "while loops are not allowed in procedure scripts; use for over a bounded range")
        return node

    def visit_Import(self, node: ast.Import) -> Any:
        self.error(node, "imports are not allowed in procedure scripts")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self.error(node, "imports are not allowed in procedure scripts")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> Any:
        self.error(node, "class definitions are not allowed in procedure scripts")
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = self._BINOP_GUARDS.get(type(node.op))
        if guard is None:
            return node
        return _call(guard, [node.left, node.right], node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        if isinstance(node.op, ast.Pow | ast.Mult | ast.LShift):
            self.error(node, "augmented *, ** and << are not allowed; write x = x * y")
            return node
        return super().visit_AugAssign(node)  # names only: `x += y` becomes `x = _inplacevar_('+=', x, y)`

    def visit_Compare(self, node: ast.Compare) -> Any:
        node = self.node_contents_visit(node)
        if not _is_constant(node.left):
            node.left = _call("_deep_", [node.left], node.left)
        # `x in d` for a dict or set hashes x only; its keys were weighed when they went in: `_member_`
        node.comparators = [c if _is_constant(c) else
                            _call("_member_" if isinstance(op, ast.In | ast.NotIn) else "_deep_", [c], c)
                            for op, c in zip(node.ops, node.comparators, strict=True)]
        return node

    def visit_Dict(self, node: ast.Dict) -> Any:
        node = self.node_contents_visit(node)
        node.keys = [k if k is None or _is_constant(k) else _call("_deep_", [k], k) for k in node.keys]
        return node

    def visit_Set(self, node: ast.Set) -> Any:
        node = self.node_contents_visit(node)
        node.elts = [self._unpacked(e) if isinstance(e, ast.Starred) else
                     e if _is_constant(e) else _call("_deep_", [e], e) for e in node.elts]
        return node

    def visit_List(self, node: ast.List) -> Any:
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.elts = [self._unpacked(e) if isinstance(e, ast.Starred) else e for e in node.elts]
        return node

    def visit_Tuple(self, node: ast.Tuple) -> Any:
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.elts = [self._unpacked(e) if isinstance(e, ast.Starred) else e for e in node.elts]
        return node

    @staticmethod
    def _unpacked(node: ast.Starred) -> ast.Starred:
        node.value = _call("_unpack_", [node.value], node.value)
        return node

    def visit_SetComp(self, node: ast.SetComp) -> Any:
        node = super().visit_SetComp(node)
        node.elt = _call("_deep_", [node.elt], node.elt)
        return node

    def visit_DictComp(self, node: ast.DictComp) -> Any:
        node = super().visit_DictComp(node)
        node.key = _call("_deep_", [node.key], node.key)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> Any:
        node = super().visit_Subscript(node)  # a load became `_getitem_(...)`, which weighs its key itself
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice) \
                and not _is_constant(node.slice):
            node.slice = _call("_deep_", [node.slice], node.slice)  # `d[k] = v`, `del d[k]` hash k
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> Any:
        node = self.node_contents_visit(node)
        parts: list[ast.expr] = []
        for value in node.values:
            if isinstance(value, ast.FormattedValue):
                spec = value.format_spec if value.format_spec is not None else ast.Constant("")
                parts.append(_call("_format_", [value.value, ast.Constant(value.conversion), spec], value))
            else:
                parts.append(value)
        return _call("_fstring_", parts, node)

    def visit_Try(self, node: ast.Try) -> Any:
        node = self.node_contents_visit(node)
        for handler in node.handlers:  # a violation must not be caught: only exception classes are
            if handler.type is None:
                handler.type = ast.fix_missing_locations(ast.copy_location(ast.Name("Exception", ast.Load()),
                                                                           handler))
            else:
                handler.type = _call("_catchable_", [handler.type], handler.type)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = super().visit_FunctionDef(node)
        enter = ast.Expr(_call("_enter_", [], node))
        node.body.insert(0, ast.fix_missing_locations(ast.copy_location(enter, node)))
        return node

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = super().visit_Lambda(node)
        body = ast.BoolOp(op=ast.Or(), values=[_call("_enter_", [], node), node.body])  # None or body
        node.body = ast.fix_missing_locations(ast.copy_location(body, node.body))
        return node


# --- compiling -------------------------------------------------------------------------------------------

def parse_bounded(source: str, mode: str, max_chars: int) -> ast.AST:
    """Parse procedure code, refusing what is too long, too deep or too large before anything recurses on it."""
    if len(source) > max_chars:
        raise ScriptRejected((f"longer than {max_chars:,} characters",))
    try:
        tree = ast.parse(source, "<string>", mode)
    except SyntaxError as exc:
        raise ScriptRejected((f"Line {exc.lineno}: SyntaxError: {exc.msg}",)) from None
    except (RecursionError, MemoryError, ValueError):
        raise ScriptRejected(("nested too deeply to compile",)) from None
    stack, nodes = [(tree, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if depth > MAX_AST_DEPTH:
            raise ScriptRejected((f"nested more than {MAX_AST_DEPTH} levels deep",))
        if nodes > MAX_AST_NODES:
            raise ScriptRejected((f"more than {MAX_AST_NODES:,} syntax elements",))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return tree


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    tree = parse_bounded(source, "exec", MAX_SCRIPT_CHARS)
    result = compile_restricted_exec(tree, filename="<string>", policy=MotcuaPolicy)  # type: ignore[arg-type]
    if result.errors or result.code is None:
        raise ScriptRejected(tuple(result.errors) or ("cannot compile",))
    return result.code


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    tree = parse_bounded(source.strip(), "eval", MAX_EXPRESSION_CHARS)
    result = compile_restricted_eval(tree, filename="<string>", policy=MotcuaPolicy)  # type: ignore[arg-type]
    if result.errors or result.code is None:
        raise ScriptRejected(tuple(result.errors) or ("cannot compile",))
    return result.code


# --- the guards ------------------------------------------------------------------------------------------

_TEXT = (str, bytes)
_SEQUENCES = (str, bytes, list, tuple)
_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([a-zA-Z%])")
_SPEC = re.compile(r"(?:.?[<>=^])?[+\- ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?([a-zA-Z%]?)", re.S)
# container methods that neither compare nor hash what they are given (the rest have their arguments weighed)
_PLAIN_METHODS = frozenset({"append", "insert", "keys", "values", "items", "copy", "clear", "reverse",
                            "popitem"})
_SELF_COMPARING = frozenset({"sort", "index", "count", "remove"})
_ITERABLE_TAKING = frozenset({"update", "union", "intersection", "difference", "symmetric_difference",
                              "issubset", "issuperset", "isdisjoint", "intersection_update",
                              "difference_update", "symmetric_difference_update", "fromkeys"})
_INPLACE = {"+=": None, "%=": None, "-=": operator.sub, "/=": operator.truediv, "//=": operator.floordiv,
            "&=": operator.and_, "|=": operator.or_, "^=": operator.xor, ">>=": operator.rshift}


class Guards:
    """The guard functions and builtins procedure code runs with: one set for the process, charging the budget
    of the step being run (`limits.active_budget`, a context variable), so that nothing is built per step."""

    def __init__(self) -> None:
        builtins = dict(_BUILTINS)
        builtins.update({
            "range": self.range, "pow": self.pow, "str": self.str, "repr": self.repr, "hash": self.hash,
            "int": self.int, "round": self.round, "sorted": self.sorted, "min": partial(self.extreme, min),
            "max": partial(self.extreme, max), "sum": self.sum, "set": self.set, "dict": self.dict,
        })
        self.names: dict[str, Any] = {
            "__builtins__": builtins, "__name__": "procedure_script", "__metaclass__": type,
            "_getattr_": self.getattr, "_getitem_": self.getitem, "_getiter_": _getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence, "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard, "_inplacevar_": self.inplacevar, "_pow_": self.pow, "_mul_": self.mul,
            "_lshift_": self.lshift, "_add_": self.add, "_mod_": self.mod, "_deep_": _deep, "_member_": _member,
            "_enter_": _enter, "_unpack_": self.unpack, "_format_": self.format, "_fstring_": self.fstring,
            "_catchable_": self.catchable,
        }
        self.helpers: dict[str, Any] = {**SCRIPT_GLOBALS, "floor": self.floor, "ceil": self.ceil}

    @property
    def b(self) -> Budget:
        return active_budget()

    # arithmetic ------------------------------------------------------------------------------------------
    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if type(base) in (int, bool) and type(exp) in (int, bool):
            if mod is None:
                if exp > 0 and abs(base) > 1:
                    _int_bits(exp * (abs(base).bit_length() - 1))
            elif isinstance(mod, int):
                _int_bits(max(abs(base).bit_length(), abs(exp).bit_length(), abs(mod).bit_length()))
        return base**exp if mod is None else pow(base, exp, mod)

    def mul(self, a: Any, b: Any) -> Any:
        if type(a) is int and type(b) is int:
            if a and b:
                _int_bits(abs(a).bit_length() + abs(b).bit_length())
            return a * b
        for seq, n in ((a, b), (b, a)):
            if isinstance(seq, _SEQUENCES) and isinstance(n, int):
                _length(len(seq) * n)
        return a * b

    def lshift(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and b > 0:
            _int_bits(abs(a).bit_length() + b)
        return a << b

    def add(self, a: Any, b: Any) -> Any:
        if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
            _length(len(a) + len(b))
        return a + b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, _TEXT):
            self.percent(a, b)
        return a % b

    def inplacevar(self, op: str, x: Any, y: Any) -> Any:
        if op == "+=":
            return self.add(x, y)
        if op == "%=":
            return self.mod(x, y)
        fn = _INPLACE.get(op)
        if fn is None:
            raise self.b.fail("forbidden", f"operator {op} is not allowed")
        return fn(x, y)

    # text ------------------------------------------------------------------------------------------------
    def percent(self, fmt: str | bytes, args: Any) -> None:
        """`fmt % args`: widths, precisions, the size of what is printed, Decimals printed as ints."""
        text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
        extra = 0
        for width, precision, _conversion in _PERCENT.findall(text):
            for number in (width, precision):
                if number == "*":
                    raise self.b.fail("forbidden", "'*' widths are not allowed in % formatting")
                if number:
                    _width(int(number))
                    extra += int(number)
        values = args.values() if isinstance(args, dict) else args if type(args) is tuple else (args,)
        for value in values:
            _decimal(value)
        _length(len(fmt) + extra + _weigh(args))

    def format(self, value: Any, conversion: int, spec: str) -> str:
        """`_format_`: one `{...}` of an f-string."""
        if not spec and conversion == -1 and type(value) is str:
            return value
        if conversion == 115:  # !s
            value = self.str(value)
        elif conversion == 114:  # !r
            value = self.repr(value)
        elif conversion == 97:  # !a
            _weigh(value)
            value = ascii(value)
        elif type(value) in _CONTAINER_TYPES:
            _weigh(value)
        if spec:
            match = _SPEC.fullmatch(spec)
            if match:
                width, precision, kind = match.groups()
                for number in (width, precision):
                    if number:
                        _width(int(number))
                if kind in ("f", "F", "%", "n", "e", "E", "g", "G", "d"):
                    _decimal(value)
        return format(value, spec)

    def fstring(self, *parts: str) -> str:
        _length(sum(map(len, parts)))
        return "".join(parts)

    def str(self, *args: Any) -> str:
        if len(args) == 1:
            value = args[0]
            if type(value) is str:
                return value
            _weigh(value)
        return str(*args)

    def repr(self, value: Any) -> str:
        _weigh(value)
        return repr(value)

    def text_method(self, name: str, s: Any, *args: Any, **kwargs: Any) -> Any:
        """The string and bytes methods whose result is not bounded by the string: sized before the call."""
        method = getattr(s, name)
        if name in ("ljust", "rjust", "center", "zfill"):
            if args and isinstance(args[0], int):
                _length(args[0])
        elif name == "expandtabs":
            tab = "\t" if isinstance(s, str) else b"\t"
            size = args[0] if args else kwargs.get("tabsize", 8)
            if isinstance(size, int):
                _length(len(s) + s.count(tab) * max(size, 0))
        elif name == "join":
            items = list(args[0]) if args else []
            _length(len(items))
            with contextlib.suppress(TypeError):  # not all texts: join itself says what is wrong
                _length(sum(map(len, items)) + len(s) * max(len(items) - 1, 0))
            return method(items)
        elif name == "replace":
            old, new = args[0], args[1]
            if isinstance(new, _TEXT) and isinstance(old, _TEXT) and len(new) > len(old):
                count = args[2] if len(args) > 2 else kwargs.get("count", -1)
                times = s.count(old) if old else len(s) + 1
                if isinstance(count, int) and count >= 0:
                    times = min(times, count)
                _length(len(s) + times * (len(new) - len(old)))
        elif name == "translate" and isinstance(s, str):
            table = args[0] if args else None
            if not isinstance(table, dict):
                raise self.b.fail("forbidden", "str.translate takes a dict here")
            longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
            _length(len(s) * max(longest, 1))
        return method(*args, **kwargs)

    # containers ------------------------------------------------------------------------------------------
    def unpack(self, value: Any) -> Any:
        """`*value` in a list, tuple or set display."""
        if isinstance(value, Sized):
            _length(len(value))
        return value

    def getitem(self, obj: Any, key: Any) -> Any:
        if type(key) in (tuple, frozenset):
            _deep(key)
        return obj[key]

    def getattr(self, obj: Any, name: str) -> Any:
        value = safer_getattr(obj, name)
        kind = type(obj)
        if kind is str or kind is bytes:
            if name in ("ljust", "rjust", "center", "zfill", "expandtabs", "join", "replace", "translate"):
                return partial(self.text_method, name, obj)
        elif kind in _CONTAINER_TYPES:
            if name not in _PLAIN_METHODS and callable(value):
                return partial(self.container_method, value, obj, name)
        elif isinstance(obj, int) and name == "to_bytes":  # bools too
            return partial(self.to_bytes, obj)
        elif kind is Decimal and name == "as_integer_ratio":
            _decimal(obj)
        elif obj is Decimal and name == "as_integer_ratio":  # Decimal.as_integer_ratio(x)
            return partial(self.integer_ratio, value)
        return value

    @staticmethod
    def integer_ratio(method: Any, *args: Any) -> Any:
        for value in args:
            _decimal(value)
        return method(*args)

    def container_method(self, method: Any, obj: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        """A method of a list, tuple, dict or set that compares or hashes: its arguments (and, for those
        that compare the container's own items, the container) are weighed first."""
        if name in _SELF_COMPARING:
            _deep(obj)
        if name == "sort" and kwargs.get("key") is not None:  # the keys are compared: weigh them first
            key, reverse = kwargs["key"], bool(kwargs.get("reverse", False))
            keys = [key(item) for item in obj]
            _deep(keys)
            obj[:] = [obj[i] for i in sorted(range(len(obj)), key=keys.__getitem__, reverse=reverse)]
            return None
        if name in _ITERABLE_TAKING or name == "extend":
            args = tuple(a if isinstance(a, Sized) else list(a) for a in args)
        if name == "extend" and args:
            _length(len(obj) + len(args[0]))
        for value in () if name == "extend" else args:
            _deep(value)
        for value in kwargs.values():
            _deep(value)
        return method(*args, **kwargs)

    def to_bytes(self, number: int, length: int = 1, *args: Any, **kwargs: Any) -> bytes:
        if isinstance(length, int):
            _length(length)
        return number.to_bytes(length, *args, **kwargs)

    # builtins --------------------------------------------------------------------------------------------
    def range(self, *args: Any) -> range:
        r = range(*args)
        try:
            size = len(r)
        except OverflowError:
            size = MAX_LENGTH + 1
        _length(size, "range")
        return r

    def hash(self, value: Any) -> int:
        return hash(_deep(value))

    def int(self, *args: Any) -> int:
        if args:
            _decimal(args[0])
        result = int(*args)
        _int_bits(result.bit_length())
        return result

    def round(self, number: Any, *args: Any) -> Any:
        _decimal(number)
        if args and isinstance(args[0], int) and abs(args[0]) > MAX_DECIMAL_EXPONENT:  # round(5, -10**9): 10**10**9
            raise self.b.fail("size-limit", f"rounding to more than {MAX_DECIMAL_EXPONENT} digits")
        result = round(number, *args)
        if type(result) is int:
            _int_bits(result.bit_length())
        return result

    def floor(self, number: Any) -> Any:
        _decimal(number)
        return math.floor(number)

    def ceil(self, number: Any) -> Any:
        _decimal(number)
        return math.ceil(number)

    def sorted(self, iterable: Iterable[Any], *, key: Any = None, reverse: bool = False) -> list[Any]:
        items = list(iterable)
        if key is None:
            _deep(items)
            return sorted(items, reverse=reverse)
        keys = [key(item) for item in items]  # once each, as sorted() does; weighed before they are compared
        _deep(keys)
        return [items[i] for i in sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)]

    def extreme(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        items = list(args[0]) if len(args) == 1 else list(args)
        key = kwargs.pop("key", None)
        if key is None:
            _deep(items)
            return fn(items, **kwargs)
        keys = [key(item) for item in items]
        _deep(keys)
        if not items:
            return fn(items, **kwargs)
        return items[fn(range(len(items)), key=keys.__getitem__)]

    def sum(self, iterable: Iterable[Any], start: Any = 0) -> Any:
        if isinstance(start, _SEQUENCES):
            raise self.b.fail("forbidden", "sum() adds numbers; join texts with str.join")
        return sum(iterable, start)

    def set(self, iterable: Iterable[Any] = ()) -> set[Any]:
        items = iterable if isinstance(iterable, Sized) else list(iterable)
        _deep(items)
        return set(items)

    def dict(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        if args:
            items = args[0] if isinstance(args[0], Sized) else list(args[0])
            _deep(items)
            args = (items,)
        return dict(*args, **kwargs)

    def catchable(self, kind: Any) -> Any:
        """The class an `except` clause names: only exceptions, so a violation is never caught."""
        for cls in kind if type(kind) is tuple else (kind,):
            if not (isinstance(cls, type) and issubclass(cls, Exception)):
                raise self.b.fail("forbidden", "an except clause may only name exception classes")
        return kind


_BUILTINS: dict[str, Any] = dict(safe_builtins)
_BUILTINS.update({
    "min": min, "max": max, "sum": sum, "any": any, "all": all, "sorted": sorted,
    "enumerate": enumerate, "reversed": reversed, "dict": dict, "list": list, "set": set,
    "map": map, "filter": filter, "zip": zip,
})
for _name in ("setattr", "delattr", "_getattr_", "__build_class__", "BaseException", "KeyboardInterrupt",
              "SystemExit", "GeneratorExit"):
    _BUILTINS.pop(_name, None)

# Values scripts may use without importing anything (floor and ceil come guarded, from `Guards`).
SCRIPT_GLOBALS: dict[str, Any] = {"Decimal": Decimal, "date": date, "datetime": datetime, "timedelta": timedelta}
_CONTAINER_SET = frozenset(_CONTAINER_TYPES)


def _length(size: int, what: str = "value") -> None:
    if size > MAX_LENGTH:
        active_budget().length(size, what)


def _int_bits(bits: int) -> None:
    if bits > MAX_INT_BITS:
        active_budget().int_bits(bits)


def _decimal(value: Any) -> None:
    if type(value) is Decimal:
        active_budget().decimal(value)


def _width(value: int) -> None:
    if value > MAX_FORMAT_WIDTH:
        active_budget().width(value)


def _weigh(value: Any) -> int:
    kind = type(value)
    if kind in _CONTAINER_SET:
        return active_budget().weigh(value)
    return len(value) if kind is str or kind is bytes else 1


def _getiter(iterable: Iterable[Any]) -> Any:
    return active_budget().getiter(iterable)


def _deep(value: Any) -> Any:
    if type(value) in _CONTAINER_SET:  # scalars (most operands) need no walk, nor the budget
        active_budget().weigh(value, text=False)
    return value


def _member(container: Any) -> Any:
    if type(container) in _CONTAINER_SET:
        active_budget().member(container)
    return container


def _enter() -> None:
    active_budget().enter()


GUARDS = Guards()
_NAMES, _HELPERS = GUARDS.names, GUARDS.helpers
_RESERVED = frozenset(_NAMES) | frozenset(_HELPERS)
_MUTABLE = frozenset({list, dict, set})
_MISSING = object()


# --- the environment and the engine ---------------------------------------------------------------------

class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow's script environment, running everything through the restricted compiler within the
    budget of the step being run (or one of its own when called outside a step)."""

    def __init__(self, limits: ScriptLimits | None = None) -> None:
        super().__init__()
        self.limits = limits or ScriptLimits()

    @staticmethod
    def _scope(context: dict[str, Any], external_context: Any) -> dict[str, Any]:
        budget = active_budget()
        if budget.tripped is not None:
            budget.check()  # raises: the step is over
        # task data may shadow the helper globals, never the guards
        return {**_HELPERS, **(external_context or {}), **context, **_NAMES}

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = compile_expression(expression)
        if current_budget() is None:
            with step_budget(self.limits):
                return self._evaluate(code, context, external_context)
        return self._evaluate(code, context, external_context)

    def _evaluate(self, code: CodeType, context: dict[str, Any], external_context: Any) -> Any:
        scope = self._scope(context, external_context)
        try:
            return eval(code, scope)
        except MemoryError:
            raise SandboxViolation("ran out of memory", "memory-limit") from None
        except RecursionError:
            raise SandboxViolation("nested calls or values too deeply", "depth-limit") from None

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code = compile_script(script)
        if current_budget() is None:
            with step_budget(self.limits):
                return self._execute(code, context, external_context)
        return self._execute(code, context, external_context)

    def _execute(self, code: CodeType, context: dict[str, Any], external_context: Any) -> bool:
        scope = self._scope(context, external_context)
        try:
            exec(code, scope)
        except MemoryError:
            raise SandboxViolation("ran out of memory", "memory-limit") from None
        except RecursionError:
            raise SandboxViolation("nested calls or values too deeply", "depth-limit") from None
        external = external_context or ()
        changed: dict[str, Any] = {}
        for key, value in scope.items():
            if key in _RESERVED or (context.get(key, _MISSING) is value and type(value) not in _MUTABLE):
                continue  # a guard, or a value the script did not touch
            if key in external or callable(value):
                continue
            check_storable(key, value)  # before anything of the context changes
            changed[key] = value
        for key in [k for k in context if k not in scope]:
            del context[key]
        context.update(changed)
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise SandboxViolation("service tasks are not supported")


def _task_error(task: Any, violation: SandboxViolation) -> WorkflowTaskException:
    error = WorkflowTaskException(violation.message, task=task)
    error.violation = violation  # type: ignore[attr-defined]  (advance() reads the reason from it)
    return error


class MotcuaScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's script engine over the sandbox, with the bounds of `limits`."""

    def __init__(self, limits: ScriptLimits | None = None) -> None:
        self.limits = limits or ScriptLimits()
        super().__init__(environment=SandboxEnvironment(self.limits))

    def validate(self, expression: str) -> None:
        """SpiffWorkflow's DMN engine parses table cells with this; bounded like everything else."""
        if len(expression) > MAX_EXPRESSION_CHARS:
            raise ScriptRejected((f"longer than {MAX_EXPRESSION_CHARS:,} characters",))
        try:
            ast.parse(expression)
        except (RecursionError, MemoryError):
            raise ScriptRejected(("nested too deeply to compile",)) from None

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            result = super().evaluate(task, expression, external_context)
            self._check_result(task, expression, result)
        except SandboxViolation as violation:
            raise _task_error(task, violation) from None
        return result

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        try:
            return super().execute(task, script, external_context)
        except SandboxViolation as violation:
            raise _task_error(task, violation) from None

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        raise WorkflowTaskException("service tasks are not supported", task=task)

    @staticmethod
    def _check_result(task: Any, expression: str, result: Any) -> None:
        """Values the engine goes on to use without the sandbox: what a DMN table puts in task data, the
        duration a timer waits (SpiffWorkflow counts its months one by one), a multi-instance cardinality."""
        spec = task.task_spec
        if isinstance(spec, BusinessRuleTaskMixin):
            check_storable("the decision's output", result)
            return
        event = getattr(spec, "event_definition", None)
        if isinstance(event, TimerEventDefinition) and expression == event.expression:
            _check_timer(event, result)
        elif expression == getattr(spec, "cardinality", None) and type(result) is int \
                and not 0 <= result <= MAX_INSTANCES:
            raise SandboxViolation(f"a multi-instance cardinality of {result} (at most {MAX_INSTANCES})",
                                   "size-limit")


def _check_timer(event: TimerEventDefinition, value: Any) -> None:
    if not isinstance(value, str) or len(value) > MAX_TIMER_TEXT:
        raise SandboxViolation(f"the timer expression gave {str(value)[:60]!r}, not an ISO 8601 date, duration "
                               "or cycle", "forbidden")
    if not isinstance(event, DurationTimerEventDefinition | CycleTimerEventDefinition):
        return
    parts = value.upper().replace("--", "/").strip("R").split("/") if "/" in value else [value]
    for part in parts:
        if not part.startswith("P"):
            continue
        try:
            parsed = TimerEventDefinition.parse_iso_duration(part)
        except Exception:  # SpiffWorkflow raises a bare Exception('Invalid duration')
            raise SandboxViolation(f"the timer expression gave {value!r}, not an ISO 8601 duration",
                                   "forbidden") from None
        months = parsed.get("years", 0) * 12 + parsed.get("months", 0)
        if not months <= MAX_TIMER_MONTHS or not all(math.isfinite(v) for v in parsed.values()):
            raise SandboxViolation(f"a timer of more than {MAX_TIMER_MONTHS // 12} years", "size-limit")


def script_engine(limits: ScriptLimits | None = None) -> MotcuaScriptEngine:
    return MotcuaScriptEngine(limits)
