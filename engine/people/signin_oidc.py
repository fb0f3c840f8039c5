"""Officers signing in through the province's OpenID provider: the provider vouches for who the person is, and a
claim (MOTCUA_OFFICER_OIDC_USERNAME_CLAIM) names the Motcua account; memberships and roles stay Motcua's. An
unknown or disabled account is refused, like a wrong password; local passwords remain for bootstrapping."""

from __future__ import annotations

from sqlalchemy import select

from engine.errors import Unauthorized
from engine.store.uow import UnitOfWork

from .models import User
from .organisation import actor_for


def sign_in_by_provider(uow: UnitOfWork, username: str, subject: str, client: str | None) -> User:
    """The active account named `username`, its sign-in audited (with the provider's subject); Unauthorized
    otherwise (also audited: someone the provider knows tried an account Motcua does not give them)."""
    user = uow.session.scalars(select(User).where(User.username == username[:200])).first() if username else None
    if user is None or not user.active:
        uow.record(None, "signin_refused", "user", user.id if user else None,
                   detail={"via": "oidc", "subject": subject[:200], "client": client,
                           "reason": "disabled" if user else "unknown"})
        uow.commit()
        raise Unauthorized("no active Motcua account for this identity")
    actor = actor_for(uow.session, uow.org, user.id)
    uow.record(actor, "signed_in", "user", user.id, detail={"client": client, "via": "oidc", "subject": subject[:200]})
    uow.commit()
    return user
