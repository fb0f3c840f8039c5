"""Keeping a PAdES-B-LTA file verifiable for years: its last document time stamp proves everything before it only
while that time stamp's TSA certificate is valid, so before it expires the file gets a new revision with the
validation data of that time stamp (OCSP/CRL into the DSS) and a fresh document time stamp over the whole.

Network (TSA, OCSP, CRL) happens here: never call `renew_timestamps` inside a database transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from .aio import run_sync
from .config import SigningNotConfigured, SigningSettings
from .problems import SignatureRefused, refusal_or_unavailable


def _reader(pdf: bytes) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(BytesIO(pdf), strict=False)


def timestamp_expiry(pdf: bytes) -> datetime | None:
    """When the TSA certificate of the file's last document time stamp expires (UTC): the date by which the file
    must be renewed. None when the file has no document time stamp or cannot be read."""
    try:
        stamps = _reader(pdf).embedded_timestamp_signatures
        if not stamps:
            return None
        not_after = stamps[-1].signer_cert["tbs_certificate"]["validity"]["not_after"].native
    except Exception:  # untrusted bytes: anything unreadable is "no time stamp", never a crash of the job
        return None
    if not isinstance(not_after, datetime):
        return None
    return not_after.astimezone(UTC) if not_after.tzinfo else not_after.replace(tzinfo=UTC)


def renew_timestamps(pdf: bytes, settings: SigningSettings) -> bytes:
    """`pdf` plus one incremental revision: the DSS with fresh revocation data for the last document time stamp,
    then a new document time stamp. SignatureRefused (the time stamp no longer validates) or SigningUnavailable
    (the TSA, OCSP or CRL server did not answer) on failure."""
    from pyhanko.sign.signers import PdfTimeStamper

    timestamper = settings.timestamper()

    async def renew() -> bytes:
        reader = _reader(pdf)
        # in_place=False: the input stays untouched, the output is the original bytes plus the new revision
        out = await PdfTimeStamper(timestamper).async_update_archival_timestamp_chain(
            reader, settings.validation_context(), in_place=False, output=BytesIO())
        return bytes(out.getvalue())

    try:
        return run_sync(renew())
    except (SignatureRefused, SigningNotConfigured):
        raise
    except Exception as exc:
        raise refusal_or_unavailable(exc) from exc
