"""The portal-sync message (the shared contract's §1): the dossier as it will be committed, and the progress of
the last change made to it in the transaction.

It is built inside the unit of work, before the flush (engine/store/uow.py's observers run without autoflush):
rows added in this transaction (a supplement request, the files handed in) are read from the session as well as
from the database, and are named by stable keys rather than by ids they do not have yet.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.dossiers.actions import ACTIONS
from engine.dossiers.models import Attachment, Dossier, SupplementRequest, TaskRecord
from engine.people.models import Membership, Unit, User
from engine.store.uow import UnitOfWork

RESULT_STATUSES = ("processed", "returned")  # a result exists from then on
ROLE_ORDER = ("leader", "specialist", "reception")  # the title shown when an officer holds several roles
SUPPLEMENT_RECEIVED = ("submitted", "accepted")  # SupplementRequest.state the portal calls "received"
# the path of the dossier's issued electronic result (/results/<code>/<token>.pdf), or None: handed in by the
# runtime (engine/verification/issued.py), as this area sits below the results
ResultLink = Callable[[UnitOfWork, Dossier], "str | None"]


@cache
def texts() -> dict[str, Any]:
    """engine/sync/progress.toml: excluded actions, progress sentences, titles."""
    return tomllib.loads((Path(__file__).with_name("progress.toml")).read_text(encoding="utf-8"))


def excluded_actions() -> frozenset[str]:
    return frozenset(texts()["excluded"]["actions"])


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _pending(uow: UnitOfWork, kind: type, dossier_id: int) -> list[Any]:
    """Rows of `kind` added to the session in this transaction, not yet flushed."""
    return [o for o in uow.session.new if isinstance(o, kind) and o.dossier_id == dossier_id]


def _user_name(uow: UnitOfWork, user_id: int | None) -> str:
    user = uow.session.get(User, user_id) if user_id is not None else None
    return user.full_name if user is not None else texts()["titles"]["system"]


def _procedure(meta: dict[str, Any], dossier: Dossier) -> dict[str, Any]:
    field = meta.get("field") or {}  # optional in procedure.toml: the national catalogue's field
    return {"code": dossier.procedure_code, "national_code": meta.get("national_code"), "name": meta["name"]["vi"],
            "field_code": field.get("code"), "field_name": field.get("name")}


def _applicant(dossier: Dossier) -> dict[str, Any]:
    applicant = dossier.applicant or {}

    def text(key: str) -> str | None:
        value = applicant.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    return {"name": dossier.applicant_name, "kind": "business" if dossier.applicant_kind == "business" else "person",
            "email": text("email"), "phone": text("phone"),
            "id_number": text("id_number") or dossier.applicant_key}


def _fees(meta: dict[str, Any], dossier: Dossier) -> list[dict[str, Any]]:
    if not dossier.fee_amount and dossier.fee_exempted_at is None:
        return []
    method = None if dossier.paid_at is None else ("online" if dossier.paid_online else "counter")
    name = "Phí, lệ phí" + (" (được miễn)" if dossier.fee_exempted_at is not None else "")
    return [{"code": f"{dossier.procedure_code}-le-phi", "name": name,
             "amount": 0 if dossier.fee_exempted_at is not None else int(dossier.fee_amount or 0),
             "kind": "fee", "method": method, "paid_at": iso(dossier.paid_at)}]


def _documents(uow: UnitOfWork, dossier: Dossier, names: dict[str, str]) -> list[dict[str, Any]]:
    rows = list(uow.session.scalars(select(Attachment).where(Attachment.dossier_id == dossier.id)
                                    .order_by(Attachment.id)))
    rows += [a for a in _pending(uow, Attachment, dossier.id) if a not in rows]
    # the file's content names it: stable before the row has an id, and the same in every later message
    return [{"id": f"{a.document}-{a.sha256[:16]}", "name": a.file_name or names.get(a.document, a.document),
             "document_code": a.document, "deleted": False, "url": None} for a in rows]


def _results(uow: UnitOfWork, meta: dict[str, Any], dossier: Dossier, public_url: str,
             result_link: ResultLink | None) -> list[dict[str, Any]]:
    """The result, once there is one; with the link to the signed PDF once it is issued electronically (a
    capability URL naming that very file)."""
    path = result_link(uow, dossier) if result_link is not None else None
    if dossier.status not in RESULT_STATUSES and path is None:
        return []
    url = f"{public_url.rstrip('/')}{path}" if path else None
    return [{"id": f"{dossier.code}-KQ", "name": meta["result"]["name"], "document_code": None, "url": url}]


def _supplements(uow: UnitOfWork, dossier: Dossier) -> list[dict[str, Any]]:
    rows = list(uow.session.scalars(select(SupplementRequest).where(SupplementRequest.dossier_id == dossier.id)
                                    .order_by(SupplementRequest.id)))
    rows += [r for r in _pending(uow, SupplementRequest, dossier.id) if r not in rows]
    found = []
    for request in sorted(rows, key=lambda r: r.round):
        received = request.state in SUPPLEMENT_RECEIVED or (request.state == "closed" and request.decided_at)
        content = "; ".join(request.missing) + (f". {request.guidance}" if request.guidance else "")
        found.append({"id": f"{dossier.code}-BS{request.round}", "requested_by": _user_name(uow, request.requested_by),
                      "content": content, "requested_at": iso(request.requested_at),
                      "received_at": iso(request.submitted_at or request.decided_at) if received else None,
                      "state": "received" if received else "requested", "due_before": None, "due_after": None})
    return found


def _title(uow: UnitOfWork, entry: dict[str, Any], task: TaskRecord | None) -> str:
    titles = texts()["titles"]
    if entry.get("actor_id") is None:
        return titles["system"]
    held = set(uow.session.scalars(select(Membership.role_code).where(
        Membership.user_id == entry["actor_id"], Membership.unit_code == entry.get("actor_unit"))))
    rule = ACTIONS.get(entry["action"])
    wanted = {task.role} if task is not None and task.role else (set(rule.roles) if rule else set(ROLE_ORDER))
    role = next((r for r in ROLE_ORDER if r in held & wanted), None) or next(
        (r for r in ROLE_ORDER if r in held), None)
    return titles.get(role, "") if role else ""


def _progress(uow: UnitOfWork, dossier: Dossier, entry: dict[str, Any]) -> dict[str, Any]:
    task = uow.session.get(TaskRecord, entry["task_id"]) if entry.get("task_id") else None
    sentences = texts()["progress"]
    step = entry.get("step") or (task.name if task is not None else "")
    unit = uow.session.get(Unit, entry["actor_unit"]) if entry.get("actor_unit") else None
    return {"officer": _user_name(uow, entry.get("actor_id")), "title": _title(uow, entry, task),
            "at": iso(entry["at"]), "department": unit.name if unit is not None else "",
            "content": sentences.get(entry["action"], sentences["default"]).format(step=step),
            "status": dossier.status,
            "started_at": iso(task.created_at if task is not None else dossier.received_at),
            "legal_due_at": iso(task.due_at if task is not None else dossier.due_at)}


def build(uow: UnitOfWork, dossier: Dossier, entry: dict[str, Any], updating: bool,
          public_url: str = "", result_link: ResultLink | None = None) -> dict[str, Any]:
    """The message for `dossier` whose last change in this transaction is the audit `entry`; links are absolute
    from `public_url` (MOTCUA_PUBLIC_URL)."""
    meta = uow.cache.get(uow.session, dossier.procedure_version_id).meta
    names = {d["code"]: d["name"] for d in meta.get("documents", [])}
    competent = uow.session.get(Unit, dossier.competent_unit) if dossier.competent_unit else None
    applicant = _applicant(dossier)
    return {
        "updating": updating,
        "dossier": {
            "code": getattr(dossier, "portal_code", None) or dossier.code,  # the portal's own code, when it has one
            "receipt_number": dossier.code,
            "procedure": _procedure(meta, dossier), "applicant": applicant,
            "summary": f"{meta['name']['vi']} – {applicant['name']}",
            "status": dossier.status, "channel": dossier.channel,
            "received_at": iso(dossier.received_at), "due_at": iso(dossier.due_at),
            "processed_at": iso(dossier.processed_at), "returned_at": iso(dossier.returned_at),
            "finished_at": iso(dossier.finished_at),
            "unit": {"code": dossier.competent_unit, "name": competent.name if competent is not None else None},
            "note": dossier.fee_exemption_reason or "",
            "fees": _fees(meta, dossier), "documents": _documents(uow, dossier, names),
            "results": _results(uow, meta, dossier, public_url, result_link), "supplements": _supplements(uow, dossier),
        },
        "progress": _progress(uow, dossier, entry),
    }
