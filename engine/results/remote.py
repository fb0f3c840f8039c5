"""The leader's signature through a remote signing service (SmartCA-style): the draft prepared for an external
signature, its digest sent, the leader confirms on the phone; the scheduler's `results` job (or the service's
webhook) asks how it stands and, once confirmed, embeds the signature. The service is handed in (`Remote`, built
by the entry points from connectors/remote_signing): the engine knows no connector."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.errors import Conflict
from engine.people.actors import Actor
from engine.signing.config import SigningSettings
from engine.signing.pades import finish_external, prepare_external
from engine.signing.problems import SignatureRefused, message_vi
from engine.signing.validate import validate

from .certificates import check_certificate
from .issue import REASON, OpenUow, failed, keep_leader_signed, locked, place
from .models import AWAITING, PENDING, ResultDocument
from .service import check_leader, document, result_of

MAX_FINISH_ATTEMPTS = 3
STATE_MESSAGES = {"rejected": "Lãnh đạo đã từ chối ký trên điện thoại.",
                  "expired": "Hết thời gian xác nhận ký trên điện thoại; hãy gửi lại yêu cầu ký."}


class ServiceUnavailable(Exception):
    """What the handed-in service functions raise: the service is down (`answered` False) or refused."""

    def __init__(self, reason: str, answered: bool = False) -> None:
        super().__init__(reason)
        self.answered = answered


class SigningUnavailable(Conflict):
    title = "Remote signing unavailable"
    code = "remote-signing-unavailable"


@dataclass(frozen=True)
class RemoteStatus:
    state: str  # pending | confirmed | rejected | expired
    signature: bytes | None = None
    reason: str = ""


@dataclass(frozen=True)
class Remote:
    certificate: Callable[[str, str], tuple[bytes, list[bytes], str]]  # user, tx -> (cert, chain, serial)
    sign: Callable[[str, str, str, str, bytes, str], None]  # user, tx, description, serial, digest, doc id
    status: Callable[[str], RemoteStatus]  # tx -> where it stands
    expiry: float = 300.0  # seconds the leader has to confirm


def start_remote(open_uow: OpenUow, actor: Actor, code: str, remote: Remote, settings: SigningSettings) -> str:
    """awaiting_leader -> leader_pending: the request is at the phone; its transaction id."""
    with open_uow() as uow:
        dossier, row = result_of(uow, actor, code)
        check_leader(actor, dossier)
        if row is None or row.state != AWAITING:
            raise Conflict("the result is not waiting for the leader's signature",
                           state=row.state if row else None)
        found = document(uow, row.draft_id)
        assert found is not None
        row_id, location, number, unit = row.id, place(uow, dossier), row.number, dossier.competent_unit
    tx = f"{code[:60]}-{secrets.token_hex(6)}"
    try:  # no transaction open: the service's time is not the database's
        cert, chain, serial = remote.certificate(actor.username, tx)
        check_certificate(cert, chain, settings)  # revoked or unknown: refused before the phone is asked
        prepared = prepare_external(found[1], cert, chain, settings, reason=REASON, location=location)
        remote.sign(actor.username, tx, f"Ký kết quả giải quyết hồ sơ {code}, số {number}", serial,
                    prepared.data_to_be_signed, code)
    except ServiceUnavailable as exc:
        raise SigningUnavailable("the remote signing service cannot take the request now",
                                 reason=str(exc)[:300]) from None
    except SignatureRefused as exc:
        raise Conflict("the leader's certificate cannot sign", reason=exc.code, message_vi=exc.message_vi) from None
    except Exception as exc:  # OCSP or CRL unreachable, a certificate the library cannot read: not now
        raise SigningUnavailable("the leader's certificate could not be checked now", reason=type(exc).__name__,
                                 message_vi=message_vi("invalid")) from None
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != AWAITING:
            raise Conflict("the result changed meanwhile; reload", state=row.state if row else None)
        now = uow.clock()
        row.state, row.remote_transaction, row.remote_state = PENDING, tx, prepared.state
        row.remote_requested_at, row.leader_id, row.error, row.attempts = now, actor.user_id, None, 0
        row.updated_at = now
        uow.record(actor, "result_signing_requested", "result", code, unit=unit,
                   dossier_id=row.dossier_id, before={"state": AWAITING}, after={"state": PENDING},
                   detail={"transaction": tx})
        uow.commit()
    return tx


def _back(open_uow: OpenUow, row_id: int, tx: str, action: str, message: str, code: str | None = None) -> None:
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != PENDING or row.remote_transaction != tx:
            return
        row.state, row.error, row.remote_state, row.updated_at = AWAITING, message, None, uow.clock()
        dossier = uow.session.get(Dossier, row.dossier_id)
        uow.record(None, action, "result", dossier.code if dossier else None, dossier_id=row.dossier_id,
                   before={"state": PENDING}, after={"state": AWAITING}, detail={"transaction": tx, "code": code})
        uow.commit()


def poll_remote(open_uow: OpenUow, row_id: int, remote: Remote, settings: SigningSettings) -> str:
    """Ask the service about a pending request and act on it; the state it is in afterwards."""
    with open_uow() as uow:
        row = uow.session.get(ResultDocument, row_id)
        if row is None or row.state != PENDING or not row.remote_transaction or not row.remote_state:
            return row.state if row else "gone"
        tx, state, leader_id = row.remote_transaction, row.remote_state, row.leader_id
        requested, attempts, now = row.remote_requested_at, row.attempts, uow.clock()
    status = remote.status(tx)  # ServiceUnavailable: the caller stops (the next run asks again)
    if status.state == "pending":
        if requested is not None and now - requested > timedelta(seconds=remote.expiry):
            _back(open_uow, row_id, tx, "result_signing_rejected", STATE_MESSAGES["expired"], "expired")
            return AWAITING
        return PENDING
    if status.state != "confirmed" or not status.signature:
        _back(open_uow, row_id, tx, "result_signing_rejected", STATE_MESSAGES.get(status.state, status.reason),
              status.state)
        return AWAITING
    try:
        signed = finish_external(state, status.signature, settings)
        report = validate(signed, settings)
        if not report.ok:
            raise SignatureRefused(report.problem or "invalid")
    except SignatureRefused as exc:
        _back(open_uow, row_id, tx, "result_signature_refused", exc.message_vi, exc.code)
        return AWAITING
    except Exception as exc:  # the TSA or OCSP away: tried again, then given back to the leader
        if attempts + 1 >= MAX_FINISH_ATTEMPTS:
            _back(open_uow, row_id, tx, "result_signature_refused", message_vi("invalid"), type(exc).__name__)
            return AWAITING
        failed(open_uow, row_id, PENDING, f"Chưa hoàn tất được chữ ký: {type(exc).__name__}")
        return PENDING
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state != PENDING or row.remote_transaction != tx:
            return row.state if row else "gone"
        keep_leader_signed(uow, row, signed, leader_id, {"via": "remote", "transaction": tx})
        uow.commit()
    return "leader_signed"


def pending_ids(open_uow: OpenUow, transaction: str | None = None) -> list[int]:
    with open_uow() as uow:
        query = select(ResultDocument.id).where(ResultDocument.state == PENDING)
        if transaction is not None:
            query = query.where(ResultDocument.remote_transaction == transaction[:100])
        return list(uow.session.scalars(query.order_by(ResultDocument.updated_at).limit(100)))
