"""Registering a dossier at the counter (a walk-in, or papers that came by public postal service), in one step:
the applicant, the declaration, the papers handed in (each with its kind and count) and their scanned copies.

A complete dossier (every required document handed in) is received at once: the legal clock starts. One that
is not is registered but not received: the written guidance (form 02) says what is missing, and the dossier
records it; when the applicant comes back with the rest, reception receives it from the dossier page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from engine.errors import ValidationFailed
from engine.people.actors import Actor
from engine.procedures.catalog import current_version
from engine.store.uow import UnitOfWork

from .applicants import DELIVERY, ApplicantIn
from .attachments import UNKNOWN_DOCUMENT, FileRejected, StoredFile, Upload, UploadLimits, count_problems, store
from .lookup import check_reused
from .models import Attachment
from .population_claims import attach_dossier, check_population_claims
from .service import Submission, Submitted, earlier_submission, open_dossier, validate_declaration

COUNTER_CHANNELS = ("counter", "postal")
# How a paper is handed in (Decree 118/2025: a copy, the original, or a certified copy).
PAPER_KINDS = ("original", "copy", "certified_copy")
MAX_QUANTITY = 99  # (the message below says so)
MAX_LINES, MAX_LINE, MAX_GUIDANCE = 20, 1000, 4000
NOT_HANDED_IN = "Tick the document as handed in before attaching its scan."
CHOOSE = "Choose one of the listed options."  # fixed messages: the pages translate them


class CounterApplicantIn(ApplicantIn):
    """At the counter a person gives the personal id: the look-up and the register need it. (The API's older
    callers, which record no documents, may leave it out.)"""

    id_required = True


@dataclass(frozen=True)
class HandedIn:
    code: str
    kind: str
    quantity: int


@dataclass(frozen=True)
class CounterRegistration:
    procedure: str
    applicant: dict[str, Any]
    data: dict[str, Any]
    channel: str = "counter"
    documents: Sequence[HandedIn] | None = None  # None: not recorded (the API's older callers)
    files: Sequence[Upload] = field(default_factory=tuple)
    result_delivery: str | None = None
    reused_fields: Sequence[str] = ()
    missing: Sequence[str] = ()  # what else the officer found missing or wrong, for the guidance
    guidance: str = ""
    competent_unit: str | None = None
    submission_key: str | None = None
    # applicant fields filled from the population database, and the look-up (its id) that proves them
    population_fields: Sequence[str] = ()
    population_lookup: int | None = None


@dataclass(frozen=True)
class Registered:
    submitted: Submitted
    received: bool
    missing: list[str]


def register(uow: UnitOfWork, actor: Actor, reg: CounterRegistration, upload_dir: Path,
             limits: UploadLimits) -> Registered:
    """Register (and, when complete, receive) a dossier brought to the counter; every problem is reported at
    once (422, by field). Files are stored only once everything else is valid."""
    earlier = earlier_submission(uow, actor, reg.submission_key)
    if earlier is not None:  # a retried request: the first dossier, without its PIN
        return Registered(Submitted(earlier, None), earlier.received_at is not None,
                          list(earlier.missing_documents or []))
    compiled = current_version(uow.session, uow.cache, reg.procedure)
    documents = {d["code"]: d for d in compiled.meta["documents"]}
    errors: dict[str, Any] = {}
    applicant: dict[str, Any] = {}
    try:
        schema = CounterApplicantIn() if reg.documents is not None else ApplicantIn()
        applicant = schema.load(reg.applicant if isinstance(reg.applicant, dict) else {})
        applicant = {k: v for k, v in applicant.items() if v not in (None, "")}
    except ValidationError as err:
        errors["applicant"] = err.messages
    if reg.channel not in COUNTER_CHANNELS and reg.documents is not None:
        errors["channel"] = [CHOOSE]
    if reg.result_delivery is not None and reg.result_delivery not in DELIVERY:
        errors["result_delivery"] = [CHOOSE]
    try:
        data = validate_declaration(compiled, reg.data, applicant)
    except ValidationFailed as exc:
        errors["data"], data = exc.errors, {}
    handed = _check_documents(reg.documents, documents, errors)
    missing_lines = _lines(reg.missing, "missing", errors)
    if len(reg.guidance) > MAX_GUIDANCE:
        errors["guidance"] = ["Too long."]
    reused: list[str] = []
    sources: dict[str, str] = {}
    details: list[str] = []
    if "applicant" not in errors:
        try:
            reused = check_reused(uow, actor, applicant, reg.reused_fields)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            details.append(str(exc.detail))
        try:
            sources = check_population_claims(uow, applicant, reg.population_lookup, reg.population_fields,
                                              user_id=actor.user_id)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            details.append(str(exc.detail))
    file_errors = _check_files(reg.files, documents, handed, limits)
    stored: list[StoredFile] = []
    if not file_errors:
        stored, file_errors = _store_files(reg.files, upload_dir, limits)
    if file_errors:
        errors["files"] = file_errors
    if errors:
        raise ValidationFailed("; ".join(["the dossier is not valid", *details]), errors)

    given = {h.code for h in handed or ()}
    missing = ([d["name"] for d in compiled.meta["documents"] if d["required"] and d["code"] not in given]
               if handed is not None else []) + missing_lines
    complete = handed is not None and not missing
    received_documents = tuple({"code": h.code, "name": documents[h.code]["name"], "kind": h.kind,
                                "quantity": h.quantity} for h in handed) if handed is not None else None
    sub = Submission(procedure=reg.procedure, applicant=applicant, data=data, channel=reg.channel,
                     submission_key=reg.submission_key, competent_unit=reg.competent_unit,
                     result_delivery=reg.result_delivery, reused_fields=tuple(reused),
                     field_sources=sources, received_documents=received_documents,
                     receive=complete if handed is not None else None)
    submitted = open_dossier(uow, actor, sub)
    dossier = submitted.dossier
    if sources:
        attach_dossier(uow, reg.population_lookup, dossier.code)
    now = uow.clock()
    uow.session.add_all(Attachment(dossier_id=dossier.id, document=f.document, file_name=f.file_name,
                                   content_type=f.content_type, size=f.size, sha256=f.sha256,
                                   stored_path=f.stored_path, uploaded_at=now) for f in stored)
    if stored:
        uow.record(actor, "scans_attached", "dossier", dossier.code, unit=dossier.reception_unit,
                   dossier_id=dossier.id, detail={"files": [{"document": f.document, "sha256": f.sha256,
                                                             "size": f.size} for f in stored]})
    if handed is not None and not complete:
        dossier.missing_documents = missing
        uow.record(actor, "guided", "dossier", dossier.code, unit=dossier.reception_unit, dossier_id=dossier.id,
                   after={"status": dossier.status}, detail={"missing": missing, "guidance": reg.guidance.strip()})
    uow.commit()
    return Registered(submitted, dossier.received_at is not None, missing if not complete else [])


def _check_documents(given: Sequence[HandedIn] | None, documents: dict[str, dict[str, Any]],
                     errors: dict[str, Any]) -> list[HandedIn] | None:
    if given is None:
        return None
    problems: dict[str, list[str]] = {}
    seen: set[str] = set()
    for item in given:
        if item.code not in documents:
            problems.setdefault(item.code, []).append(UNKNOWN_DOCUMENT)
        elif item.code in seen:
            problems.setdefault(item.code, []).append("Listed twice.")
        if item.kind not in PAPER_KINDS:
            problems.setdefault(item.code, []).append(CHOOSE)
        if not 1 <= item.quantity <= MAX_QUANTITY:
            problems.setdefault(item.code, []).append("Quantity from 1 to 99.")
        seen.add(item.code)
    if problems:
        errors["documents"] = problems
    return list(given)


def _lines(lines: Sequence[str], name: str, errors: dict[str, Any]) -> list[str]:
    cleaned = [line.strip() for line in lines if isinstance(line, str) and line.strip()]
    if len(cleaned) > MAX_LINES or any(len(line) > MAX_LINE for line in cleaned):
        errors[name] = ["Too long."]
    return cleaned


def _check_files(files: Sequence[Upload], documents: dict[str, dict[str, Any]], handed: list[HandedIn] | None,
                 limits: UploadLimits) -> dict[str, list[str]]:
    """Counts, and that each scan is of a document the officer ticked; contents are checked as they are stored."""
    problems, _details = count_problems(list(files), limits)
    if problems:
        return problems
    ticked = {h.code for h in handed or ()}
    for upload in files:
        if upload.document not in documents:
            problems.setdefault(upload.document, []).append(UNKNOWN_DOCUMENT)
        elif upload.document not in ticked:
            problems.setdefault(upload.document, []).append(NOT_HANDED_IN)
    return problems


def _store_files(files: Sequence[Upload], upload_dir: Path, limits: UploadLimits
                 ) -> tuple[list[StoredFile], dict[str, list[str]]]:
    """Store each scan that is a PDF, JPEG or PNG within the size limit (a refused one stores nothing)."""
    stored: list[StoredFile] = []
    problems: dict[str, list[str]] = {}
    for upload in files:
        try:
            stored.append(store(upload, upload_dir, limits.max_bytes))
        except FileRejected as exc:
            problems.setdefault(upload.document, []).append(exc.message)
    return stored, problems
