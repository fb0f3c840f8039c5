"""The issued (signed) result of a dossier, for those who may have it, and the link the national portal gets.

- by PIN: the tracking page's look-up (engine/dossiers/tracking.py `authorised`: throttled, a wrong PIN is the
  unknown code's 404);
- by owner: the citizen signed in with VNeID whose applicant key and kind are the dossier's ("Hồ sơ của tôi");
- by capability link: /results/<code>/<token>.pdf, token = HMAC(the installation's secret, code and the issued
  PDF's sha256): it names one file, so a re-issued result gets another link and the old one stops working.
Each download is audited as `result_downloaded` (who: "pin", "link", or the citizen's keyed key hash).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from dataclasses import dataclass

from sqlalchemy import select

from engine.dossiers.mine import owned_dossier
from engine.dossiers.models import Dossier
from engine.dossiers.tracking import authorised
from engine.errors import Conflict, NotFound
from engine.rendering.store import DocumentDamaged, RenderedDocument
from engine.results.models import ISSUED, ResultDocument
from engine.results.service import issued_result, result_pdf
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)
DOWNLOADED = "result_downloaded"
TOKEN_CHARS = 32


class NoIssuedResult(Conflict):
    title = "No electronic result"
    code = "no-issued-result"


@dataclass(frozen=True)
class IssuedFile:
    code: str
    pdf: bytes
    file_name: str


def result_token(secret: str, code: str, sha256: str) -> str:
    message = f"{code}|{sha256}".encode()
    return hmac.new(f"result-link:{secret}".encode(), message, hashlib.sha256).hexdigest()[:TOKEN_CHARS]


def issued_sha256(uow: UnitOfWork, dossier: Dossier) -> str | None:
    """The sha256 of the dossier's issued signed PDF, or None while none is issued."""
    found = issued_result(uow.session, dossier.id)
    if found is None or found.signed_id is None:
        return None
    document = uow.session.get(RenderedDocument, found.signed_id)
    return document.sha256 if document is not None else None


def issued_sha256_unflushed(uow: UnitOfWork, dossier: Dossier) -> str | None:
    """As `issued_sha256`, for a unit-of-work observer that runs before the flush: the result's state may have
    changed in this transaction only (the row is read by its dossier, and its state looked at as it will be
    committed)."""
    rows = list(uow.session.scalars(select(ResultDocument).where(ResultDocument.dossier_id == dossier.id)))
    rows += [r for r in uow.session.new if isinstance(r, ResultDocument) and r.dossier_id == dossier.id]
    found = next((r for r in rows if r.state == ISSUED and r.signed_id is not None), None)
    document = uow.session.get(RenderedDocument, found.signed_id) if found is not None else None
    return document.sha256 if document is not None else None


def result_path(uow: UnitOfWork, dossier: Dossier, *, unflushed: bool = False) -> str | None:
    """/results/<code>/<token>.pdf for the issued result, or None."""
    sha = issued_sha256_unflushed(uow, dossier) if unflushed else issued_sha256(uow, dossier)
    return None if sha is None else f"/results/{dossier.code}/{result_token(uow.pin_secret, dossier.code, sha)}.pdf"


def unflushed_result_path(uow: UnitOfWork, dossier: Dossier) -> str | None:
    """`result_path` for the portal sync's observer (engine/sync/queue.py), which runs before the flush."""
    return result_path(uow, dossier, unflushed=True)


def has_issued(uow: UnitOfWork, dossier: Dossier) -> bool:
    return issued_sha256(uow, dossier) is not None


def citizen_hash(uow: UnitOfWork, kind: str, key: str) -> str:
    """Who downloaded, in the audit, without the personal id: keyed, so a stolen log cannot be matched."""
    return hmac.new(f"citizen:{uow.pin_secret}".encode(), f"{kind}|{key}".encode(), hashlib.sha256).hexdigest()[:32]


def _issued_pdf(uow: UnitOfWork, dossier: Dossier) -> bytes:
    try:
        pdf = result_pdf(uow, dossier)
    except DocumentDamaged:  # the stored file is gone or altered: logged, and answered as no result at all
        log.exception("the issued result of %s cannot be read", dossier.code)
        pdf = None
    if pdf is None:
        raise NoIssuedResult(f"dossier {dossier.code} has no electronic result yet")
    return pdf


def _deliver(uow: UnitOfWork, dossier: Dossier, who: str) -> IssuedFile:
    pdf = _issued_pdf(uow, dossier)
    uow.record(None, DOWNLOADED, "dossier", dossier.code, dossier_id=dossier.id, unit=dossier.competent_unit,
               detail={"by": who, "sha256": hashlib.sha256(pdf).hexdigest()})
    uow.commit()
    return IssuedFile(dossier.code, pdf, f"ket-qua-{dossier.code}.pdf")


def pdf_by_pin(uow: UnitOfWork, code: str, pin: str | None, client: str) -> bytes:
    """The issued PDF to verify (no download: nothing is recorded but a failed look-up)."""
    return _issued_pdf(uow, authorised(uow, code, pin, client))


def by_pin(uow: UnitOfWork, code: str, pin: str | None, client: str) -> IssuedFile:
    """404 for an unknown code or a wrong PIN (counted, 429 past the limits), 409 without an issued result."""
    return _deliver(uow, authorised(uow, code, pin, client), "pin")


def _dossier(uow: UnitOfWork, code: str) -> Dossier | None:
    return uow.session.scalars(select(Dossier).where(Dossier.code == code[:100])).first()


def tracked(uow: UnitOfWork, code: str) -> IssuedFile:
    """For a browser session that looked the dossier up with its PIN earlier (the caller checked the proof)."""
    dossier = _dossier(uow, code)
    if dossier is None:
        raise NotFound(f"dossier {code[:100]} does not exist")
    return _deliver(uow, dossier, "pin")


def by_owner(uow: UnitOfWork, kind: str, key: str, code: str) -> IssuedFile:
    """Another person's dossier is not found (404), like an unknown code."""
    return _deliver(uow, owned_dossier(uow, kind, key, code), f"citizen:{citizen_hash(uow, kind, key)}")


def by_link(uow: UnitOfWork, code: str, token: str) -> IssuedFile:
    """The portal's capability link: a wrong or stale token is the unknown code's 404."""
    dossier = _dossier(uow, code)
    sha = issued_sha256(uow, dossier) if dossier is not None else None
    if dossier is None or sha is None or not hmac.compare_digest(
            result_token(uow.pin_secret, dossier.code, sha), token[:TOKEN_CHARS * 2]):
        raise NotFound(f"no result at this address for {code[:100]}")
    return _deliver(uow, dossier, "link")
