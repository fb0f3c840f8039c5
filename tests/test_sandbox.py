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
