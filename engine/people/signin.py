"""Signing in with a local account."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Unauthorized

from .models import User
from .passwords import DUMMY_HASH, verify_password


def authenticate(session: Session, username: str, password: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        verify_password(password, DUMMY_HASH)
        raise Unauthorized("wrong username or password")
    if not verify_password(password, user.password_hash) or not user.active:
        raise Unauthorized("wrong username or password")
    return user
