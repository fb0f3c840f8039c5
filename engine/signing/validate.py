"""Validating the signatures in a PDF that may be hostile (a citizen's upload on /verify, an officer's upload):
the size is capped (MOTCUA_VERIFY_MAX_MB), and the work runs in a child process with an address-space limit that
is killed after MOTCUA_SIGNING_VALIDATE_TIMEOUT seconds. The answer is codes, never a library's message."""

from __future__ import annotations

import resource
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from engine import children

from .aio import run_sync
from .config import SigningSettings

MEMORY_LIMIT = 1536 * 1024 * 1024  # address space of the validating child
ORDER = ("changed", "revoked", "unknown_ca", "expired", "invalid")  # the document's problem: the first found


@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer_name: str  # the certificate subject's CN
    organisation: str  # O
    unit: str  # OU, else L
    serial: str  # the certificate's serial number, hexadecimal
    signed_at: datetime | None  # UTC: the signature time stamp's time if any, else the time the signer claims
    timestamped: bool
    intact: bool  # the signed bytes are unchanged and the signature value checks
    covers_whole: bool  # the signature covers the whole file (nothing appended after it)
    trusted: bool  # chained to a configured trusted root
    revoked: bool
    problem: str | None  # None | changed | revoked | unknown_ca | expired | invalid
    revision: int = -1  # the file revision the signature was added in (0: the first)


@dataclass(frozen=True)
class ValidationReport:
    ok: bool
    problem: str | None  # None | not_pdf | no_signature | changed | revoked | unknown_ca | expired | invalid
    signatures: list[SignatureReport] = field(default_factory=list)
    detail: str | None = None  # why "invalid" when it is about the file: too_large | timeout
    revisions: int = 0


def validate(pdf: bytes, settings: SigningSettings, *, at: datetime | None = None) -> ValidationReport:
    """Every signature of `pdf` checked against the trusted roots (revocation: the file's DSS, else OCSP/CRL), at
    `at` (default now). A time-stamped signature whose certificate has expired since is checked again as of its
    time stamp with the file's own validation data (long-term validation)."""
    if len(pdf) > settings.verify_max_bytes:
        return ValidationReport(False, "invalid", detail="too_large")
    if b"%PDF-" not in pdf[:1024]:
        return ValidationReport(False, "not_pdf")
    return _in_child(_validate_here, pdf, settings, at)


def count_revisions(pdf: bytes) -> int:
    """The revisions of a PDF Motcua made itself (not for uploads: no bounds)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    return int(PdfFileReader(BytesIO(pdf), strict=False).xrefs.total_revisions)


# --- the child process ---------------------------------------------------------------------------------------
def _child(connection: Any, job: Any, pdf: bytes, settings: SigningSettings, at: datetime | None) -> None:
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        seconds = int(settings.validate_timeout) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    except (ValueError, OSError):
        pass
    try:
        result: Any = job(pdf, settings, at)
    except MemoryError:
        result = ValidationReport(False, "invalid", detail="too_complex")
    except Exception:
        result = ValidationReport(False, "not_pdf")
    connection.send(result)
    connection.close()


def _in_child(job: Any, pdf: bytes, settings: SigningSettings, at: datetime | None) -> ValidationReport:
    receiving, sending = children.pipe()
    process = children.start(_child, (sending, job, pdf, settings, at))
    sending.close()
    try:
        if receiving.poll(settings.validate_timeout):
            found = receiving.recv()
            return found if isinstance(found, ValidationReport) else ValidationReport(False, "invalid")
        return ValidationReport(False, "invalid", detail="timeout")
    except (EOFError, OSError):  # the child died: out of memory or CPU time
        return ValidationReport(False, "invalid", detail="too_complex")
    finally:
        receiving.close()
        if process.is_alive():
            process.kill()
        process.join(5)


def _validate_here(pdf: bytes, settings: SigningSettings, at: datetime | None = None) -> ValidationReport:
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        revisions = int(reader.xrefs.total_revisions)
        embedded = list(reader.embedded_signatures)
    except Exception:
        return ValidationReport(False, "not_pdf")
    regular = [e for e in embedded if e.sig_object_type != "/DocTimeStamp"]
    if not regular:
        return ValidationReport(False, "no_signature", revisions=revisions)
    context_kwargs = _context_kwargs(reader)
    reports = [run_sync(_one(e, settings, context_kwargs, at)) for e in regular]
    timestamps_intact = all(_timestamp_intact(e, settings, context_kwargs) for e in embedded
                            if e.sig_object_type == "/DocTimeStamp")
    problems = [r.problem for r in reports if r.problem] + ([] if timestamps_intact else ["changed"])
    problem = next((p for p in ORDER if p in problems), None)
    return ValidationReport(problem is None, problem, reports, revisions=revisions)


def _context_kwargs(reader: Any) -> dict[str, Any]:
    """The DSS's certificates and revocation answers (the file's long-term validation data), when there is one."""
    from asn1crypto import crl, ocsp
    from pyhanko.pdf_utils.decode_limits import DecodePurpose
    from pyhanko.sign.validation.dss import DocumentSecurityStore, NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(reader)
        return {"other_certs": list(dss.load_certs()),
                "ocsps": [ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
                          for ref in dss.ocsps],
                "crls": [crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)) for ref in dss.crls]}
    except NoDSSFoundError:
        return {}
    except Exception:  # a damaged DSS: validate as if there were none (online)
        return {}


def _timestamp_intact(embedded: Any, settings: SigningSettings, context_kwargs: dict[str, Any]) -> bool:
    from pyhanko.sign.validation import async_validate_pdf_timestamp

    try:
        status = run_sync(async_validate_pdf_timestamp(
            embedded, validation_context=settings.validation_context(**context_kwargs), skip_diff=True))
        return bool(status.intact and status.valid)
    except Exception:
        return False


def _name(cert: Any) -> dict[str, str]:
    native = cert.subject.native

    def text(key: str) -> str:
        value = native.get(key, "")
        return ", ".join(value) if isinstance(value, list) else str(value or "")

    return {"cn": text("common_name"), "o": text("organization_name"),
            "unit": text("organizational_unit_name") or text("locality_name")}


async def _one(embedded: Any, settings: SigningSettings, context_kwargs: dict[str, Any],
               at: datetime | None) -> SignatureReport:
    """The file's own validation data first (offline: a sealed result stays valid without the CA's servers), then,
    when that does not settle it, with OCSP/CRL fetched; then (expired, stale) as of the signature's time stamp."""
    report = await _one_with(embedded, settings, context_kwargs, fetching=False, moment=at) if context_kwargs \
        else None
    if report is None or report.problem not in (None, "changed", "revoked"):
        report = await _one_with(embedded, settings, context_kwargs, fetching=at is None, moment=at)
    if report.problem in ("expired", "invalid") and report.timestamped and report.signed_at and context_kwargs:
        then = await _one_with(embedded, settings, {**context_kwargs, "retroactive_revinfo": True}, fetching=False,
                               moment=report.signed_at)
        report = then if then.problem is None else report
    return report


