"""A procedure's result template (procedure.toml `[result] template = "result.html"`), checked when the package
is loaded: the file is in the package, small, and parses in Jinja's sandbox. A bad template is a package problem,
reported like a bad diagram, not a failure on the day a result is issued."""

from __future__ import annotations

from typing import Any

from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment

from engine.errors import Problem

MAX_TEMPLATE_BYTES = 256 * 1024
METADATA_FILE = "procedure.toml"


def check_result_template(files: dict[str, bytes], meta: dict[str, Any]) -> list[Problem]:
    name = (meta.get("result") or {}).get("template")
    if not name:
        return []
    content = files.get(name)
    if content is None:
        return [Problem("result-template-missing", f"[result] template names '{name}', which is not in the package",
                        file=METADATA_FILE, field="result.template")]
    if len(content) > MAX_TEMPLATE_BYTES:
        return [Problem("result-template-too-large", f"{name} is larger than 256 KB", file=name)]
    try:
        SandboxedEnvironment(autoescape=True).parse(content.decode("utf-8"))
    except UnicodeDecodeError:
        return [Problem("result-template-invalid", f"{name} is not UTF-8 text", file=name)]
    except TemplateSyntaxError as exc:
        return [Problem("result-template-invalid", f"{name}, line {exc.lineno}: {exc.message}", file=name)]
    return []
