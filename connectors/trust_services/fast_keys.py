"""certomancer loads a private key afresh, with full RSA consistency checks, for every certificate, OCSP answer
and time stamp it signs (about 60 ms each). The demo PKI's keys are made by Motcua a moment before, so they are
loaded once, without the checks, and kept: `install()` puts this backend in certomancer's place (demo PKI only)."""

from __future__ import annotations

import threading
from typing import Any

from asn1crypto import keys, pem
from certomancer import crypto_utils
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def load_key(data: bytes, password: bytes | None = None) -> Any:
    load = serialization.load_pem_private_key if pem.detect(data) else serialization.load_der_private_key
    return load(data, password=password, unsafe_skip_rsa_key_validation=True)


class CachedKeys(crypto_utils.PycaCryptographyBackend):
    def __init__(self) -> None:
        self._keys: dict[bytes, Any] = {}
        self._lock = threading.Lock()

    def _key(self, der: bytes) -> Any:
        with self._lock:
            found = self._keys.get(der)
            if found is None:
                found = self._keys[der] = load_key(der)
            return found

    def load_private_key(self, key_bytes: bytes, password: bytes | None) -> tuple[Any, Any]:
        key = load_key(key_bytes, password)
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        with self._lock:
            self._keys[der] = key
        public = key.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        return keys.PrivateKeyInfo.load(der), keys.PublicKeyInfo.load(public)

    def generic_sign(self, private_key: Any, tbs_bytes: bytes, sd_algo: Any) -> bytes:
        if sd_algo.signature_algo != "rsassa_pkcs1v15":
            return bytes(super().generic_sign(private_key, tbs_bytes, sd_algo))
        key = self._key(private_key.dump())
        assert isinstance(key, rsa.RSAPrivateKey)
        return key.sign(tbs_bytes, padding.PKCS1v15(), getattr(hashes, sd_algo.hash_algo.upper())())


def install() -> None:
    if not isinstance(crypto_utils.CRYPTO_BACKEND, CachedKeys):
        crypto_utils.CRYPTO_BACKEND = CachedKeys()
