"""For tests of other areas that need a dossier paid online: the platform's outcome taken through the engine's
own settle path (the HTTP callback and its checksum are tested in test_payments.py against the stand-in)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.payments.models import PENDING, PaymentTransaction
from engine.payments.service import Outcome, settle


def pay_online(app: Flask, code: str, receipt: str = "0000001") -> dict[str, Any]:
    """A pending transaction for the fee the dossier owes, then the platform's "paid" for it."""
    services = app.extensions["motcua"]
    with services.uow() as uow:
        dossier = uow.session.scalars(select(Dossier).where(Dossier.code == code)).one()
        now = uow.clock()
        tracking = f"{code}{now:%Y%m%d%H%M%S}"
        uow.session.add(PaymentTransaction(dossier_id=dossier.id, tracking_code=tracking, amount=dossier.fee_amount,
                                           lines=[], state=PENDING, created_at=now, updated_at=now))
        uow.session.commit()
        done = settle(uow, Outcome(tracking, code, dossier.fee_amount, "paid", "GD-TEST",
                                   receipt={"receipt_number": receipt}), "callback")
    return {"tracking_code": tracking, "status": done.dossier_status}
