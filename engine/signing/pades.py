"""PAdES signatures on Motcua's PDFs, always as incremental updates (the PDF/A original stays byte for byte):

- `seal`: the unit's organisation signature, PAdES-B-LTA (signature time stamp, the chain's OCSP/CRL answers in
  the DSS, then a document time stamp);
- `prepare_external` / `finish_external`: a leader's signature made elsewhere (remote signing, e.g. SmartCA): the
  document is prepared and the digest of the CMS signed attributes handed out; the raw RSA signature comes back
  later and is embedded, time-stamped, and given its validation data;
- `accept_uploaded`: a file signed in the officer's browser (the CA's plugin) is taken only if it is the original
  plus one signature revision, valid, trusted and not revoked.

Network (TSA, OCSP, CRL) happens here: never call these inside a database transaction."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from io import BytesIO
from typing import Any, TypeVar

from .aio import run_sync
from .config import SigningNotConfigured, SigningSettings
from .keys import unit_signer_session
from .problems import SignatureRefused, refusal_or_unavailable
from .validate import SignatureReport, count_revisions, validate

MD = "sha256"
RESERVED = 24 * 1024  # bytes for the CMS (hex: twice that): chain + signature time stamp with the TSA's chain
STATE_VERSION = 1
T = TypeVar("T")


@dataclass(frozen=True)
class PreparedSignature:
    data_to_be_signed: bytes  # SHA-256 digest of the CMS signed attributes: what the signer's key signs
    state: bytes  # opaque, persistable: what finish_external needs (the prepared PDF, the attributes, the cert)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result; a failure is SignatureRefused (the certificate) or SigningUnavailable (the network)."""
    try:
        return run_sync(coro)
    except (SignatureRefused, SigningNotConfigured):
        raise
    except Exception as exc:
        raise refusal_or_unavailable(exc) from exc


def _metadata(field_name: str, reason: str, location: str, **extra: Any) -> Any:
    from pyhanko.sign import fields, signers

    return signers.PdfSignatureMetadata(field_name=field_name, reason=reason, location=location, md_algorithm=MD,
                                        subfilter=fields.SigSeedSubFilter.PADES, **extra)


def _writer(pdf: bytes) -> Any:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    return IncrementalPdfFileWriter(BytesIO(pdf), strict=False)


def seal(pdf: bytes, settings: SigningSettings, *, reason: str, location: str, field_name: str = "UnitSeal") -> bytes:
    """The unit's seal on `pdf`, PAdES-B-LTA."""
    from pyhanko.sign import signers

    timestamper = settings.timestamper()

    async def sign() -> bytes:
        with unit_signer_session(settings) as signer:
            meta = _metadata(field_name, reason, location, embed_validation_info=True, use_pades_lta=True,
                             validation_context=settings.validation_context())
            pdf_signer = signers.PdfSigner(meta, signer=signer, timestamper=timestamper)
            out = await pdf_signer.async_sign_pdf(_writer(pdf), output=BytesIO())
            return bytes(out.getvalue())

    return _run(sign())


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def prepare_external(pdf: bytes, signer_cert_der: bytes, chain_der: list[bytes], settings: SigningSettings, *,
                     reason: str, location: str, field_name: str = "LeaderSignature") -> PreparedSignature:
    """The document with an empty signature field reserved, and the digest the leader's key must sign."""
    from asn1crypto import x509
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    try:  # the certificate comes from the remote signing service: untrusted bytes
        cert = x509.Certificate.load(signer_cert_der)
        chain = [x509.Certificate.load(der) for der in chain_der]
        external = signers.ExternalSigner(cert, SimpleCertificateStore.from_certs([cert, *chain]),
                                          signature_value=cert.public_key.byte_size)
    except Exception as exc:
        raise SignatureRefused("invalid") from exc

    async def prepare() -> PreparedSignature:
        pdf_signer = signers.PdfSigner(_metadata(field_name, reason, location), signer=external)
        digest, _, output = await pdf_signer.async_digest_doc_for_signing(_writer(pdf), bytes_reserved=RESERVED)
        attributes = await external.signed_attrs(digest.document_digest, MD, use_pades=True)
        der = attributes.dump()
        state = {"v": STATE_VERSION, "pdf": _b64(output.getvalue()), "digest": _b64(digest.document_digest),
                 "start": digest.reserved_region_start, "end": digest.reserved_region_end, "attrs": _b64(der),
                 "cert": _b64(signer_cert_der), "chain": [_b64(c) for c in chain_der], "field": field_name}
        return PreparedSignature(hashlib.sha256(der).digest(), json.dumps(state).encode())

    return _run(prepare())


