"""A procedure's metadata file (procedure.toml): what the law says about it, checked on load."""

from __future__ import annotations

import tomllib
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from engine.errors import Problem
from engine.time.working_time import MAX_BUDGET_HOURS

LEVELS = ("province", "commune")
TIME_UNITS = ("working_days", "working_hours")
CODE_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
# A BPMN id is an XML NCName; SpiffWorkflow looks the process up by it in XPath, where a quote is syntax.
PROCESS_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$"
MAX_DEPTH = 16  # procedure.toml nests three levels; deeper is no procedure (and recursion for the parser)
# Bounds that keep every submission computable and storable: the legal time in working days or hours (dates
# past year 9999 do not exist), the fee in VND (a dossier keeps it in an `integer` column).
MAX_LEGAL_TIME = 10_000
INT32_MAX = 2**31 - 1


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class Names(_Strict):
    vi = fields.String(required=True, validate=validate.Length(min=1, max=500))
    en = fields.String(required=True, validate=validate.Length(min=1, max=500))


class LegalTime(_Strict):
    value = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=MAX_LEGAL_TIME))
    unit = fields.String(required=True, validate=validate.OneOf(TIME_UNITS))
    source = fields.String(required=True, validate=validate.Length(min=1))
    # Received after this local hour, a dossier counts from the next working day ("HH:MM").
    cutoff = fields.String(load_default=None, allow_none=True,
                           validate=validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))


class Fee(_Strict):
    amount = fields.Integer(required=True, validate=validate.Range(min=0, max=INT32_MAX))
    currency = fields.String(load_default="VND")
    note = fields.String(load_default="")


class Document(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    name = fields.String(required=True, validate=validate.Length(min=1))
    copies = fields.Integer(load_default=1, validate=validate.Range(min=1))
    original = fields.Boolean(load_default=False)
    required = fields.Boolean(load_default=True)
    note = fields.String(load_default="")


class Result(_Strict):
    name = fields.String(required=True)


class LegalSource(_Strict):
    documents = fields.List(fields.String(), required=True, validate=validate.Length(min=1))


class StepEscalation(_Strict):
    warn_remaining = fields.Float(validate=validate.Range(min=0, max=1))
    warn_before_hours = fields.Float(allow_none=True, validate=validate.Range(min=0, max=MAX_BUDGET_HOURS))
    escalate_at_due = fields.Boolean()
    reescalate_after_hours = fields.Float(validate=validate.Range(min=0, max=MAX_BUDGET_HOURS))


class Escalation(_Strict):
    """When to warn and escalate (data a reform officer edits); a step may override the first three."""

    warn_remaining = fields.Float(load_default=0.25, validate=validate.Range(min=0, max=1))
    # instead of a share: warn this many working hours before the due time (8 = one working day)
    warn_before_hours = fields.Float(load_default=None, allow_none=True,
                                     validate=validate.Range(min=0, max=MAX_BUDGET_HOURS))
    escalate_at_due = fields.Boolean(load_default=True)
    reescalate_after_hours = fields.Float(load_default=8.0, validate=validate.Range(min=0, max=MAX_BUDGET_HOURS))
    apology_before_days = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=10))
    apology_extension_days = fields.Integer(load_default=2, validate=validate.Range(min=1, max=60))
    steps = fields.Dict(keys=fields.String(), values=fields.Nested(StepEscalation), load_default=dict)


class Metadata(_Strict):
    # `validate` names the package check in the API's paths (/procedures/validate)
    code = fields.String(required=True, validate=[validate.Regexp(CODE_PATTERN), validate.NoneOf(["validate"])])
    bpmn = fields.String(required=True)
    dmn = fields.List(fields.String(), load_default=list)
    process_id = fields.String(required=True, validate=validate.Regexp(
        PROCESS_ID_PATTERN, error="must be the BPMN process's id (letters, digits, _ . -; no quotes or spaces)"))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    name = fields.Nested(Names, required=True)
    authority = fields.Nested(Names, required=True)
    legal_time = fields.Nested(LegalTime, required=True)
    fee = fields.Nested(Fee, load_default=lambda: {"amount": 0, "currency": "VND", "note": ""})
    documents = fields.List(fields.Nested(Document), required=True)
    result = fields.Nested(Result, required=True)
    legal_source = fields.Nested(LegalSource, required=True)
    escalation = fields.Nested(Escalation, load_default=lambda: Escalation().load({}))


METADATA_FILE = "procedure.toml"


def parse_metadata(content: bytes) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return None, [Problem("metadata-syntax", f"{METADATA_FILE}: {exc}", file=METADATA_FILE)]
    except RecursionError:  # tomllib recurses per nested array or table
        raw = None
    if raw is None or _depth(raw) > MAX_DEPTH:
        return None, [Problem("metadata-syntax", f"{METADATA_FILE}: arrays or tables are nested more than "
                              f"{MAX_DEPTH} deep", file=METADATA_FILE)]
    try:
        meta = Metadata().load(raw)
    except ValidationError as err:
        return None, [Problem("metadata-invalid", f"{METADATA_FILE}: {path}: {msg}", file=METADATA_FILE,
                              field=path) for path, msg in _flatten(err.messages)]
    codes = [d["code"] for d in meta["documents"]]
    if len(codes) != len(set(codes)):
        return None, [Problem("metadata-invalid", f"{METADATA_FILE}: document codes must be unique",
                              file=METADATA_FILE, field="documents")]
    return meta, []


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out: list[tuple[str, str]] = []
        for key, value in messages.items():
            out.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(messages, list):
        return [(prefix, "; ".join(str(m) for m in messages))]
    return [(prefix, str(messages))]


def _depth(value: Any) -> int:
    """How deeply lists and tables nest, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH:
            stack.extend((child, depth + 1) for child in children)
    return deepest
