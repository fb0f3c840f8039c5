"""Scripts from diagrams are untrusted: the sandbox must refuse escapes at compile time or at run time."""

from __future__ import annotations

import pytest

from engine.procedures.sandbox import SandboxEnvironment, SandboxViolation, ScriptRejected

ESCAPES_REJECTED_AT_COMPILE = [
    "import os",
    "from os import path",
    "__import__('os')",
    "x = ().__class__.__bases__[0].__subclasses__()",
    "x = (lambda: 1).__globals__",
    "x = y.__dict__",
    "exec('import os')",
    "eval('1')",
    "while True: pass",
    "x = 1\nx **= 10",
]
ESCAPES_FAILING_AT_RUN = [
    ("open('/etc/passwd').read()", NameError),
    ("x = getattr(y, '__class__')", NameError),
    ("x = type(y)", NameError),
    ("x = globals()", NameError),
    ("x = vars()", NameError),
    ("x = '{0.__class__}'.format(y)", NotImplementedError),
    ("x = 10 ** 10 ** 8", SandboxViolation),
    ("x = 'a' * 10 ** 9", SandboxViolation),
    ("x = [0] * 10 ** 8", SandboxViolation),
    ("x = [i for i in range(10 ** 9)]", SandboxViolation),
    ("x = 1 << 100000", SandboxViolation),
]


@pytest.mark.parametrize("source", ESCAPES_REJECTED_AT_COMPILE)
def test_escape_is_rejected_when_compiled(source: str) -> None:
    with pytest.raises(ScriptRejected):
        SandboxEnvironment().execute(source, {"y": 1})


@pytest.mark.parametrize(("source", "error"), ESCAPES_FAILING_AT_RUN)
def test_escape_fails_cleanly_at_run_time(source: str, error: type[Exception]) -> None:
    context = {"y": 1}
    with pytest.raises(error):
        SandboxEnvironment().execute(source, context)
    assert context == {"y": 1}, "a failed script must not leave partial results behind"


def test_ordinary_scripts_and_conditions_work() -> None:
    env = SandboxEnvironment()
    context = {"dien_tich": 120.5, "so_tang": 3, "ten": "Nguyễn Văn Á"}
    env.execute("tong = dien_tich * so_tang\nma = f'GP-{so_tang:02d}'\nds = [i * 2 for i in range(3)]\n"
                "ten_hoa = ten.upper()\ndel ten", context)
    assert context == {"dien_tich": 120.5, "so_tang": 3, "tong": 361.5, "ma": "GP-03", "ds": [0, 2, 4],
                       "ten_hoa": "NGUYỄN VĂN Á"}
    assert env.evaluate("tong > 300 and ma.startswith('GP')", context) is True
    assert env.evaluate("len(ds) == 3 and sum(ds) == 6", context) is True


def test_script_cannot_see_or_keep_sandbox_internals() -> None:
    context: dict[str, object] = {}
    SandboxEnvironment().execute("x = 1", context)
    assert context == {"x": 1}


# --- bounds: every class of hostile code fails cleanly, quickly, and leaves nothing behind -------------------

from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from time import perf_counter  # noqa: E402

from engine.dossiers.workflows import advance, new_workflow  # noqa: E402
from engine.errors import InvalidPackage, ProcessError  # noqa: E402
from engine.procedures.limits import MAX_STEPS, ScriptLimits, step_budget  # noqa: E402
from engine.procedures.packages import read_package  # noqa: E402
from engine.procedures.sandbox import MotcuaScriptEngine, _check_timer, compile_expression, compile_script  # noqa: E402
from engine.procedures.specs import compile_package  # noqa: E402

DATA = Path(__file__).parent / "data"
FAST = ScriptLimits(timeout=0.5, memory_bytes=64 * 1024 ** 2)

