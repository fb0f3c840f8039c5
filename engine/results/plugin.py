"""The leader's signature through a browser plugin (the government CA's VGCA plugin signs on the officer's
computer): the leader downloads the draft, signs it there and uploads the signed file here. It is accepted only
when it is our draft plus exactly one valid, trusted, unrevoked signature covering the whole file, made with a
certificate in the leader's own name; then it is kept (leader_signed) and the unit's seal follows."""

from __future__ import annotations

import unicodedata

from engine.errors import Conflict, ValidationFailed
from engine.people.actors import Actor
from engine.people.models import User
from engine.signing.config import SigningSettings
from engine.signing.pades import accept_uploaded
from engine.signing.problems import SignatureRefused, message_vi

from .issue import OpenUow, keep_leader_signed, locked
from .models import AWAITING, PENDING
from .service import check_leader, document, result_of

NOT_THE_LEADER = "Chứng thư số dùng để ký không mang tên lãnh đạo đang đăng nhập."


class SignatureNotAccepted(ValidationFailed):
    """422: the upload is refused; `reason` is the code, `message_vi` the sentence the leader reads."""

    title = "Signature not accepted"
    code = "signature-refused"

    def __init__(self, detail: str, reason: str, message_vi: str) -> None:
        super().__init__(detail, {"file": [message_vi]})
        self.extra.update(reason=reason, message_vi=message_vi)


def _plain(name: str) -> str:
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


def accept_signed_upload(open_uow: OpenUow, actor: Actor, code: str, uploaded: bytes,
                         settings: SigningSettings) -> None:
    """awaiting_leader (or leader_pending: the plugin instead of the phone) -> leader_signed."""
    with open_uow() as uow:
        dossier, row = result_of(uow, actor, code)
        check_leader(actor, dossier)
        if row is None or row.state not in (AWAITING, PENDING):
            raise Conflict("the result is not waiting for the leader's signature", state=row.state if row else None)
        found = document(uow, row.draft_id)
        user = uow.session.get(User, actor.user_id)
        assert found is not None and user is not None
        row_id, draft_id, full_name = row.id, row.draft_id, user.full_name
    try:  # bounded (Part S): no transaction open
        report = accept_uploaded(found[1], uploaded, settings)
    except SignatureRefused as exc:
        raise SignatureNotAccepted(f"the signed file is refused: {exc.code}", reason=exc.code,
                                   message_vi=exc.message_vi) from None
    except Exception as exc:  # a file the library cannot read: refused, never a server error
        raise SignatureNotAccepted(f"the signed file cannot be read: {type(exc).__name__}", reason="invalid",
                                   message_vi=message_vi("invalid")) from None
    if _plain(report.signer_name or "") != _plain(full_name):
        raise SignatureNotAccepted("the certificate is not in the leader's name", reason="not_the_leader",
                                   message_vi=NOT_THE_LEADER)
    with open_uow() as uow:
        row = locked(uow, row_id)
        if row is None or row.state not in (AWAITING, PENDING) or row.draft_id != draft_id:
            raise Conflict("the result changed meanwhile; reload", state=row.state if row else None)
        row.remote_transaction = None
        keep_leader_signed(uow, row, uploaded, actor.user_id, {"via": "plugin", "serial": report.serial})
        uow.commit()
