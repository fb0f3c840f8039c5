"""Local accounts: scrypt-hashed passwords, created by the operator's CLI or by an administrator."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from .actors import ROLES, Actor
from .errors import Conflict, Unauthorized, ValidationFailed
from .models import User

_N, _R, _P = 2**14, 8, 1


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
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def create_user(session: Session, username: str, password: str, full_name: str, roles: list[str],
                unit_code: str | None = None) -> User:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise ValidationFailed("unknown roles", {"roles": [f"Unknown role(s): {', '.join(unknown)}."]})
    if len(password) < 8:
        raise ValidationFailed("password too short", {"password": ["At least 8 characters."]})
    if session.scalars(select(User).where(User.username == username)).first() is not None:
        raise Conflict(f"user '{username}' already exists")
    user = User(username=username, full_name=full_name, password_hash=hash_password(password),
                roles=sorted(set(roles)), unit_code=unit_code, active=True)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, _DUMMY_HASH)
        raise Unauthorized("wrong username or password")
    if not verify_password(password, user.password_hash) or not user.active:
        raise Unauthorized("wrong username or password")
    return user


_ACTOR = select(User.username, User.roles, User.unit_code, User.active).where(User.id == bindparam("user_id"))


def actor_for(session: Session, user_id: int) -> Actor:
    """The acting user as stored now: a deactivated account or a changed role takes effect at once."""
    row = session.execute(_ACTOR, {"user_id": user_id}).first()
    if row is None or not row.active:
        raise Unauthorized("account not found or disabled")
    return Actor(user_id=user_id, username=row.username, roles=frozenset(row.roles), unit_code=row.unit_code)