async def _one_with(embedded: Any, settings: SigningSettings, context_kwargs: dict[str, Any], *,
                    fetching: bool, moment: datetime | None) -> SignatureReport:
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    field_name = str(embedded.field_name or "")
    try:
        cert = embedded.signer_cert
        names, serial = _name(cert), format(cert.serial_number, "X")
    except Exception:
        return SignatureReport(field_name, "", "", "", "", None, False, False, False, False, False, "invalid")
    try:
        status = await async_validate_pdf_signature(
            embedded, signer_validation_context=_validation_context(settings, context_kwargs, fetching, moment),
            ts_validation_context=_validation_context(settings, context_kwargs, fetching, moment))
    except Exception:
        return SignatureReport(field_name, names["cn"], names["o"], names["unit"], serial, None, False, False, False,
                               False, False, "invalid", int(getattr(embedded, "signed_revision", -1)))
    stamp = status.timestamp_validity
    signed_at = stamp.timestamp if stamp is not None else status.signer_reported_dt
    signed_at = signed_at.astimezone(UTC) if signed_at is not None and signed_at.tzinfo else signed_at
    intact = bool(status.intact and status.valid)
    covers_whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    return SignatureReport(
        field=field_name, signer_name=names["cn"], organisation=names["o"], unit=names["unit"], serial=serial,
        signed_at=signed_at, timestamped=stamp is not None, intact=intact, covers_whole=covers_whole,
        trusted=bool(status.trusted), revoked=bool(status.revoked), problem=_problem(status, stamp),
        revision=int(embedded.signed_revision))


def _validation_context(settings: SigningSettings, context_kwargs: dict[str, Any], fetching: bool,
                        moment: datetime | None) -> Any:
    kwargs = dict(context_kwargs)
    if not fetching:  # the validator needs the lists, even empty, to know there is nothing to fetch
        kwargs.setdefault("crls", [])
        kwargs.setdefault("ocsps", [])
    return settings.validation_context(fetching=fetching, moment=moment, **kwargs)


def _problem(status: Any, stamp: Any) -> str | None:
    from pyhanko.sign.diff_analysis import ModificationLevel

    if status.intact and status.valid and (
            status.docmdp_ok is False or status.modification_level == ModificationLevel.OTHER):
        return "changed"
    return _problem_of_cms(status, stamp)


def _problem_of_cms(status: Any, stamp: Any) -> str | None:
    from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate

    if not status.intact:
        return "changed"
    if not status.valid:
        return "invalid"
    if stamp is not None and not (stamp.intact and stamp.valid):
        return "changed"
    if status.revoked:
        return "revoked"
    indication = status.trust_problem_indic
    if indication in (AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE):
        return "revoked"
    if indication in (AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND, AdESIndeterminate.NO_SIGNING_CERTIFICATE_FOUND):
        return "unknown_ca"
    if indication in (AdESIndeterminate.EXPIRED, AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
                      AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED, AdESIndeterminate.NOT_YET_VALID,
                      AdESFailure.NOT_YET_VALID):
        return "expired"
    if not status.trusted or (stamp is not None and not stamp.trusted):
        return "invalid"
    return None
