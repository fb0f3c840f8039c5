"""A new procedure from nothing: from a template kept as data (config/templates/procedures/<name>/: a BPMN with
placeholders, form-js forms, the steps' default shares of the legal time), or from a BPMN file made in another
modeler. The result is a Procedure row and its first draft, stored through `save_draft`, audited."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Any
from xml.sax.saxutils import escape

import orjson
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy.exc import IntegrityError

from engine.config import PROJECT_ROOT
from engine.errors import Conflict, InvalidPackage, Problem, ValidationFailed
from engine.people.actors import Actor
from engine.procedures.archive import read_archive
from engine.procedures.catalog import version_with_content
from engine.procedures.metadata import (
    CODE_PATTERN,
    LEVELS,
    MAX_LEGAL_TIME,
    METADATA_FILE,
    TIME_UNITS,
    parse_metadata,
)
from engine.procedures.models import Procedure, ProcedureVersion
from engine.procedures.packages import FORM_NAME_RE, ProcedurePackage, form_names
from engine.procedures.toml_writer import dumps
from engine.procedures.xmlsafe import parse_xml
from engine.store.uow import UnitOfWork

from .drafts import open_draft, require_reformer, save_draft
from .validation import Finding

TEMPLATES_DIR = PROJECT_ROOT / "config" / "templates" / "procedures"
DEFAULT_TEMPLATE = "mot-cua"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_BPMN_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class TemplateStep:
    key: str
    role: str
    share: float
    name_vi: str
    name_en: str


@dataclass(frozen=True)
class ProcedureTemplate:
    name: str
    folder: Path
    title_vi: str
    title_en: str
    steps: list[TemplateStep]
    forms: dict[str, str]  # form key in the BPMN -> form file (without .form)
    blank_form: str
    defaults: dict[str, Any] = field(default_factory=dict)

    def form(self, name: str) -> dict[str, Any]:
        return orjson.loads((self.folder / "forms" / f"{name}.form").read_bytes())


def load_template(name: str = DEFAULT_TEMPLATE, root: Path = TEMPLATES_DIR) -> ProcedureTemplate:
    folder = root / name
    raw = tomllib.loads((folder / "template.toml").read_text("utf-8"))
    steps = [TemplateStep(s["key"], s["role"], float(s["share"]), s["name"]["vi"], s["name"]["en"])
             for s in raw["steps"]]
    return ProcedureTemplate(name, folder, raw["name"]["vi"], raw["name"]["en"], steps, dict(raw["forms"]),
                             raw["blank_form"], raw.get("defaults", {}))


def templates(root: Path = TEMPLATES_DIR) -> list[ProcedureTemplate]:
    return [load_template(p.name, root) for p in sorted(root.iterdir()) if (p / "template.toml").is_file()]


class NewProcedureIn(Schema):
    """What the creation form and POST /procedures take; the rest of the legal facts is edited afterwards."""

    code = fields.String(required=True, validate=[validate.Regexp(CODE_PATTERN),
                                                  validate.NoneOf(["validate", "import"])])
    name_vi = fields.String(required=True, validate=validate.Length(min=1, max=500))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=500))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    authority_vi = fields.String(required=True, validate=validate.Length(min=1, max=500))
    authority_en = fields.String(required=True, validate=validate.Length(min=1, max=500))
    legal_time = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=MAX_LEGAL_TIME))
    legal_unit = fields.String(load_default="working_days", validate=validate.OneOf(TIME_UNITS))
    legal_source = fields.String(load_default="", validate=validate.Length(max=2000))
    template = fields.String(load_default=DEFAULT_TEMPLATE, validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,62}$"))
    # each step's share of the legal time, by the template's step keys (0.1 = 10%); absent: the template's
    shares = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(min=0, max=1)),
                         load_default=dict)
    bpmn = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=MAX_BPMN_BYTES),
                         metadata={"description": "a BPMN diagram made elsewhere, instead of the template's"})
    note = fields.String(load_default="", validate=validate.Length(max=2000))

    @validates_schema
    def _shares(self, data: dict[str, Any], **_: Any) -> None:
        if sum(data.get("shares", {}).values()) > 1 + 1e-9:
            raise ValidationError("The shares add up to more than 100%.", "shares")


def budgets(template: ProcedureTemplate, legal_value: float, legal_unit: str,
            shares: dict[str, float] | None = None, day_hours: int = 8) -> dict[str, str]:
    """Each step's time budget (ISO 8601 working time), its share of the legal time, rounded down to minutes
    so that the steps together never exceed the legal time."""
    total_minutes = legal_value * (day_hours if legal_unit == "working_days" else 1) * 60
    out: dict[str, str] = {}
    for step in template.steps:
        share = (shares or {}).get(step.key, step.share)
        minutes = max(1, math.floor(total_minutes * share + 1e-9))
        hours, rest = divmod(minutes, 60)
        out[step.key] = "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")
    return out


def process_id_for(code: str) -> str:
    return "p_" + re.sub(r"[^a-z0-9]", "_", code)


def metadata_for(spec: dict[str, Any], template: ProcedureTemplate, process_id: str) -> dict[str, Any]:
    defaults = template.defaults
    return {
        "code": spec["code"], "bpmn": "process.bpmn", "process_id": process_id, "level": spec["level"],
        "name": {"vi": spec["name_vi"], "en": spec["name_en"]},
        "authority": {"vi": spec["authority_vi"], "en": spec["authority_en"]},
        "legal_time": {"value": spec["legal_time"], "unit": spec["legal_unit"],
                       "source": spec["legal_source"] or "Chưa ghi căn cứ pháp lý"},
        "fee": {"amount": 0, "currency": "VND", "note": ""},
        "documents": [dict(d) for d in defaults.get("documents", [])],
        "result": {"name": defaults.get("result", spec["name_vi"])},
        "legal_source": {"documents": list(defaults.get("legal_source", [])) or ["Chưa ghi căn cứ pháp lý"]},
    }


def from_template(spec: dict[str, Any], template: ProcedureTemplate) -> ProcedurePackage:
    code = spec["code"]
    process_id = process_id_for(code)
    values = {"process_id": process_id, "name": escape(spec["name_vi"], {'"': "&quot;"})}
    for step, budget in budgets(template, spec["legal_time"], spec["legal_unit"], spec["shares"]).items():
        values[f"budget_{step}"] = budget
    for step in template.steps:
        values[f"name_{step.key}"] = escape(step.name_vi, {'"': "&quot;"})
    forms = {}
    for key, form in template.forms.items():
        values[f"form_{key}"] = f"{code}-{form}"
        forms[f"{code}-{form}"] = template.form(form)
    bpmn = Template((template.folder / "process.bpmn").read_text("utf-8")).substitute(values)
    meta = metadata_for(spec, template, process_id)
    return ProcedurePackage(code, {METADATA_FILE: dumps(meta).encode(), "process.bpmn": bpmn.encode()}, forms)


def from_bpmn(spec: dict[str, Any], template: ProcedureTemplate, content: bytes) -> ProcedurePackage:
    """A diagram from another modeler: its executable process (or its first) runs the procedure; each form it
    names starts as the template's blank form, for the designer to fill in the form editor."""
    root = parse_xml(content, "process.bpmn")
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if not processes:
        raise InvalidPackage([Problem("process-missing", "the file has no BPMN process", file="process.bpmn")])
    chosen = next((p for p in processes if p.get("isExecutable") == "true"), processes[0])
    meta = metadata_for(spec, template, chosen.get("id") or "")
    files = {METADATA_FILE: dumps(meta).encode(), "process.bpmn": content}
    forms = {name: template.form(template.blank_form) for name in sorted(form_names(files))
             if FORM_NAME_RE.fullmatch(name)}
    return ProcedurePackage(spec["code"], files, forms)


