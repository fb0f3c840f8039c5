"""The archive time stamps of issued results kept ahead of their TSA certificate's end (PAdES-B-LTA): an issued
result whose last document time stamp's certificate ends within the window gets a new revision (fresh OCSP/CRL in
the DSS, a new document time stamp). Same discipline as issue.py: the row read in one short unit of work, the
TSA/OCSP asked with no transaction open, the row locked and written only if it still holds the same PDF. A failure
changes nothing; the next run tries again."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select

from engine.dossiers.models import Dossier
from engine.rendering.store import store_document
from engine.signing.config import SigningSettings
from engine.signing.problems import SigningUnavailable
from engine.signing.renewal import renew_timestamps, timestamp_expiry

from .issue import OpenUow, locked
from .models import ISSUED, ResultDocument

log = logging.getLogger(__name__)
BATCH = 50
# A renewal does not move the date when the TSA still signs with the same certificate; without a pause every run
# would add a revision to every due file until the TSA changes its certificate.
PAUSE = timedelta(days=30)


def _due_ids(open_uow: OpenUow, limit: datetime, now: datetime) -> list[int]:
    """Issued rows whose time stamp ends before `limit` (or is not known yet), not renewed in the last PAUSE."""
    with open_uow() as uow:
        query = (select(ResultDocument.id)
                 .where(ResultDocument.state == ISSUED,
                        or_(ResultDocument.timestamp_until.is_(None), ResultDocument.timestamp_until < limit),
                        or_(ResultDocument.updated_at <= ResultDocument.issued_at,
                            ResultDocument.updated_at < now - PAUSE))
                 .order_by(ResultDocument.timestamp_until.is_(None).desc(), ResultDocument.timestamp_until,
                           ResultDocument.id)
                 .limit(BATCH))
        return list(uow.session.scalars(query))


def _read(open_uow: OpenUow, row_id: int) -> tuple[int, bytes, datetime | None] | None:
    """(signed_id, the signed PDF, timestamp_until) of an issued row; None when it is no longer issued."""
    from .service import document

    with open_uow() as uow:
        row = uow.session.get(ResultDocument, row_id)
        if row is None or row.state != ISSUED or row.signed_id is None:
            return None
        found = document(uow, row.signed_id)
        if found is None:
            return None
        return row.signed_id, found[1], row.timestamp_until


def _note_until(open_uow: OpenUow, row_id: int, signed_id: int, until: datetime | None) -> None:
    """A row issued before the column existed: its date, read from its PDF, kept so it is not read every run. Not
    audited: a fact about the stored file, not a change of the result."""
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != ISSUED or row.signed_id != signed_id or row.timestamp_until is not None:
            return
        row.timestamp_until = until
        uow.session.commit()


def _store(open_uow: OpenUow, row_id: int, signed_id: int, old: bytes, new: bytes, until: datetime | None) -> bool:
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != ISSUED or row.signed_id != signed_id:
            return False  # changed while the TSA was asked: that change wins
        doc = store_document(uow, row.dossier_id, "result-signed", new, None)
        row.signed_id, row.timestamp_until, row.updated_at = doc.id, until, uow.clock()
        dossier = uow.session.get(Dossier, row.dossier_id)
        uow.record(None, "result_timestamp_renewed", "result", dossier.code if dossier else None,
                   dossier_id=row.dossier_id, unit=dossier.competent_unit if dossier else None,
                   before={"sha256": hashlib.sha256(old).hexdigest()}, after={"sha256": doc.sha256},
                   detail={"timestamp_until": until.isoformat() if until else None})
        uow.commit()
    return True


def renew_due(open_uow: OpenUow, settings: SigningSettings, window: timedelta, now: datetime) -> int:
    """Renew the issued results whose archive time stamp ends before now + window; how many were renewed."""
    try:
        limit = now + window
    except OverflowError:  # a setting of millions of days: everything is due
        limit = datetime.max.replace(tzinfo=UTC)
    renewed = 0
    for row_id in _due_ids(open_uow, limit, now):
        try:
            found = _read(open_uow, row_id)
        except Exception as exc:  # the stored file missing or damaged: for a person, not for this job
            log.error("results: the signed PDF of result %s cannot be read (%s)", row_id, exc)
            continue
        if found is None:
            continue
        signed_id, pdf, until = found
        if until is None:
            until = timestamp_expiry(pdf)
            if until is not None and until >= limit:
                _note_until(open_uow, row_id, signed_id, until)
                continue
        try:
            new = renew_timestamps(pdf, settings)
        except SigningUnavailable as exc:  # the TSA or OCSP away: the other rows would fail the same way
            log.warning("results: archive time stamps not renewed, the trust services did not answer (%s); "
                        "trying again on the next run", exc)
            break
        except Exception as exc:  # refused (the last time stamp no longer validates) or not configured
            log.error("results: the archive time stamp of result %s was not renewed: %s", row_id, exc)
            continue
        new_until = timestamp_expiry(new)
        if until is not None and new_until is not None and new_until <= until:
            log.warning("results: the TSA's certificate ends %s, no later than result %s's last time stamp; "
                        "renewing again after %s days", new_until.isoformat(), row_id, PAUSE.days)
        renewed += _store(open_uow, row_id, signed_id, pdf, new, new_until)
    return renewed
