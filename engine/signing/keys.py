"""The unit's signing key as a pyHanko signer: a PKCS#12 file (loaded once per process and file version), or a key
on a PKCS#11 token (an HSM or a USB token: a session is opened for each seal and closed after)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import SigningSettings

_cache: dict[tuple[str, float, str], Any] = {}
_lock = threading.Lock()


def _signer_class() -> type:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    from pyhanko.sign.signers import SimpleSigner

    class UnitSigner(SimpleSigner):  # type: ignore[misc]
        """pyHanko's SimpleSigner parses and checks the key again for every signature (~0.2 s for RSA 2048); the
        unit key is parsed once per process."""

        _pyca: Any = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if mechanism != "rsassa_pkcs1v15" or digest_algorithm.lower() != "sha256":
                return bytes(super().sign_raw(data, digest_algorithm))
            if self._pyca is None:
                self._pyca = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            assert isinstance(self._pyca, rsa.RSAPrivateKey)
            return self._pyca.sign(data, padding.PKCS1v15(), hashes.SHA256())

    return UnitSigner


def load_unit_signer(settings: SigningSettings) -> Any:
    """The PKCS#12 signer (for the PKCS#11 path use `unit_signer_session`)."""
    from pyhanko.sign.signers import SimpleSigner

    from .config import SigningNotConfigured

    if settings.unit_pkcs12 is None:
        raise SigningNotConfigured("MOTCUA_SIGNING_UNIT_PKCS12 is unset")
    path = settings.unit_pkcs12
    key = (str(path.resolve()), path.stat().st_mtime, settings.unit_password)
    with _lock:
        found = _cache.get(key)
        if found is None:
            try:
                loaded = SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(),
                                                       passphrase=settings.unit_password.encode() or None)
            except ValueError as exc:
                raise SigningNotConfigured(f"{path}: not a PKCS#12 file, or a wrong password") from exc
            found = _signer_class()(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                                    cert_registry=loaded.cert_registry)
            _cache.clear()
            _cache[key] = found
        return found


@contextmanager
def unit_signer_session(settings: SigningSettings) -> Iterator[Any]:
    """The unit's signer for one operation: PKCS#11 when a module is set, else the PKCS#12 file."""
    if not settings.pkcs11_module:
        yield load_unit_signer(settings)
        return
    from pyhanko.config.pkcs11 import TokenCriteria
    from pyhanko.sign.pkcs11 import PKCS11Signer, open_pkcs11_session

    from .config import SigningNotConfigured

    if not settings.pkcs11_key_label:
        raise SigningNotConfigured("MOTCUA_SIGNING_UNIT_PKCS11_KEY_LABEL is unset")
    session = open_pkcs11_session(settings.pkcs11_module,
                                  token_criteria=TokenCriteria(label=settings.pkcs11_token),
                                  user_pin=settings.pkcs11_pin)
    try:
        yield PKCS11Signer(session, key_label=settings.pkcs11_key_label, cert_label=settings.pkcs11_key_label,
                           other_certs_to_pull=None)  # None: every certificate on the token (the chain)
    finally:
        session.close()


def unit_certificate(settings: SigningSettings) -> Any:
    """The unit's certificate (asn1crypto), for the health check."""
    with unit_signer_session(settings) as signer:
        return signer.signing_cert