# (script, the reason it must fail with); each would hang or exhaust a worker without the bounds
OVER_A_BOUND = [
    # big powers and integers
    ("x = pow(3, 10 ** 9)", "size-limit"),
    ("x = 3 ** 10 ** 9", "size-limit"),
    ("x = pow(10 ** 1000, 10 ** 1000, 10 ** 1300)", "size-limit"),
    ("x = 7\nfor i in range(40):\n    x = x * x", "size-limit"),
    ("x = 1 << 100000", "size-limit"),
    ("x = int('1' * 5000, 2)", "size-limit"),
    ("x = int(Decimal('1e999999'))", "size-limit"),  # 27 s in C without the guard
    ("x = round(Decimal('1e999999'))", "size-limit"),
    ("x = floor(Decimal('-1e999999'))", "size-limit"),
    ("x = Decimal('1e999999').as_integer_ratio()", "size-limit"),
    ("x = Decimal.as_integer_ratio(Decimal('1e999999'))", "size-limit"),
    ("x = round(5, -10 ** 9)", "size-limit"),
    ("x = '%d' % Decimal('1e999999')", "size-limit"),
    # padding and expanding string methods, sequences
    ("x = 'a'.ljust(10 ** 9)", "size-limit"),
    ("x = 'a'.rjust(10 ** 9, '*')", "size-limit"),
    ("x = 'a'.center(10 ** 9)", "size-limit"),
    ("x = '7'.zfill(10 ** 9)", "size-limit"),
    ("x = ('\\t' * 1000).expandtabs(10 ** 6)", "size-limit"),
    ("x = ('a' * 100000).replace('a', 'bb' * 50000)", "size-limit"),
    ("x = 'abc'.translate({97: 'x' * 10 ** 6})", "size-limit"),
    ("x = b'a'.ljust(10 ** 9)", "size-limit"),
    ("x = (1).to_bytes(10 ** 9, 'big')", "size-limit"),
    ("x = True.to_bytes(10 ** 9, 'big')", "size-limit"),
    ("x = 'a' * 10 ** 9", "size-limit"),
    ("x = 'ab'\nfor i in range(40):\n    x = x + x", "size-limit"),
    ("x = 'ab'\nfor i in range(40):\n    x += x", "size-limit"),
    ("x = [1]\nfor i in range(40):\n    x = [*x, *x]", "size-limit"),
    ("x = [1]\nfor i in range(40):\n    x.extend(x)", "size-limit"),
    ("x = f'{1:>1000000000}'", "size-limit"),
    ("x = f'{1.5:.1000000f}'", "size-limit"),
    ("x = f'{Decimal(\"1e999999\"):f}'", "size-limit"),
    ("x = '%1000000000d' % 1", "size-limit"),
    ("x = '%*d' % (10 ** 9, 1)", "forbidden"),
    ("s = 'a' * 600000\nx = f'{s}{s}'", "size-limit"),
    # join over repeated lists
    ("x = ','.join(['a' * 100000] * 1000)", "size-limit"),
    ("x = ''.join(['ab'] * 10 ** 6)", "size-limit"),
    ("p = ['x' * 1000] * 1000\nx = '-'.join(p)", "size-limit"),
    ("x = sum([[1]] * 1000, [])", "forbidden"),
    # nested ranges and loops: one budget for all the loops of a step
    ("x = [i for i in range(10 ** 9)]", "size-limit"),
    ("for i in range(100000):\n    for j in range(100000):\n        k = j", "step-limit|time-limit"),
    ("x = [[j for j in range(1000)] for i in range(1000)]\ny = [[j for j in range(1000)] for i in range(1000)]",
     "step-limit|time-limit"),
    ("a = list(range(100000))\nfor i in range(100000):\n    b = sorted(a)", "time-limit"),
    ("x = [[0] * 100000 for i in range(5000)]", "memory-limit|time-limit"),
    # recursion
    ("def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(60)", "depth-limit"),
    ("def f(n):\n    return f(n + 1)\nx = f(0)", "depth-limit"),
    ("f = lambda n: f(n + 1)\nx = f(0)", "depth-limit"),
    ("def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nx = f(25)", "step-limit|time-limit"),
    ("def a(n):\n    return b(n + 1)\ndef b(n):\n    return a(n + 1)\nx = a(0)", "depth-limit"),
    # values built by sharing: small in memory, exponential to walk in C (hash, ==, repr, sort, keys)
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nx = hash(t)", "size-limit"),
    ("t, u = (1,), (1,)\nfor i in range(60):\n    t, u = (t, t), (u, u)\nx = t == u", "size-limit"),
    ("t = [1]\nfor i in range(60):\n    t = [t, t]\nx = str(t)", "size-limit"),
    ("t = [1]\nfor i in range(60):\n    t = [t, t]\nx = f'{t!r}'", "size-limit"),
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nx = {t: 1}", "size-limit"),
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nd = {}\nd[t] = 1", "size-limit"),
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nx = set([t, t])", "size-limit"),
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nx = sorted([1, 2], key=lambda v: t)", "size-limit"),
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nx = [t].count(t)", "size-limit"),
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nx = [1, 2]\nx.sort(key=lambda v: t)", "size-limit"),
    ("t = (1,)\nfor i in range(60):\n    t = (t, t)\nx = '%s' % (t,)", "size-limit"),
    # a violation cannot be caught
    ("try:\n    for i in range(10 ** 6):\n        for j in range(10 ** 6):\n            k = j\nexcept:\n    x = 1\n"
     "for i in range(10):\n    y = i", "step-limit|time-limit"),
    ("try:\n    x = 'a' * 10 ** 9\nexcept Exception:\n    x = 'caught'", "size-limit"),
    ("B = ValueError.mro()[-2]\ntry:\n    x = 'a' * 10 ** 9\nexcept B:\n    x = 'caught'", "forbidden"),
    # what stays in task data must be storable
    ("x = 2 ** 64", "unstorable"),
    ("x = -(2 ** 63) - 1", "unstorable"),
    ("x = [1, [2, 10 ** 30]]", "unstorable"),
    ("x = []\nfor i in range(100):\n    x = [x]", "unstorable"),
    ("x = {'a': {}}\nfor i in range(40):\n    x = {'a': x}", "unstorable"),
    ("x = [0] * 200000", "unstorable"),
    ("x = float('nan')", "unstorable"),
    ("x = {(1, 2): 3}", "unstorable"),
    ("x = range(5)", "unstorable"),
    ("x = (i for i in range(3))", "unstorable"),
    ("x = [len]", "unstorable"),
    ("x = {'f': lambda: 1}", "unstorable"),
    ("x = [date]", "unstorable"),
    ("x = map(str, [1])", "unstorable"),
    ("y = [1]\ny.append(ValueError('x'))", "unstorable"),
]


