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
            found = SimpleSigner.load_pkcs12_data(path.read_bytes(), other_certs=(),
                                                  passphrase=settings.unit_password.encode() or None)
            if found is None:
                raise SigningNotConfigured(f"{path}: not a PKCS#12 file, or a wrong password")
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
        yield PKCS11Signer(session, key_label=settings.pkcs11_key_label, cert_label=settings.pkcs11_key_label)
    finally:
        session.close()


def unit_certificate(settings: SigningSettings) -> Any:
    """The unit's certificate (asn1crypto), for the health check."""
    with unit_signer_session(settings) as signer:
        return signer.signing_cert
