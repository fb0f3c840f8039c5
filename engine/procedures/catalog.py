"""Procedure versions: content-hashed into the database, and compiled once per process.

A dossier names its version; whatever happens to the files on disk later, it keeps running on that one.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import Conflict, InvalidPackage, NotFound, Problem
from engine.store.db import utcnow

from .forms import FormDefinition
from .metadata import METADATA_FILE, parse_metadata
from .models import Procedure, ProcedureVersion
from .packages import ProcedurePackage, read_package
from .serialization import dump_spec, load_spec
from .specs import CompiledProcedure, collect_steps, compile_package
from .xmlsafe import almost_bpmn


class SpecCache:
    """Compiled procedures by version id. Published versions never change, so their entries never go stale; a
    draft is edited in place (engine/reform/drafts.py), so its entry is kept beside the content hash it was
    compiled from and rebuilt when the row's hash differs (another process may have saved the draft)."""

    def __init__(self) -> None:
        self._by_version: dict[int, CompiledProcedure] = {}
        self._drafts: dict[int, CompiledProcedure] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, version_id: int) -> CompiledProcedure:
        compiled = self._by_version.get(version_id)
        if compiled is not None:
            return compiled
        row = session.get(ProcedureVersion, version_id)
        if row is None:
            raise NotFound(f"procedure version {version_id} does not exist")
        if row.status == "draft":  # never cached by id alone: its content may change with the next save
            draft = self._drafts.get(version_id)
            if draft is None or draft.content_hash != row.content_hash:
                draft = restore_version(row)
                with self._lock:
                    self._drafts[version_id] = draft
            return draft
        compiled = restore_version(row)
        with self._lock:
            self._drafts.pop(version_id, None)
            self._by_version.setdefault(version_id, compiled)
        return self._by_version[version_id]

    def put(self, version_id: int, compiled: CompiledProcedure, draft: bool = False) -> None:
        with self._lock:
            if draft:
                self._drafts[version_id] = compiled
            else:
                self._by_version.setdefault(version_id, compiled)


def _store_not_runnable(session: Session, package: ProcedurePackage, meta: dict[str, Any]
                        ) -> tuple[ProcedureVersion, bool]:
    number = (session.scalar(select(func.max(ProcedureVersion.number)).where(
        ProcedureVersion.procedure_code == package.code)) or 0) + 1
    version = ProcedureVersion(procedure_code=package.code, number=number, content_hash=package.content_hash,
                               process_id=meta["process_id"], meta=meta, files=package.text_files(),
                               forms=package.forms, spec=NOT_RUNNABLE, status="draft", published_at=None)
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:  # another process stored the same content (or the same number) a moment ago
        return _stored_meanwhile(session, package), False
    return version, True


def restore_version(row: ProcedureVersion) -> CompiledProcedure:
    """Rebuild from the stored spec; no BPMN parsing, no XSD validation."""
    if row.spec == NOT_RUNNABLE:
        raise InvalidPackage([Problem("draft-not-runnable", f"version {row.number} of {row.procedure_code} is a "
                                      "draft that does not run yet: fix its validation findings and save it again")])
    spec, subs = load_spec(row.spec)
    compiled = CompiledProcedure(
        code=row.procedure_code, content_hash=row.content_hash, meta=row.meta, spec=spec,
        subprocess_specs=subs, forms={name: FormDefinition(name, f) for name, f in row.forms.items()},
    )
    collect_steps(compiled, row.meta["bpmn"])
    compiled.version_id, compiled.version_number = row.id, row.number
    return compiled


@dataclass
class LoadReport:
    created: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: dict[str, list[Problem]] = field(default_factory=dict)


