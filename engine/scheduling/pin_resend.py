"""A lost PIN is sent again, as a new one, to the contact on file (the dossier's phone and e-mail).

Anyone may ask, so the answer never says whether the code exists or where the PIN went, and the same answer
comes whatever happens. Limits: each client address may ask `PER_CLIENT` times an hour (past it a 429, which
says nothing about the code, as it counts asks for every code alike); each code gets at most `PER_CODE` new PINs
a day, further asks being silently ignored, so that nobody can keep changing a citizen's PIN. A new PIN replaces
the old one at once (the hash changes), goes out through the outbox by SMS and e-mail, and the message's body is
wiped once sent. Audited as `pin_reset`, without the contact.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.dossiers.codes import new_pin
from engine.dossiers.models import Dossier
from engine.dossiers.service import pin_digest
from engine.store.throttle import address_key, blocked_until, count_event, refusal
from engine.store.uow import UnitOfWork

from .citizen_messages import contact, fields_for, queue

CLIENT_WINDOW = timedelta(hours=1)
PER_CLIENT = 5
CODE_WINDOW = timedelta(hours=24)
PER_CODE = 3
REFUSED = "too many requests for a new PIN from this address; try again later"


def resend_pin(uow: UnitOfWork, code: str, client: str, public_url: str) -> None:
    """Set and send a new PIN if the code exists and has a contact; the caller answers the same in every case."""
    now, code = uow.clock(), code.strip()[:40]
    per_client = f"pin:client:{address_key(client)}"
    until = blocked_until(uow, per_client, PER_CLIENT, CLIENT_WINDOW, now)
    if until is not None:
        raise refusal(REFUSED, until, now)
    count_event(uow, per_client, CLIENT_WINDOW, now)
    dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code)).first() if code else None
    if dossier is not None and contact(dossier):
        per_code = f"pin:code:{code}"
        if blocked_until(uow, per_code, PER_CODE, CODE_WINDOW, now) is None:
            count_event(uow, per_code, CODE_WINDOW, now)
            pin = new_pin()
            dossier.pin_hash = pin_digest(uow.pin_secret, dossier.code, pin)
            sent = queue(uow, dossier, "pin", {**fields_for(uow, dossier, public_url), "pin": pin}, now, secret=True)
            uow.record(None, "pin_reset", "dossier", dossier.code, unit=dossier.reception_unit,
                       dossier_id=dossier.id, at=now, detail={"by": "applicant", "messages": sent})
    uow.commit()
