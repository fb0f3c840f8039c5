"""Dossiers submitted on the national public service portal, forwarded to the province.

The connector (connectors/portal/inbound.py) turns the portal's record into a plain submission dict; this module
makes it an online dossier in the competent unit, through the citizen portal's own path (engine/dossiers/
portal.py: the same checks of the applicant and the declaration, the same code and PIN), so that reception
receives it like any dossier sent online. The portal's dossier code (MaHoSo) is kept on the dossier and makes a
record forwarded again a no-op. Every refusal carries a reason in Vietnamese: the portal shows it to its staff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.dossiers import applicants
from engine.dossiers.models import Dossier
from engine.dossiers.portal import check_online, online_dossier
from engine.errors import Conflict, ValidationFailed
from engine.people.models import Unit
from engine.procedures.models import Procedure, ProcedureVersion
from engine.procedures.specs import CompiledProcedure
from engine.store.uow import UnitOfWork

ACTION = "portal_received"
PORTAL_CODE_MAX = 40


class ForwardedApplicantIn(applicants.ApplicantIn):
    """The applicant as the portal knows them: signed in there (VNeID), so a person's id is always given; phone
    and address may be missing."""

    id_required = True


class PortalRefused(ValidationFailed):
    """A forwarded record Motcua cannot take: `detail` is the Vietnamese reason, `errors` the parts at fault."""


def receive_from_portal(uow: UnitOfWork, submission: Mapping[str, Any]) -> tuple[Dossier, bool]:
    """The dossier of a forwarded record, created (True) or already there from an earlier forwarding (False, and
    nothing changed). Commits; raises PortalRefused (nothing written) when the record cannot be taken.

    `submission`: portal_code, national_code, unit (Motcua's unit code), applicant {kind, name, id_number,
    tax_code, representative, phone, email, address}, data (the declaration), documents [{name,
    document_code, url}], submitted_at (ISO, optional)."""
    code = submission.get("portal_code")
    if not isinstance(code, str) or not code.strip() or len(code) > PORTAL_CODE_MAX:
        raise PortalRefused(f"Mã hồ sơ (MaHoSo) thiếu hoặc dài quá {PORTAL_CODE_MAX} ký tự",
                            {"portal_code": ["Missing or too long."]})
    earlier = by_portal_code(uow, code)
    if earlier is not None:
        return earlier, False
    compiled = procedure_for(uow, submission.get("national_code"))
    unit = _competent_unit(uow, compiled, submission.get("unit"))
    applicant_raw = {k: v for k, v in dict(submission.get("applicant") or {}).items() if v not in (None, "")}
    applicant, data, errors = check_online(uow, compiled, ForwardedApplicantIn(), applicant_raw, unit,
                                           submission.get("data") or {})
    if errors:
        raise PortalRefused(_reason(errors), errors)
    documents = [dict(d) for d in submission.get("documents") or []]
    dossier, _pin = online_dossier(uow, compiled, unit, applicant, data, portal_code=code,
                                   portal_documents=documents or None)
    try:
        uow.session.flush()
    except IntegrityError:  # the same record forwarded twice at once: the other request has committed it
        uow.session.rollback()
        earlier = by_portal_code(uow, code)
        if earlier is None:
            raise Conflict("this record is already being received") from None
        return earlier, False
    uow.record(None, ACTION, "dossier", dossier.code, unit=unit, dossier_id=dossier.id,
               after={"status": dossier.status},
               detail={"by": "national_portal", "channel": "online", "portal_code": code,
                       "version": compiled.version_id, "submitted_at": submission.get("submitted_at"),
                       "documents": [{"name": d.get("name"), "url": d.get("url")} for d in documents]})
    uow.commit()
    return dossier, True


def by_portal_code(uow: UnitOfWork, code: str) -> Dossier | None:
    return uow.session.scalars(select(Dossier).where(Dossier.portal_code == code)).first()


def procedure_for(uow: UnitOfWork, national_code: Any) -> CompiledProcedure:
    """The published procedure whose current version carries this national code (MaTTHC); the first by code when
    several do (variants of one national procedure). Found in SQL: a province has thousands of procedures."""
    if isinstance(national_code, str) and national_code:
        version_id = uow.session.scalar(
            select(ProcedureVersion.id).join(Procedure, Procedure.current_version_id == ProcedureVersion.id)
            .where(ProcedureVersion.meta["national_code"].as_string() == national_code)
            .order_by(Procedure.code).limit(1))
        if version_id is not None:
            return uow.cache.get(uow.session, version_id)
    raise PortalRefused(f"Thủ tục mã {national_code} chưa được công bố trên hệ thống Một cửa của tỉnh",
                        {"national_code": ["No published procedure has this national code."]})


def _competent_unit(uow: UnitOfWork, compiled: CompiledProcedure, unit: Any) -> str:
    known = uow.session.get(Unit, unit) if isinstance(unit, str) and unit else None
    if known is None:
        raise PortalRefused(f"Không có đơn vị mã {unit} trên hệ thống Một cửa của tỉnh",
                            {"unit": ["Unknown unit."]})
    if not known.active or known.level != compiled.meta["level"]:
        raise PortalRefused(f"Đơn vị {known.name} không giải quyết thủ tục {compiled.meta['name']['vi']}",
                            {"unit": ["This unit does not handle the procedure."]})
    return known.code


PARTS = {"applicant": "thông tin chủ hồ sơ", "data": "tờ khai", "competent_unit": "đơn vị giải quyết"}


def _reason(errors: dict[str, Any]) -> str:
    """One sentence naming the parts and fields at fault, e.g. 'Hồ sơ không hợp lệ: tờ khai (ho_ten, dien_tich)'."""
    parts = []
    for part, found in errors.items():
        fields = ", ".join(sorted(found)) if isinstance(found, dict) else ""
        parts.append(f"{PARTS.get(part, part)} ({fields})" if fields else PARTS.get(part, part))
    return "Hồ sơ không hợp lệ: " + "; ".join(parts)