@pytest.mark.parametrize(("source", "reason"), OVER_A_BOUND)
def test_hostile_script_goes_over_a_bound_cleanly(source: str, reason: str) -> None:
    context: dict[str, object] = {"y": 1} if "y.append" not in source else {"y": [1]}
    before = dict(context)
    started = perf_counter()
    with pytest.raises(SandboxViolation) as caught:
        SandboxEnvironment(FAST).execute(source, context)
    assert caught.value.reason in reason.split("|"), caught.value.message  # which comes first: machine speed
    assert perf_counter() - started < FAST.timeout + 0.5
    if "y.append" not in source:
        assert context == before


def test_the_step_shares_one_budget_and_stays_tripped() -> None:
    slow = ScriptLimits(timeout=30)  # the step count is what this is about, not the machine's speed
    env = SandboxEnvironment(slow)
    with step_budget(slow) as budget:
        env.execute("for i in range(600000):\n    k = i", {})
        with pytest.raises(SandboxViolation):  # the two loops together go over MAX_STEPS
            env.execute("for i in range(600000):\n    k = i", {})
        assert budget.steps < 0
        with pytest.raises(SandboxViolation):  # tripped: the step is over, even for a trivial condition
            env.evaluate("1 == 1", {})
    assert MAX_STEPS == 1_000_000
    assert env.evaluate("1 == 1", {}) is True  # a new step, a new budget


@pytest.mark.parametrize("source", [
    "x = " + "(" * 300 + "1" + ")" * 300,
    "x = " + "-" * 100_000 + "1",
    "x = " + "+".join(["1"] * 5000),
    "x = " + "[" * 150 + "]" * 150,
    "x = " + "not " * 50_000 + "y",
    "x = 1\n" * 20_000,
    "f = " + "lambda: " * 200 + "1",
    "x = 'a'\n" + "if x:\n" + "".join("    " * i + "if x:\n" for i in range(1, 120)) + "    " * 120 + "y = 1",
])
def test_deep_or_huge_source_is_refused_without_recursion_error(source: str) -> None:
    for compile_ in (compile_script, compile_expression):
        with pytest.raises(ScriptRejected):
            compile_(source if compile_ is compile_script else source.split("=", 1)[-1])


def test_hostile_package_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "kiem-thu-vong-lap"
    folder.mkdir()
    source = DATA / "hostile" / "v1" / "kiem-thu-vong-lap"
    (folder / "procedure.toml").write_bytes((source / "procedure.toml").read_bytes())
    deep = "x = " + "-" * 100_000 + "1"
    (folder / "process.bpmn").write_text((source / "process.bpmn").read_text().replace(
        "ket_qua = so * 2", deep), encoding="utf-8")
    with pytest.raises(InvalidPackage) as caught:
        compile_package(read_package(folder, DATA / "forms"))
    assert [(p.code, p.element) for p in caught.value.problems] == [("script-rejected", "Script_Tinh")]


