"""The national procedure catalogue: records in the national database's format (LayThuTuc: MATTHC, TENTTHC,
CACHTHUCTHUCHIEN per channel, THANHPHANHOSO, ...) become procedure drafts. The record -> legal facts mapping is
data (config/catalogue/mapping.toml); the diagram and forms come from the one-stop template (creation.py).

A record of a procedure Motcua has (same national code) makes a new draft of it only when its legal facts
changed: the facts are written over the current version, its diagram and forms kept, and the draft is one click
from the diff against the published version. An open draft is never overwritten: someone's unpublished work."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.config import PROJECT_ROOT
from engine.people.actors import Actor
from engine.procedures.metadata import METADATA_FILE, parse_metadata
from engine.procedures.models import Procedure, ProcedureVersion
from engine.procedures.packages import ProcedurePackage
from engine.store.uow import UnitOfWork

from .catalogue_records import RecordRefused, facts_from_record
from .creation import from_template, load_template, store_new, undo
from .drafts import open_draft, package_of, require_reformer, save_draft
from .legal_facts import FACT_KEYS, with_facts

CATALOGUE_DIR = PROJECT_ROOT / "config" / "catalogue"
MAPPING_FILE = CATALOGUE_DIR / "mapping.toml"
MAX_RECORDS = 2000  # a province's whole catalogue is a few thousand; one import is a few hundred at most
MAX_CATALOGUE_BYTES = 5 * 1024 * 1024  # about 2,000 records
IMPORT_NOTE = "Nhập từ Cơ sở dữ liệu quốc gia về thủ tục hành chính (mã {national_code})"


def load_mapping(path: Path = MAPPING_FILE) -> dict[str, Any]:
    return tomllib.loads(path.read_text("utf-8"))


@dataclass
class Outcome:
    """What became of one record: created | new_draft | unchanged | draft_open | refused."""

    national_code: str
    status: str
    code: str | None = None
    name: str = ""
    version: int | None = None
    diff_from: int | None = None  # the published version the new draft is compared with
    reason_vi: str = ""
    reason_en: str = ""
    to_check: list[str] = field(default_factory=list)  # the record's MOTCUA_CANKIEMTRA: facts written from memory

    def as_dict(self) -> dict[str, Any]:
        return {"national_code": self.national_code, "status": self.status, "code": self.code, "name": self.name,
                "version": self.version, "diff_from": self.diff_from, "reason_vi": self.reason_vi,
                "reason_en": self.reason_en, "to_check": self.to_check}


def motcua_code(national_code: str, mapping: dict[str, Any]) -> str:
    return mapping["code_prefix"] + national_code.replace(".", "-")


def known_national_codes(uow: UnitOfWork) -> dict[str, str]:
    """national code -> Motcua code, from each procedure's newest version (a draft may have set it)."""
    out: dict[str, str] = {}
    for code in uow.session.scalars(select(Procedure.code)):
        newest = uow.session.scalars(select(ProcedureVersion.meta).where(ProcedureVersion.procedure_code == code)
                                     .order_by(ProcedureVersion.number.desc()).limit(1)).first()
        if newest and newest.get("national_code"):
            out.setdefault(newest["national_code"], code)
    return out


def package_for(facts: dict[str, Any], code: str) -> ProcedurePackage:
    """A new procedure's package: the template's diagram and forms, procedure.toml holding the record's facts,
    and the submission form listing the documents to bring."""
    template = load_template()
    spec = {"code": code, "name_vi": facts["name"]["vi"], "name_en": facts["name"]["en"], "level": facts["level"],
            "authority_vi": facts["authority"]["vi"], "authority_en": facts["authority"]["en"],
            "legal_time": facts["legal_time"]["value"], "legal_unit": facts["legal_time"]["unit"],
            "legal_source": facts["legal_time"]["source"], "shares": {}}
    package = from_template(spec, template)
    toml_text = package.files[METADATA_FILE].decode("utf-8")
    files = {**package.files, METADATA_FILE: with_facts(toml_text, facts)}
    forms = dict(package.forms)
    submit = f"{code}-{template.forms['submit']}"
    forms[submit] = with_documents(forms[submit], facts["documents"])
    return ProcedurePackage(code, files, forms)


def with_documents(form: dict[str, Any], documents: list[dict[str, Any]]) -> dict[str, Any]:
    """The submission form started from the documents list: a text naming what to bring (a designer adds the
    declaration's own fields in the form editor)."""
    if not documents:
        return form
    lines = "\n".join(f"- {d['name']}" + ("" if d["required"] else " (nếu thuộc trường hợp)") for d in documents)
    text = {"type": "text", "id": "Text_thanh_phan_ho_so", "text": f"### Thành phần hồ sơ\n{lines}"}
    return {**form, "components": [*form["components"], text]}


