"""Element templates: the common one-stop steps (receive, appraise, approve and sign, return the result,
transfer to another unit) kept as data in `element_templates.json`, offered by the designer's modeler.

Each sets what the engine reads from a user task: its lane (the role), `timeBudget`, `formKey` and the
instructions, as `processes/*/process.bpmn` write them. The budgets are checked here against the engine's
own parser so a template can never offer a budget the engine refuses.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from engine.time.working_time import parse_budget

SOURCE = Path(__file__).with_name("element_templates.json")


@cache
def _raw() -> tuple[dict[str, Any], ...]:
    templates = json.loads(SOURCE.read_text(encoding="utf-8"))["templates"]
    for template in templates:
        parse_budget(template["timeBudget"])  # a broken data file fails loudly, at first use
    return tuple(templates)


def element_templates(lang: str) -> list[dict[str, str]]:
    """The templates with their texts in one language (vi, or en)."""
    pick = "en" if lang == "en" else "vi"
    return [{"id": t["id"], "type": t["type"], "role": t["role"], "timeBudget": t["timeBudget"], "form": t["form"],
             "label": t["label"][pick], "name": t["name"][pick], "instructions": t["instructions"][pick]}
            for t in _raw()]


def form_for(template: dict[str, str], forms: list[str]) -> str:
    """The package's form a template points at: named exactly `form`, or ending in '-' + form."""
    suffix = template["form"]
    return next((f for f in sorted(forms) if f == suffix or f.endswith("-" + suffix)), "")