def test_ordinary_code_keeps_working_under_the_guards() -> None:
    env = SandboxEnvironment(FAST)
    context: dict[str, object] = {"ds": [{"ten": "B", "tien": 20}, {"ten": "A", "tien": 10}], "d": {"k": 1},
                                  "so_tien": Decimal("1234.5")}
    env.execute(
        "tong = sum(x['tien'] for x in ds)\n"
        "ten = ', '.join(sorted(x['ten'] for x in ds))\n"
        "dau = min(ds, key=lambda x: x['tien'])['ten']\n"
        "nhat = max([x['tien'] for x in ds], default=0)\n"
        "co = 'k' in d and (1, 2) in {(1, 2), (3, 4)} and 'B' in [x['ten'] for x in ds]\n"
        "nhan = f'{tong:>6}|{so_tien:.2f}|{ten!r}|{10000:,}'\n"
        "pt = '%05d-%s' % (tong, ten)\n"
        "ma = 'GP'.ljust(4, '0') + '7'.zfill(3) + 'a-b'.replace('-', '--')\n"
        "try:\n    loi = 1 / 0\nexcept (ZeroDivisionError, ValueError):\n    loi = 'chia 0'\n"
        "def giai_thua(n):\n    return 1 if n <= 1 else n * giai_thua(n - 1)\n"
        "gt = giai_thua(20)\n"
        "tap = sorted(set([3, 1, 3]))\n"
        "xep = [3, 1, 2]\nxep.sort(key=lambda v: -v)\n"
        "bang = dict(zip(['a', 'b'], [1, 2]))\n"
        "so = int('42') + round(2.5) + floor(Decimal('2.7')) + 2 ** 10 + (1 << 4)\n"
        "del giai_thua\n", context)
    assert context["tong"] == 30 and context["ten"] == "A, B" and context["dau"] == "A" and context["nhat"] == 20
    assert context["co"] is True
    assert context["nhan"] == "    30|1234.50|'A, B'|10,000"
    assert context["pt"] == "00030-A, B" and context["ma"] == "GP00007a--b" and context["loi"] == "chia 0"
    assert context["gt"] == 2432902008176640000 and context["tap"] == [1, 3] and context["bang"] == {"a": 1, "b": 2}
    assert context["xep"] == [3, 2, 1]
    assert context["so"] == 42 + 2 + 2 + 1024 + 16


def test_a_diagram_that_loops_by_itself_is_bounded() -> None:
    compiled = compile_package(read_package(DATA / "hostile" / "v1" / "kiem-thu-lap-so-do", DATA / "forms"))
    workflow = new_workflow(compiled, {}, MotcuaScriptEngine(ScriptLimits(timeout=0.3)))
    started = perf_counter()
    with pytest.raises(ProcessError) as caught:
        advance(workflow)
    assert perf_counter() - started < 1.0
    assert caught.value.reason in ("time-limit", "step-limit")
    assert caught.value.element in ("Script_Dem", "Gateway_Lap")


def test_decision_tables_run_through_the_sandbox_and_are_bounded() -> None:
    compiled = compile_package(read_package(DATA / "hostile" / "v1" / "kiem-thu-dmn", DATA / "forms"))
    workflow = new_workflow(compiled, {"so": 5})
    advance(workflow)
    assert [t.data["phi"] for t in workflow.get_tasks() if t.task_spec.name == "Task_Xem"] == [5000]
    workflow = new_workflow(compiled, {"so": -1})  # this rule's output pads a text to 10**9 characters
    with pytest.raises(ProcessError) as caught:
        advance(workflow)
    assert (caught.value.element, caught.value.reason) == ("Rule_TinhPhi", "size-limit")


@pytest.mark.parametrize(("cell", "what"), [
    ("&gt; &gt; 5", "syntax"),
    ("__import__('os').system('id')", "hostile"),
    ("[" * 120 + "]" * 120, "deep"),
    ("? " + "or ? " * 25 + "== 1", "too many marks"),
    ("x" * 5000, "too long"),
])
def test_decision_table_cells_are_checked_at_upload(tmp_path: Path, cell: str, what: str) -> None:
    folder = tmp_path / "kiem-thu-dmn"
    source = DATA / "hostile" / "v1" / "kiem-thu-dmn"
    folder.mkdir()
    for name in ("procedure.toml", "process.bpmn"):
        (folder / name).write_bytes((source / name).read_bytes())
    (folder / "fee.dmn").write_text((source / "fee.dmn").read_text().replace("&gt;= 0", cell, 1), encoding="utf-8")
    with pytest.raises(InvalidPackage) as caught:
        compile_package(read_package(folder, DATA / "forms"))
    problems = [(p.code, p.element) for p in caught.value.problems]
    assert problems == [("dmn-rejected", "Rule_TinhPhi")], (what, caught.value.problems)
    assert "Rule_Duong" in caught.value.problems[0].message


@pytest.mark.parametrize(("value", "fine"), [("PT1H", True), ("P2D", True), ("R3/PT1H", True), ("P999999999M", False),
                                             ("P200Y", False), ("R5/P99999Y", False), ("PXYZ", False), (42, False)])
def test_timer_durations_are_bounded_before_spiffworkflow_walks_their_months(value: object, fine: bool) -> None:
    from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
        CycleTimerEventDefinition,
        DurationTimerEventDefinition,
    )

    event = (CycleTimerEventDefinition if str(value).startswith("R") else DurationTimerEventDefinition)("t", "x")
    if fine:
        _check_timer(event, value)
    else:
        with pytest.raises(SandboxViolation):
            _check_timer(event, value)
