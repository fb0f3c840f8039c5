"""Detached CMS signatures by the unit over any bytes (an archive package's manifest, an export): signed with the
unit key, with a signature time stamp, and checked the same way as a PDF signature."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from .aio import run_sync
from .config import SigningSettings
from .keys import unit_signer_session
from .problems import refusal_or_unavailable
from .validate import SignatureReport, _name, _problem_of_cms

MD = "sha256"
MAX_CMS = 1024 * 1024  # a detached signature is a few kilobytes; anything far larger is not one


def sign_detached(data: bytes, settings: SigningSettings) -> bytes:
    """The DER of a CMS SignedData over `data` (detached), CAdES-T: with a time stamp on the signature."""
    timestamper = settings.timestamper()

    async def sign() -> bytes:
        with unit_signer_session(settings) as signer:
            found = await signer.async_sign_general_data(data, MD, detached=True, use_cades=True,
                                                         timestamper=timestamper)
            return bytes(found.dump())

    try:
        return run_sync(sign())
    except Exception as exc:
        raise refusal_or_unavailable(exc) from exc


def _broken(problem: str, cert: Any = None) -> SignatureReport:
    names = _name(cert) if cert is not None else {"cn": "", "o": "", "unit": ""}
    serial = format(cert.serial_number, "X") if cert is not None else ""
    return SignatureReport("", names["cn"], names["o"], names["unit"], serial, None, False, False, False, False,
                           False, problem)


def verify_detached(data: bytes, cms: bytes, settings: SigningSettings) -> SignatureReport:
    """Whether `cms` is a valid signature over `data`, by a trusted, unrevoked certificate (problem codes as for
    PDF signatures; "changed" when `data` is not what was signed)."""
    from asn1crypto import cms as asn1_cms
    from pyhanko.sign.validation import async_validate_detached_cms

    if len(cms) > MAX_CMS:
        return _broken("invalid")
    try:
        info = asn1_cms.ContentInfo.load(cms)
        signed_data = info["content"]
        signer_info = signed_data["signer_infos"][0]
        sid = signer_info["sid"].chosen
        cert = next(c.chosen for c in signed_data["certificates"] if c.name == "certificate"
                    and c.chosen.serial_number == sid["serial_number"].native and c.chosen.issuer == sid["issuer"])
    except Exception:
        return _broken("invalid")

    async def check() -> Any:
        return await async_validate_detached_cms(data, signed_data, signer_validation_context=settings.
                                                 validation_context(), ts_validation_context=settings.
                                                 validation_context())

    try:
        status = run_sync(check())
    except Exception:
        return _broken("invalid", cert)
    stamp = status.timestamp_validity
    names = _name(cert)
    signed_at = stamp.timestamp if stamp is not None else status.signer_reported_dt
    return SignatureReport("", names["cn"], names["o"], names["unit"], format(cert.serial_number, "X"),
                           signed_at.astimezone(UTC) if signed_at is not None else None, stamp is not None,
                           bool(status.intact and status.valid), bool(status.intact), bool(status.trusted),
                           bool(status.revoked), _problem_of_cms(status, stamp))

