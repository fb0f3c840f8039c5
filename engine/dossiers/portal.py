"""The citizen portal's use cases: the catalogue, and a dossier submitted online by its applicant.

A citizen has no account: the dossier has no creator or handler, its audit entry no actor (the detail says
it came from the applicant online). It waits in `registered` for the competent unit's reception officer.
Anyone may submit, so accepted submissions are limited per client address and hour (MOTCUA_SUBMIT_LIMIT).
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.errors import Conflict, ValidationFailed
from engine.people.models import Unit
from engine.procedures.catalog import current_version
from engine.procedures.metadata import fee_for
from engine.procedures.models import Procedure
from engine.procedures.specs import CompiledProcedure
from engine.store.throttle import blocked_until, count_event, refusal
from engine.store.uow import UnitOfWork
from engine.text import fold

from . import applicants
from .applicants import DELIVERY, stamp_applicant
from .attachments import ALL_FILES, StoredFile, Upload, UploadLimits, check_uploads
from .codes import PIN_DIGITS, new_pin, next_code
from .models import Attachment, Dossier
from .population_claims import attach_dossier, check_population_claims
from .service import Submitted, pin_digest, validate_declaration

KEY_MAX = 100
SUBMIT_WINDOW = timedelta(hours=1)
TOO_MANY = "too many online submissions from this address; try again later"


class ApplicantIn(applicants.ApplicantIn):
    """Who submits: enough for the reception officer to reach them; the email is optional. A person gives the
    personal id; a business its tax code."""

    id_required = True
    phone = fields.String(required=True, validate=validate.Regexp(applicants.PHONE,
                                                                  error="Not a valid phone number."))
    email = fields.Email(load_default=None, allow_none=True)
    address = fields.String(required=True, validate=validate.Length(min=1, max=500))


@dataclass(frozen=True)
class OnlineSubmission:
    procedure: str
    applicant: dict[str, Any]
    competent_unit: str
    data: dict[str, Any]
    files: list[Upload] = field(default_factory=list)
    submission_key: str | None = None
    client: str | None = None  # the sender's address, for the hourly limit
    pin: str | None = None  # a PIN the caller can derive again (the portal ties it to the browser session)
    kept: list[StoredFile] = field(default_factory=list)  # files of a refused attempt the applicant keeps
    result_delivery: str | None = None  # applicants.DELIVERY: how the applicant wants the result
    # applicant field -> its source ("vneid": the signed-in citizen's identity), checked by the caller
    field_sources: dict[str, str] = field(default_factory=dict)
    # applicant fields the signed-in citizen took from the population database, proved by their own look-up
    population_fields: tuple[str, ...] = ()
    population_lookup: int | None = None
    citizen_subject: str | None = None


class Refused(ValidationFailed):
    """A 422 of the online submission, with the files that passed their checks and were stored (the portal offers
    them again, so that the applicant need not choose them again)."""

    def __init__(self, detail: str, errors: dict[str, Any], stored: list[StoredFile]) -> None:
        super().__init__(detail, errors)
        self.stored = stored


def catalogue(uow: UnitOfWork, query: str = "") -> list[CompiledProcedure]:
    """Current procedures whose name, authority or code contain every word of the query, diacritics ignored."""
    words = fold(query).split()
    found = []
    for procedure in uow.session.scalars(select(Procedure).where(Procedure.current_version_id.is_not(None))
                                         .order_by(Procedure.name_vi)):
        compiled = uow.cache.get(uow.session, procedure.current_version_id)  # type: ignore[arg-type]
        meta = compiled.meta
        haystack = fold(" ".join([compiled.code, meta["name"]["vi"], meta["name"]["en"],
                                  meta["authority"]["vi"], meta["authority"]["en"]]))
        if all(word in haystack for word in words):
            found.append(compiled)
    return found


def competent_units(uow: UnitOfWork, compiled: CompiledProcedure) -> list[Unit]:
    """The active units at the procedure's level (a commune procedure is handled by a commune's centre)."""
    return list(uow.session.scalars(select(Unit).where(Unit.level == compiled.meta["level"], Unit.active.is_(True))
                                    .order_by(Unit.name)))


def submit_online(uow: UnitOfWork, sub: OnlineSubmission, upload_dir: Path, limits: UploadLimits,
                  per_hour: int = 0) -> Submitted:
    """Register a dossier sent by its applicant, with its files; every problem is reported at once (422).

    The same submission key replays the first dossier without its PIN, which is shown once — unless the caller
    gave the PIN (`sub.pin`, which it can derive again) and it is that dossier's. A replay does not count towards
    the limit of `per_hour` accepted submissions per client (0: no limit; 429 past it)."""
    session = uow.session
    key = sub.submission_key[:KEY_MAX] if sub.submission_key else None
    if key:
        earlier = _by_key(uow, key)
        if earlier is not None:
            return _replay(uow, earlier, sub.pin)
    if sub.pin is not None and not re.fullmatch(f"[0-9]{{{PIN_DIGITS}}}", sub.pin):
        raise ValueError(f"a PIN has {PIN_DIGITS} digits")
    limit = (f"submit:{sub.client}", per_hour) if sub.client and per_hour > 0 else None
    if limit:  # refused before the files are read and stored
        now = uow.clock()
        until = blocked_until(uow, *limit, SUBMIT_WINDOW, now)
        if until is not None:
            raise refusal(TOO_MANY, until, now)
    compiled = current_version(session, uow.cache, sub.procedure)
    applicant, data, errors = check_online(uow, compiled, ApplicantIn(), sub.applicant, sub.competent_unit, sub.data)
    if sub.result_delivery is not None and sub.result_delivery not in DELIVERY:
        errors["result_delivery"] = [f"Must be one of: {', '.join(DELIVERY)}."]
    if sub.population_fields and "applicant" not in errors:
        try:
            sources = check_population_claims(uow, applicant, sub.population_lookup, sub.population_fields,
                                              citizen_subject=sub.citizen_subject)
            sub = replace(sub, field_sources={**sub.field_sources, **sources})
        except ValidationFailed as exc:
            errors.update(exc.errors)
    stored, file_errors, details = check_uploads(compiled.meta["documents"], sub.files, upload_dir, limits, sub.kept)
    if file_errors:
        errors["files"] = file_errors
    if errors:
        summary = "; ".join(details) if details else "the submission is not valid"
        raise Refused(summary, errors, [*sub.kept, *stored] if not file_errors.get(ALL_FILES) else [])
    stored = [*sub.kept, *stored]
    return _register(uow, compiled, sub, applicant, data, stored, key, limit)


def check_online(uow: UnitOfWork, compiled: CompiledProcedure, applicant_in: Schema, raw_applicant: Any,
                 unit: str, raw_data: Any) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The applicant, competent unit and declaration of a dossier sent online, checked as one:
    (applicant, declaration, errors by part). Shared by the citizen portal and the national portal's forwarding."""
    errors: dict[str, Any] = {}
    applicant: dict[str, Any] = {}
    try:
        applicant = applicant_in.load(raw_applicant if isinstance(raw_applicant, dict) else {})
    except ValidationError as err:
        errors["applicant"] = err.messages
    if unit not in {u.code for u in competent_units(uow, compiled)}:
        errors["competent_unit"] = ["Choose one of the listed units."]
    data: dict[str, Any] = {}
    try:
        data = validate_declaration(compiled, raw_data, applicant)
    except ValidationFailed as exc:
        errors["data"] = exc.errors
    return applicant, data, errors


