"""The leader's certificate checked before a remote request goes to the phone: trusted (chained to a root of
MOTCUA_SIGNING_TRUST_ROOTS), valid now, not revoked (OCSP/CRL, hard-fail), usable for a signature. A revoked or
unknown certificate is refused at once, with the sentence the leader reads, instead of after the confirmation."""

from __future__ import annotations

from engine.signing.aio import run_sync
from engine.signing.config import SigningSettings
from engine.signing.problems import SignatureRefused


def check_certificate(cert_der: bytes, chain_der: list[bytes], settings: SigningSettings) -> None:
    """Raises SignatureRefused (revoked | unknown_ca | expired | invalid); network: OCSP/CRL, no transaction open."""
    from asn1crypto import x509
    from pyhanko_certvalidator import CertificateValidator
    from pyhanko_certvalidator.errors import (
        ExpiredError,
        InvalidCertificateError,
        NotYetValidError,
        PathBuildingError,
        RevokedError,
    )

    try:
        cert = x509.Certificate.load(cert_der)
        chain = [x509.Certificate.load(der) for der in chain_der]
    except ValueError:
        raise SignatureRefused("invalid") from None
    validator = CertificateValidator(cert, intermediate_certs=chain, validation_context=settings.validation_context())
    try:
        run_sync(validator.async_validate_usage({"digital_signature"}))
    except RevokedError:
        raise SignatureRefused("revoked") from None
    except PathBuildingError:
        raise SignatureRefused("unknown_ca") from None
    except (ExpiredError, NotYetValidError):
        raise SignatureRefused("expired") from None
    except InvalidCertificateError:
        raise SignatureRefused("invalid") from None
