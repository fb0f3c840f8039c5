"""A second person's approval before a draft is published (MOTCUA_PUBLISH_APPROVAL=1).

A reform officer or designer asks for publication of a draft, with a note (why: the reform decision). Another
person approves (the draft is published with that note) or sends it back with a reason; the one who asked
never decides. Reviewers: designers, reform officers, administrators and leaders of a top-level unit: like
the procedures themselves, the decision is the whole organisation's. A save of the draft after the request
voids it (`drafts.save_draft`), so what is approved is what was asked for. Each step is audited, and the
people concerned are told in the app (and by e-mail when they have an address).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.people.actors import ORGANISATION_ROLES, Actor
from engine.people.models import Membership, Unit, User
from engine.procedures.models import Procedure, ProcedureVersion
from engine.scheduling.notifications import notify
from engine.store.uow import UnitOfWork

from .drafts import check_publishable, is_reformer, make_current, require_reformer, version_row
from .models import PublishRequest

NOTE_MAX = 2000


def may_review(actor: Actor) -> bool:
    return is_reformer(actor) or "leader" in actor.everywhere


def require_reviewer(actor: Actor) -> None:
    if not may_review(actor):
        raise Forbidden("approving a publication needs the designer or reform officer role, or the leader or "
                        "administrator role at the top of the organisation")


def waiting_request(uow: UnitOfWork, version_id: int) -> PublishRequest | None:
    return uow.session.scalars(select(PublishRequest).where(PublishRequest.version_id == version_id,
                                                            PublishRequest.status == "pending")).first()


def _text(value: str, name: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(f"{what} is required", {name: ["Required."]})
    if len(value) > NOTE_MAX:
        raise ValidationFailed(f"{what} is too long", {name: [f"At most {NOTE_MAX} characters."]})
    return value


def request_publication(uow: UnitOfWork, actor: Actor, code: str, number: int, note: str) -> PublishRequest:
    """Ask for a clean draft to be published; one waiting request per draft."""
    require_reformer(actor)
    note = _text(note, "note", "a note (why publish)")
    version = check_publishable(uow, code, number)
    if waiting_request(uow, version.id) is not None:
        raise Conflict(f"version {number} of {code} already waits for approval")
    request = PublishRequest(procedure_code=code, version_id=version.id, content_hash=version.content_hash,
                             status="pending", note=note, requested_by=actor.user_id, requested_at=uow.clock())
    uow.session.add(request)
    uow.session.flush()
    uow.record(actor, "publish_requested", "procedure", code,
               after={"version": number, "request": request.id, "content_hash": version.content_hash},
               detail={"note": note})
    notify(uow.session, _reviewers(uow, actor.user_id), f"Đề nghị công bố: {code}, phiên bản {number}",
           f"{_name(uow, actor.user_id)} đề nghị công bố phiên bản {number} của thủ tục {code}: {note}",
           {"kind": "publish_requested", "procedure": code, "version": number}, uow.clock())
    uow.commit()
    return request


def _decidable(uow: UnitOfWork, actor: Actor, code: str, number: int) -> tuple[ProcedureVersion, PublishRequest]:
    require_reviewer(actor)
    version = version_row(uow, code, number)
    request = waiting_request(uow, version.id)
    if request is None:
        raise Conflict(f"no request to publish version {number} of {code} is waiting")
    if request.requested_by == actor.user_id:
        raise Forbidden("the person who asked for the publication cannot decide on it: another person must")
    if request.content_hash != version.content_hash:  # saves void requests; this guards a race with one
        raise Conflict(f"version {number} of {code} changed after the request: it must be asked for again")
    return version, request


def _claim(uow: UnitOfWork, actor: Actor, request: PublishRequest, status: str, reason: str | None) -> None:
    """Decide, once: of two people deciding at the same moment, the second finds nothing waiting (409)."""
    now = uow.clock()
    decided = uow.session.execute(
        update(PublishRequest).where(PublishRequest.id == request.id, PublishRequest.status == "pending")
        .values(status=status, decided_by=actor.user_id, decided_at=now, reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if decided != 1:
        raise Conflict(f"this request to publish a version of {request.procedure_code} was decided meanwhile")
    request.status, request.decided_by, request.decided_at, request.reason = status, actor.user_id, now, reason


def approve(uow: UnitOfWork, actor: Actor, code: str, number: int, note: str = "") -> ProcedureVersion:
    """Approve the waiting request: the draft is published, with the requester's note."""
    version, request = _decidable(uow, actor, code, number)
    check_publishable(uow, code, number)
    _claim(uow, actor, request, "approved", (note or "").strip()[:NOTE_MAX] or None)
    uow.record(actor, "publish_approved", "procedure", code,
               after={"version": number, "request": request.id, "content_hash": request.content_hash},
               detail={"note": request.reason or "", "requested_by": request.requested_by})
    make_current(uow, actor, version, request.note)
    _tell_requester(uow, request, f"Đã phê duyệt công bố: {code}, phiên bản {number}",
                    f"{_name(uow, actor.user_id)} đã phê duyệt; phiên bản {number} của thủ tục {code} đã được "
                    "công bố.", "publish_approved", number)
    uow.commit()
    return version