def load_folder(session: Session, cache: SpecCache, processes_dir: Path, forms_dir: Path) -> LoadReport:
    """Load every `processes/<code>/`; a version is created only when a package's content changed."""
    report = LoadReport()
    if not processes_dir.is_dir():
        return report
    for folder in sorted(p for p in processes_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            package = read_package(folder, forms_dir)
            version, created = register_package(session, cache, package)
        except InvalidPackage as exc:
            report.failed[folder.name] = exc.problems
            continue
        if created:
            report.created.append((package.code, version.number))
        else:
            report.unchanged.append(package.code)
    return report


class DraftChanged(Conflict):
    """The draft a save was made from is no longer what is stored: someone else saved (or published) it."""

    code = "draft-changed"


# Problems that refuse a package as a whole even as a draft: not a package Motcua can read, or hostile. Any other
# (the diagram does not run yet: not executable, an unknown construct, a rejected script) still stores a draft.
REFUSED_WHOLE = frozenset({"metadata-missing", "metadata-syntax", "metadata-invalid", "file-missing", "xml-syntax",
                           "xml-doctype", "bpmn-too-large", "bpmn-reserved-id", "form-invalid", "form-too-deep",
                           "form-unknown", "form-bad-key", "form-duplicate-key", "form-unknown-component"})
NOT_RUNNABLE = b""  # the spec of a draft that does not compile yet


def register_package(session: Session, cache: SpecCache, package: ProcedurePackage,
                     make_current: bool = True, keep_invalid: bool = False) -> tuple[ProcedureVersion, bool]:
    """Compile a package and store it as a version unless one with the same content exists. `keep_invalid`
    (drafts): a package whose diagram does not compile yet is stored too, without a spec (NOT_RUNNABLE), as
    long as its metadata and forms are readable; it cannot be published or run until its findings are fixed."""
    existing = version_with_content(session, package)
    if existing is not None:
        return existing, False
    if keep_invalid and not make_current:
        compiled, meta = compile_draft(package)
        if compiled is None:
            return _store_not_runnable(session, package, meta)
    else:
        compiled = compile_package(package)
    procedure = session.get(Procedure, package.code)
    if procedure is None:
        procedure = Procedure(code=package.code, name_vi=compiled.meta["name"]["vi"],
                              name_en=compiled.meta["name"]["en"])
        session.add(procedure)
        session.flush()
    number = (session.scalar(select(func.max(ProcedureVersion.number)).where(
        ProcedureVersion.procedure_code == package.code)) or 0) + 1
    version = ProcedureVersion(
        procedure_code=package.code, number=number, content_hash=package.content_hash,
        process_id=compiled.meta["process_id"], meta=compiled.meta, files=package.text_files(),
        forms=package.forms, spec=dump_spec(compiled.spec, compiled.subprocess_specs),
        status="published" if make_current else "draft", published_at=utcnow() if make_current else None,
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:  # another process stored the same content (or the same number) a moment ago
        return _stored_meanwhile(session, package), False
    if make_current:
        procedure.current_version_id = version.id
        procedure.name_vi = compiled.meta["name"]["vi"]
        procedure.name_en = compiled.meta["name"]["en"]
    compiled.version_id, compiled.version_number = version.id, version.number
    cache.put(version.id, compiled, draft=not make_current)
    return version, True


def version_with_content(session: Session, package: ProcedurePackage) -> ProcedureVersion | None:
    return session.scalars(select(ProcedureVersion).where(
        ProcedureVersion.procedure_code == package.code,
        ProcedureVersion.content_hash == package.content_hash)).first()


def _stored_meanwhile(session: Session, package: ProcedurePackage) -> ProcedureVersion:
    existing = version_with_content(session, package)
    if existing is None:  # the clash was on the version number: another save of other content won the race
        raise Conflict(f"another version of {package.code} was stored at the same moment: open the newest "
                       "version and save again")
    return existing


def compile_draft(package: ProcedurePackage) -> tuple[CompiledProcedure | None, dict[str, Any]]:
    """A draft's compiled procedure and metadata, or (None, metadata) when its diagram does not compile yet;
    raises when the package cannot be stored even as a draft (REFUSED_WHOLE)."""
    try:
        compiled = compile_package(package)
    except InvalidPackage as exc:
        meta, _problems = parse_metadata(package.files.get(METADATA_FILE, b""))
        if meta is None or any(_refused(p, package) for p in exc.problems):
            raise
        return None, meta
    return compiled, compiled.meta


def _refused(problem: Problem, package: ProcedurePackage) -> bool:
    """Whether a problem refuses the package even as a draft. A diagram that is almost XML (another tool's slip:
    an undeclared prefix, no space in the XML declaration) is kept, to be opened and fixed in the modeler, which
    reads it and writes it back well-formed; anything else that does not parse is refused."""
    if problem.code != "xml-syntax" or not (problem.file or "").endswith(".bpmn"):
        return problem.code in REFUSED_WHOLE
    return not almost_bpmn(package.files.get(problem.file or "", b""))


def replace_draft(session: Session, cache: SpecCache, draft: ProcedureVersion, package: ProcedurePackage,
                  seen_hash: str) -> None:
    """Put a package's content into an open draft, in place (its number stays). The row changes only if it
    still holds `seen_hash` and is still a draft: two saves of one draft cannot both win (Conflict)."""
    compiled, meta = compile_draft(package)
    spec = dump_spec(compiled.spec, compiled.subprocess_specs) if compiled is not None else NOT_RUNNABLE
    try:
        with session.begin_nested():
            changed = session.execute(
                update(ProcedureVersion).where(ProcedureVersion.id == draft.id,
                                               ProcedureVersion.content_hash == seen_hash,
                                               ProcedureVersion.status == "draft")
                .values(content_hash=package.content_hash, process_id=meta["process_id"], meta=meta,
                        files=package.text_files(), forms=package.forms, spec=spec)
                .execution_options(synchronize_session=False)).rowcount
    except IntegrityError:  # another version got this content a moment ago
        changed = 0
    if changed != 1:
        raise DraftChanged(f"version {draft.number} of {package.code} was changed or published meanwhile: open it "
                           "again", version=draft.number)
    session.expire(draft)
    if compiled is not None:
        compiled.version_id, compiled.version_number = draft.id, draft.number
        cache.put(draft.id, compiled, draft=True)


def current_version(session: Session, cache: SpecCache, code: str) -> CompiledProcedure:
    procedure = session.get(Procedure, code)
    if procedure is None or procedure.current_version_id is None:
        raise NotFound(f"procedure '{code}' does not exist")
    return cache.get(session, procedure.current_version_id)
