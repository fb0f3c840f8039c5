"""Password hashing with scrypt (standard library), the rules a password follows, and temporary passwords."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from engine.errors import ValidationFailed

_N, _R, _P = 2**14, 8, 1
MIN_LENGTH, MAX_LENGTH = 8, 200
# No 0/O, 1/l/I: a temporary password is read aloud or copied from a screen by the officer who receives it.
_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def check_password(password: str) -> None:
    """The one rule every way of setting a password follows (API, CLI, pages)."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed("password too short", {"password": [f"At least {MIN_LENGTH} characters."]})
    if len(password) > MAX_LENGTH:
        raise ValidationFailed("password too long", {"password": [f"At most {MAX_LENGTH} characters."]})


def temporary_password() -> str:
    """Twelve random letters and digits in three groups (about 60 bits), e.g. `k7mp-2xqa-9fht`."""
    letters = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return "-".join(letters[i:i + 4] for i in range(0, 12, 4))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(digest) // 2)
    return hmac.compare_digest(candidate.hex(), digest)


# Verifying against a dummy hash for unknown users keeps response times equal (no username probing).
DUMMY_HASH = hash_password(secrets.token_hex(8))