def create_procedure(uow: UnitOfWork, actor: Actor, body: dict[str, Any], bpmn: bytes | None = None
                     ) -> tuple[ProcedureVersion, list[Finding]]:
    """Validate the request, build the package, add the procedure and store its first draft (one transaction)."""
    require_reformer(actor)
    try:
        spec = NewProcedureIn().load(body)
    except ValidationError as err:
        raise ValidationFailed("the new procedure is not valid", err.messages) from None
    try:
        template = load_template(spec["template"])
    except FileNotFoundError:
        raise ValidationFailed("unknown template", {"template": ["No such template."]}) from None
    unknown = set(spec["shares"]) - {s.key for s in template.steps}
    if unknown:
        raise ValidationFailed("unknown steps", {"shares": [f"Unknown steps: {', '.join(sorted(unknown))}."]})
    if uow.session.get(Procedure, spec["code"]) is not None:
        raise Conflict(f"procedure '{spec['code']}' exists already", errors={"code": ["This code is taken."]})
    content = bpmn if bpmn is not None else spec["bpmn"].encode("utf-8") if spec["bpmn"] else None
    package = from_bpmn(spec, template, content) if content is not None else from_template(spec, template)
    return store_new(uow, actor, package, "procedure_created",
                     {"template": None if content is not None else template.name, "uploaded_bpmn": content is not None,
                      "shares": spec["shares"]}, spec["note"])