def reject(uow: UnitOfWork, actor: Actor, code: str, number: int, reason: str) -> PublishRequest:
    """Send the request back with a reason: the draft stays a draft, to be fixed and asked for again."""
    reason = _text(reason, "reason", "a reason")
    _version, request = _decidable(uow, actor, code, number)
    _claim(uow, actor, request, "rejected", reason)
    uow.record(actor, "publish_rejected", "procedure", code,
               after={"version": number, "request": request.id}, detail={"reason": reason})
    _tell_requester(uow, request, f"Đề nghị công bố bị trả lại: {code}, phiên bản {number}",
                    f"{_name(uow, actor.user_id)} trả lại đề nghị công bố phiên bản {number} của thủ tục "
                    f"{code}. Lý do: {reason}", "publish_rejected", number)
    uow.commit()
    return request


@dataclass
class RequestRow:
    """A request as pages and the API show it, with the people's names."""

    id: int
    procedure: str
    procedure_name: str
    version: int
    status: str
    note: str
    requested_by: int
    requested_by_name: str
    requested_at: datetime
    decided_by: int | None
    decided_by_name: str | None
    decided_at: datetime | None
    reason: str | None


def request_rows(uow: UnitOfWork, code: str | None = None, number: int | None = None,
                 pending_only: bool = False) -> list[RequestRow]:
    """Requests, newest first: the waiting ones of every procedure, or all of one version."""
    query = (select(PublishRequest, ProcedureVersion.number, Procedure.name_vi)
             .join(ProcedureVersion, ProcedureVersion.id == PublishRequest.version_id)
             .join(Procedure, Procedure.code == PublishRequest.procedure_code))
    if code is not None:
        query = query.where(PublishRequest.procedure_code == code)
    if number is not None:
        query = query.where(ProcedureVersion.number == number)
    if pending_only:
        query = query.where(PublishRequest.status == "pending")
    found = uow.session.execute(query.order_by(PublishRequest.id.desc())).all()
    ids = {r.requested_by for r, _n, _p in found} | {r.decided_by for r, _n, _p in found if r.decided_by}
    names = dict(uow.session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).tuples().all()) \
        if ids else {}
    return [RequestRow(r.id, r.procedure_code, name, n, r.status, r.note, r.requested_by,
                       names.get(r.requested_by, ""), r.requested_at, r.decided_by,
                       names.get(r.decided_by) if r.decided_by else None, r.decided_at, r.reason)
            for r, n, name in found]


def _name(uow: UnitOfWork, user_id: int) -> str:
    user = uow.session.get(User, user_id)
    return user.full_name if user else str(user_id)


def _reviewers(uow: UnitOfWork, requester: int) -> list[User]:
    top = select(Unit.code).where(Unit.parent_code.is_(None))
    members = select(Membership.user_id).where(or_(
        Membership.role_code.in_(ORGANISATION_ROLES),
        Membership.role_code.in_(("leader", "admin")) & Membership.unit_code.in_(top)))
    return list(uow.session.scalars(select(User).where(User.active.is_(True), User.id.in_(members),
                                                       User.id != requester).order_by(User.id)))


def _tell_requester(uow: UnitOfWork, request: PublishRequest, subject: str, body: str, kind: str,
                    number: int) -> None:
    requester = uow.session.get(User, request.requested_by)
    if requester is not None and requester.active:
        notify(uow.session, [requester], subject, body,
               {"kind": kind, "procedure": request.procedure_code, "version": number}, uow.clock())