def online_dossier(uow: UnitOfWork, compiled: CompiledProcedure, unit: str, applicant: dict[str, Any],
                   data: dict[str, Any], *, pin: str | None = None, key: str | None = None,
                   result_delivery: str | None = None, portal_code: str | None = None,
                   portal_documents: list[dict[str, Any]] | None = None) -> tuple[Dossier, str]:
    """A dossier sent online, waiting in `registered` for the unit's reception, added to the session (the caller
    flushes and handles a unique key's race); returns it with its tracking PIN."""
    now = uow.clock()
    # Received by the competent unit's own reception: the code carries that unit, as at its counter.
    code = next_code(uow.session, uow.code_pattern, unit=unit, prefix=uow.code_prefix, procedure=compiled.code,
                     now=now)
    pin = pin or new_pin()
    dossier = Dossier(
        code=code, procedure_code=compiled.code, procedure_version_id=compiled.version_id, status="registered",
        channel="online", applicant_name=applicant["name"], applicant={k: v for k, v in applicant.items() if v},
        data=data, reception_unit=unit, competent_unit=unit, handler_id=None, submission_key=key,
        pin_hash=pin_digest(uow.pin_secret, code, pin), fee_amount=fee_for(compiled.meta, "online"), created_by=None,
        created_at=now, updated_at=now, paused_seconds=0, supplement_count=0, result_delivery=result_delivery,
        portal_code=portal_code, portal_documents=portal_documents,
    )
    stamp_applicant(dossier)
    uow.session.add(dossier)
    return dossier, pin