def keep_translations(facts: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """The record has no English: a procedure Motcua has keeps the English names its designer wrote."""
    return {**facts, "name": {**facts["name"], "en": meta["name"]["en"]},
            "authority": {**facts["authority"], "en": meta["authority"]["en"]}}


def _same_facts(toml_text: str, facts: dict[str, Any]) -> bool:
    before, _ = parse_metadata(toml_text.encode("utf-8"))
    after, _ = parse_metadata(with_facts(toml_text, facts))
    return before is not None and after is not None and all(before.get(k) == after.get(k) for k in FACT_KEYS)


def import_record(uow: UnitOfWork, actor: Actor, record: Any, mapping: dict[str, Any], known: dict[str, str]
                  ) -> Outcome:
    """One record, in its own transaction (save_draft commits): a refusal leaves nothing of it behind."""
    national = str(record.get("MATTHC") or "") if isinstance(record, dict) else ""
    try:
        facts = facts_from_record(record, mapping)
    except RecordRefused as exc:
        return Outcome(national, "refused", reason_vi=exc.vi, reason_en=exc.en)
    name = facts["name"]["vi"]
    marked = record.get("MOTCUA_CANKIEMTRA")
    to_check = [str(x)[:50] for x in marked][:50] if isinstance(marked, list) else []
    note = IMPORT_NOTE.format(national_code=national) + (f"; cần kiểm tra: {', '.join(to_check)}" if to_check else "")
    code = known.get(national)
    if code is None:
        code = motcua_code(national, mapping)
        if uow.session.get(Procedure, code) is not None:  # the code is taken by a procedure of another number
            return Outcome(national, "refused", code, name, reason_vi=f"Mã thủ tục {code} đã được dùng cho thủ tục "
                           "khác.", reason_en=f"The code {code} is taken by another procedure.")
        try:
            version, _findings = store_new(uow, actor, package_for(facts, code), "catalogue_imported",
                                           {"national_code": national, "new": True}, note)
        except Exception:
            undo(uow)
            raise
        known[national] = code
        return Outcome(national, "created", code, name, version.number, to_check=to_check)
    newest = uow.session.scalars(select(ProcedureVersion).where(ProcedureVersion.procedure_code == code)
                                 .order_by(ProcedureVersion.number.desc()).limit(1)).one()
    facts = keep_translations(facts, newest.meta)
    if _same_facts(newest.files[METADATA_FILE], facts):
        return Outcome(national, "unchanged", code, name, newest.number, to_check=to_check)
    draft = open_draft(uow, code)
    if draft is not None:
        return Outcome(national, "draft_open", code, name, draft.number,
                       reason_vi=f"Thủ tục {code} đang có bản nháp {draft.number} chưa công bố: không ghi đè. Công bố "
                       "hoặc xóa bản nháp rồi nhập lại.",
                       reason_en=f"Procedure {code} has draft {draft.number} open: not overwritten. Publish it first, "
                       "then import again.", to_check=to_check)
    base = package_of(newest)
    package = ProcedurePackage(code, {**base.files, METADATA_FILE: with_facts(newest.files[METADATA_FILE], facts)},
                               base.forms)
    uow.record(actor, "catalogue_imported", "procedure", code, before={"version": newest.number},
               detail={"national_code": national, "new": False})
    try:
        version, _findings = save_draft(uow, actor, package, note)
    except Exception:
        undo(uow)
        raise
    return Outcome(national, "new_draft", code, name, version.number, diff_from=newest.number, to_check=to_check)


def import_records(uow: UnitOfWork, actor: Actor, records: Any, codes: list[str] | None = None,
                   mapping: dict[str, Any] | None = None) -> list[Outcome]:
    """Every record (or those whose MATTHC is in `codes`) imported; the whole run audited once more with its
    counts, so the audit says who imported what, even when nothing changed."""
    require_reformer(actor)
    if not isinstance(records, list):
        raise RecordsInvalid("Tệp danh mục phải là một danh sách (JSON) các thủ tục.",
                             "The catalogue must be a JSON list of procedure records.")
    if len(records) > MAX_RECORDS:
        raise RecordsInvalid(f"Mỗi lần nhập tối đa {MAX_RECORDS} thủ tục.", f"At most {MAX_RECORDS} records at once.")
    mapping = mapping or load_mapping()
    wanted = set(codes or [])
    known = known_national_codes(uow)
    outcomes = [import_record(uow, actor, record, mapping, known) for record in records
                if not wanted or (isinstance(record, dict) and str(record.get("MATTHC")) in wanted)]
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    uow.record(actor, "catalogue_import", "catalogue", "national", detail={"counts": counts})
    uow.commit()
    return outcomes


class RecordsInvalid(ValueError):
    """The input as a whole is no catalogue (not a list, too many records)."""

    def __init__(self, vi: str, en: str) -> None:
        super().__init__(en)
        self.vi, self.en = vi, en

