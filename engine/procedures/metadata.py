"""A procedure's metadata file (procedure.toml): what the law says about it, checked on load."""

from __future__ import annotations

import re
import tomllib
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from engine.errors import Problem
from engine.time.working_time import MAX_BUDGET_HOURS

from .sandbox import ScriptRejected, compile_expression

LEVELS = ("province", "commune")
TIME_UNITS = ("working_days", "working_hours")
# The submission channels (engine.dossiers.status.CHANNELS): the law may give each its own legal time and fee
# (the national record's CACHTHUCTHUCHIEN: KENH, THOIGIAN, PHILEPHI).
CHANNELS = ("counter", "online", "postal")
DOCUMENT_KINDS = ("original", "copy", "certified_copy")
CUTOFF_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
# The national procedure code (MATTHC), e.g. "1.001612"
NATIONAL_CODE_PATTERN = r"^[0-9]{1,3}(\.[0-9]{1,9}){1,3}$"
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
    cutoff = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(CUTOFF_PATTERN))


class Fee(_Strict):
    amount = fields.Integer(required=True, validate=validate.Range(min=0, max=INT32_MAX))
    currency = fields.String(load_default="VND")
    note = fields.String(load_default="")


class ChannelLegalTime(_Strict):
    """A channel's own legal time; what it leaves out is the procedure's [legal_time]."""

    value = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=MAX_LEGAL_TIME))
    unit = fields.String(required=True, validate=validate.OneOf(TIME_UNITS))
    cutoff = fields.String(allow_none=True, validate=validate.Regexp(CUTOFF_PATTERN))  # absent: the default's
    source = fields.String(validate=validate.Length(min=1))


class ChannelFee(_Strict):
    amount = fields.Integer(required=True, validate=validate.Range(min=0, max=INT32_MAX))
    note = fields.String(load_default="")


class ChannelTerms(_Strict):
    legal_time = fields.Nested(ChannelLegalTime)
    fee = fields.Nested(ChannelFee)


class Document(_Strict):
    code = fields.String(required=True, validate=validate.Regexp(CODE_PATTERN))
    name = fields.String(required=True, validate=validate.Length(min=1))
    copies = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100))
    original = fields.Boolean(load_default=False)
    # original, copy or certified copy; older files say only `original`, which decides when `kind` is absent
    kind = fields.String(load_default=None, validate=validate.OneOf(DOCUMENT_KINDS))
    required = fields.Boolean(load_default=True)
    condition = fields.String(load_default="", validate=validate.Length(max=2000))  # when it is not required
    form = fields.String(load_default="", validate=validate.Length(max=500))  # the blank form: a name or a URL
    note = fields.String(load_default="")

    @post_load
    def _kind(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        data["kind"] = data["kind"] or ("original" if data["original"] else "copy")
        data["original"] = data["kind"] == "original"
        return data


class ProcedureField(_Strict):
    """The field the procedure belongs to in the national catalogue (LINHVUCTHUCHIEN: MALINHVUC, TENLINHVUC)."""

    code = fields.String(load_default="", validate=validate.Length(max=100))
    name = fields.String(required=True, validate=validate.Length(min=1, max=500))


def _expression(source: str) -> None:
    """`approved_when`: a condition over the step's data, compiled by the sandbox's rules (engine/results runs it)."""
    try:
        compile_expression(source)
    except ScriptRejected as exc:
        raise ValidationError(f"not an allowed expression: {'; '.join(exc.errors)}") from None


class Result(_Strict):
    name = fields.String(required=True)
    # the leader's step that approves the result, and when its data says "approved" (engine/results)
    sign_step = fields.String(load_default=None, validate=validate.Regexp(PROCESS_ID_PATTERN))
    approved_when = fields.String(load_default=None, validate=[validate.Length(min=1, max=500), _expression])
    # the result document (engine/rendering/result.py): a Jinja template in the package, the symbol after the
    # number ("Số: 12/GCN-HKD"), the signer's title (lines split by "\n") and the issuing body, when not the unit
    template = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}\.html$"))
    number_symbol = fields.String(validate=validate.Length(max=40))
    signer_title = fields.String(validate=validate.Length(max=200))
    issuer = fields.String(validate=validate.Length(max=300))


class LegalDocumentRef(_Strict):
    number = fields.String(load_default="", validate=validate.Length(max=100))  # "168/2025/NĐ-CP"
    title = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class LegalDocument(fields.Field):
    """A legal source: a line of text (older files), or a table with the document's number and title."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                raise ValidationError("Must not be empty.")
            return value
        if isinstance(value, dict):
            return LegalDocumentRef().load(value)
        raise ValidationError("A text, or a table with number and title.")


class LegalSource(_Strict):
    documents = fields.List(LegalDocument(), required=True, validate=validate.Length(min=1))


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


class ArchiveTerms(_Strict):
    # how many years the dossier's archive package is kept once it ended (MOTCUA_ARCHIVE_RETENTION_YEARS if unsaid)
    retention_years = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100))


class Metadata(_Strict):
    # `validate` and `import` name routes beside the procedures' in the API's paths (/procedures/validate)
    code = fields.String(required=True, validate=[validate.Regexp(CODE_PATTERN),
                                                  validate.NoneOf(["validate", "import"])])
    bpmn = fields.String(required=True)
    dmn = fields.List(fields.String(), load_default=list)
    process_id = fields.String(required=True, validate=validate.Regexp(
        PROCESS_ID_PATTERN, error="must be the BPMN process's id (letters, digits, _ . -; no quotes or spaces)"))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    national_code = fields.String(load_default=None, validate=validate.Regexp(NATIONAL_CODE_PATTERN))
    name = fields.Nested(Names, required=True)
    field = fields.Nested(ProcedureField, load_default=None)  # optional: older files have none
    authority = fields.Nested(Names, required=True)
    legal_time = fields.Nested(LegalTime, required=True)
    fee = fields.Nested(Fee, load_default=lambda: {"amount": 0, "currency": "VND", "note": ""})
    # per channel, overriding legal_time and fee: [channels.online] legal_time = {...}, fee = {...}
    channels = fields.Dict(keys=fields.String(validate=validate.OneOf(CHANNELS)), values=fields.Nested(ChannelTerms),
                           load_default=dict)
    documents = fields.List(fields.Nested(Document), required=True)
    result = fields.Nested(Result, required=True)
    legal_source = fields.Nested(LegalSource, required=True)
    escalation = fields.Nested(Escalation, load_default=lambda: Escalation().load({}))
    archive = fields.Nested(ArchiveTerms, load_default=None)


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
                              field=path) for path, msg in ((_dict_path(p), m) for p, m in _flatten(err.messages))]
    codes = [d["code"] for d in meta["documents"]]
    if len(codes) != len(set(codes)):
        return None, [Problem("metadata-invalid", f"{METADATA_FILE}: document codes must be unique",
                              file=METADATA_FILE, field="documents")]
    return meta, []


def fee_for(meta: dict[str, Any], channel: str | None) -> int:
    """The fee charged for a dossier on this channel."""
    own = (meta.get("channels") or {}).get(channel or "", {}).get("fee")
    return int(own["amount"] if own else meta["fee"]["amount"])


def _dict_path(path: str) -> str:
    """marshmallow says a Dict entry's errors under `key` or `value`: `channels.online.value.fee` reads as
    `channels.online.fee`, as the file writes it."""
    return re.sub(r"^(channels|escalation\.steps)\.([^.]+)\.(?:value|key)(?=\.|$)", r"\1.\2", path)


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