def _by_key(uow: UnitOfWork, key: str) -> Dossier | None:
    return uow.session.scalars(select(Dossier).where(Dossier.created_by.is_(None),
                                                     Dossier.submission_key == key)).first()


def _replay(uow: UnitOfWork, earlier: Dossier, pin: str | None) -> Submitted:
    """The first dossier again; with the PIN only when the caller brought that very PIN (compared to its hash)."""
    if pin is None or earlier.pin_hash is None:
        return Submitted(earlier, None)
    same = hmac.compare_digest(earlier.pin_hash, pin_digest(uow.pin_secret, earlier.code, pin))
    return Submitted(earlier, pin if same else None)


def _register(uow: UnitOfWork, compiled: CompiledProcedure, sub: OnlineSubmission, applicant: dict[str, Any],
              data: dict[str, Any], stored: list[StoredFile], key: str | None,
              limit: tuple[str, int] | None) -> Submitted:
    session = uow.session
    now = uow.clock()
    unit = sub.competent_unit
    dossier, pin = online_dossier(uow, compiled, unit, applicant, data, pin=sub.pin, key=key,
                                  result_delivery=sub.result_delivery)
    if sub.field_sources:  # counted as data re-used, like the counter's (service.Submission)
        applicants.record_sources(dossier, (), sub.field_sources)
    try:
        session.flush()
    except IntegrityError:  # the same key raced in from a second request, which has committed by now
        session.rollback()
        earlier = _by_key(uow, key) if key else None
        if earlier is None:
            raise Conflict("this submission is already being processed") from None
        return _replay(uow, earlier, sub.pin)
    if limit:  # counted with the dossier: a submit that fails or is a replay does not count
        count, start = count_event(uow, limit[0], SUBMIT_WINDOW, now)
        if count > limit[1]:  # concurrent submissions got past the early check
            session.rollback()
            raise refusal(TOO_MANY, start + SUBMIT_WINDOW, now)
    session.add_all(Attachment(dossier_id=dossier.id, document=f.document, file_name=f.file_name,
                               content_type=f.content_type, size=f.size, sha256=f.sha256,
                               stored_path=f.stored_path, uploaded_at=now) for f in stored)
    if sub.population_fields:
        attach_dossier(uow, sub.population_lookup, dossier.code)
    uow.record(None, "submitted", "dossier", dossier.code, unit=unit, dossier_id=dossier.id,
               after={"status": dossier.status},
               detail={"by": "applicant", "channel": "online", "version": compiled.version_id,
                       "result_delivery": sub.result_delivery,
                       **({"field_sources": dict(sub.field_sources)} if sub.field_sources else {}),
                       "files": [{"document": f.document, "sha256": f.sha256, "size": f.size} for f in stored]})
    uow.commit()
    return Submitted(dossier, pin)