def import_archive(uow: UnitOfWork, actor: Actor, data: bytes, note: str = "", replace_draft: bool = False
                   ) -> tuple[ProcedureVersion, list[Finding], bool]:
    """A .zip as a new draft: of its procedure when Motcua has it, else of a new procedure (True). A draft being
    edited is not overwritten by an import unless asked (`replace_draft`): someone's unpublished work."""
    require_reformer(actor)
    package = read_archive(data)
    if uow.session.get(Procedure, package.code) is not None:
        draft = open_draft(uow, package.code)
        if draft is not None and not replace_draft and version_with_content(uow.session, package) is None:
            raise DraftOpen(f"procedure {package.code} has draft {draft.number} open: importing would replace it; "
                            "ask to replace it, or publish it first", version=draft.number)
        uow.record(actor, "procedure_imported", "procedure", package.code,
                   detail={"new": False, "replaced_draft": draft.number if draft is not None else None})
        try:
            version, findings = save_draft(uow, actor, package, note or "Nhập từ tệp .zip")
        except Exception:
            undo(uow)
            raise
        return version, findings, False
    version, findings = store_new(uow, actor, package, "procedure_imported", {"new": True}, note or "Nhập từ tệp .zip")
    return version, findings, True


class DraftOpen(Conflict):
    code = "draft-open"


def store_new(uow: UnitOfWork, actor: Actor, package: ProcedurePackage, action: str, detail: dict[str, Any],
              note: str) -> tuple[ProcedureVersion, list[Finding]]:
    """The procedure row, its audit entry and its first draft, committed together by `save_draft`."""
    meta, problems = parse_metadata(package.files[METADATA_FILE])
    if meta is None:
        raise InvalidPackage(problems)
    try:
        with uow.session.begin_nested():
            uow.session.add(Procedure(code=package.code, name_vi=meta["name"]["vi"], name_en=meta["name"]["en"]))
    except IntegrityError:  # created by another request a moment ago
        raise Conflict(f"procedure '{package.code}' exists already", errors={"code": ["This code is taken."]}) from None
    uow.record(actor, action, "procedure", package.code, after={"name": meta["name"]["vi"]}, detail=detail)
    try:
        return save_draft(uow, actor, package, note)
    except Exception:
        undo(uow)
        raise


def undo(uow: UnitOfWork) -> None:
    """Nothing of a refused change stays: neither the rows nor the audit entries waiting for the commit."""
    uow.session.rollback()
    uow.pending_audit = []