def _load_state(state: bytes) -> dict[str, Any]:
    try:
        found = json.loads(state)
        if found.get("v") != STATE_VERSION:
            raise ValueError("version")
        return {"pdf": base64.b64decode(found["pdf"]), "digest": base64.b64decode(found["digest"]),
                "start": int(found["start"]), "end": int(found["end"]), "attrs": base64.b64decode(found["attrs"]),
                "cert": base64.b64decode(found["cert"]), "chain": [base64.b64decode(c) for c in found["chain"]],
                "field": str(found["field"])}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise SignatureRefused("invalid_state") from exc


def _check_raw_signature(cert_der: bytes, attrs_der: bytes, signature_value: bytes) -> None:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = x509.load_der_x509_certificate(cert_der).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureRefused("invalid")
    try:
        key.verify(signature_value, attrs_der, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise SignatureRefused("invalid") from exc


def finish_external(state: bytes, signature_value: bytes, settings: SigningSettings) -> bytes:
    """The signed PDF: the raw signature (RSA PKCS#1 v1.5 over the prepared digest) checked against the signer's
    certificate and embedded, a signature time stamp added, then the validation data and a document time stamp."""
    from asn1crypto import cms, x509
    from pyhanko.sign import signers
    from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
    from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    found = _load_state(state)
    _check_raw_signature(found["cert"], found["attrs"], signature_value)
    cert = x509.Certificate.load(found["cert"])
    chain = [x509.Certificate.load(der) for der in found["chain"]]
    external = signers.ExternalSigner(cert, SimpleCertificateStore.from_certs([cert, *chain]),
                                      signature_value=signature_value)
    timestamper = settings.timestamper()

    async def finish() -> bytes:
        attributes = cms.CMSAttributes.load(found["attrs"])
        signed = await external.async_sign_prescribed_attributes(MD, attributes, timestamper=timestamper)
        output = BytesIO(found["pdf"])
        prepared = PreparedByteRangeDigest(found["digest"], found["start"], found["end"])
        await PdfTBSDocument.async_finish_signing(output, prepared, signed)
        return await _lta(output.getvalue(), found["field"], settings, timestamper)

    return _run(finish())


async def _lta(pdf: bytes, field_name: str, settings: SigningSettings, timestamper: Any) -> bytes:
    """The signature's validation data (chain, OCSP/CRL answers) into the DSS, then a document time stamp."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.signers import PdfTimeStamper
    from pyhanko.sign.validation import async_add_validation_info

    context = settings.validation_context()
    reader = PdfFileReader(BytesIO(pdf), strict=False)
    embedded = next(s for s in reader.embedded_signatures if s.field_name == field_name)
    with_dss = await async_add_validation_info(embedded, context, output=BytesIO())
    out = await PdfTimeStamper(timestamper).async_timestamp_pdf(_writer(with_dss.getvalue()), MD,
                                                                validation_context=context, output=BytesIO())
    return bytes(out.getvalue())


def accept_uploaded(original: bytes, uploaded: bytes, settings: SigningSettings) -> SignatureReport:
    """The signature a browser plugin added to `original`: refused (SignatureRefused) unless `uploaded` is
    `original` plus exactly one incremental revision holding one signature over the whole file, intact, trusted
    and not revoked."""
    if len(uploaded) > settings.verify_max_bytes:
        raise SignatureRefused("too_large")
    if not uploaded.startswith(b"%PDF-"):
        raise SignatureRefused("not_pdf")
    if len(uploaded) <= len(original) or not uploaded.startswith(original):
        raise SignatureRefused("not_incremental")
    report = validate(uploaded, settings)
    if report.problem in ("not_pdf", "no_signature"):
        raise SignatureRefused(report.problem)
    try:
        before = count_revisions(original)
    except Exception as exc:
        raise SignatureRefused("not_incremental") from exc
    if report.revisions != before + 1:
        raise SignatureRefused("not_incremental")
    added = [s for s in report.signatures if s.revision == before]
    if len(added) != 1:
        raise SignatureRefused("not_incremental" if not added else "invalid")
    signature = added[0]
    if signature.problem:
        raise SignatureRefused(signature.problem)
    if not signature.covers_whole:
        raise SignatureRefused("changed")
    return signature
