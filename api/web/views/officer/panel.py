"""What the task page and the dossier page both show about a dossier: facts, attachments, documents, steps,
history and the diagram's data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import select

from engine.dossiers.actions import ACTIONS, fee_owed
from engine.dossiers.documents import KINDS
from engine.dossiers.models import Dossier
from engine.dossiers.record import step_records
from engine.dossiers.service import DossierView, get_dossier
from engine.people.models import Unit, User
from engine.procedures.models import Procedure, ProcedureVersion
from engine.store.uow import UnitOfWork

from ....integers import INT32_MAX, parse_int
from ...i18n import select_locale

# The parameters each lifecycle action's form asks for: (field, kind); kinds say how the form value is read.
ACTION_FIELDS: dict[str, list[tuple[str, str]]] = {
    "receive": [("documents", "checks")],
    "refuse": [("reasons", "lines")],
    "request_supplement": [("documents", "wanted"), ("missing", "lines"), ("guidance", "text")],
    "supplement_received": [("note", "text")],
    "request_supplement_again": [("documents", "wanted"), ("missing", "lines"), ("guidance", "text")],
    "require_payment": [("amount", "int"), ("note", "text")],
    "record_payment": [("online", "counter"), ("receipt", "text")],  # online payments: the platform's (engine/payments)
    "stop": [("reason", "text")],
    "withdraw": [("reason", "text")],
    "return_result": [("recipient", "text"), ("note", "text")],
    "exempt_fee": [("reason", "text")],
}
assert set(ACTION_FIELDS) == set(ACTIONS), "every lifecycle action needs its form"
# Ending or refusing a dossier cannot be undone: those forms ask the officer to confirm.
DESTRUCTIVE = frozenset({"refuse", "stop", "withdraw"})


def applicable_documents(dossier: Dossier, now: datetime) -> list[str]:
    """The official documents (01-06) that the dossier's history calls for, in their legal order."""
    late = dossier.finished_at is None and dossier.due_at is not None and (
        dossier.due_at <= now or (dossier.apology_at is not None and dossier.apology_at <= now))
    wanted = {
        "receipt": dossier.received_at is not None,
        "supplement-request": bool(dossier.supplement_count) or bool(dossier.missing_documents),
        "refusal": dossier.status == "refused",
        "apology": late,
        "stop-notice": dossier.status == "stopped",
        "control-sheet": dossier.received_at is not None,
    }
    return [kind for kind in KINDS if wanted[kind]]


def dossier_panel(uow: UnitOfWork, actor: Any, code: str) -> dict[str, Any]:
    """The template context of `officer/_dossier.html` (raises NotFound outside the actor's units)."""
    view: DossierView = get_dossier(uow, actor, code)
    dossier, session = view.dossier, uow.session
    version = session.get(ProcedureVersion, dossier.procedure_version_id)
    procedure = session.get(Procedure, dossier.procedure_code)
    tasks = view.steps + view.open_tasks
    user_ids = ({e.actor_id for e in view.events} | {t.assignee_id for t in tasks} | {t.completed_by for t in tasks}
                | {dossier.fee_exempted_by})
    wanted = sorted(i for i in user_ids if i is not None)
    names = {u.id: u.full_name or u.username for u in session.scalars(select(User).where(User.id.in_(wanted)))}
    units = {u.code: u.name for u in session.scalars(select(Unit))}
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    documents = {d["code"]: d["name"] for d in compiled.meta.get("documents", [])}
    lang = select_locale()
    return {
        "view": view, "dossier": dossier, "names": names, "units": units,
        "procedure_name": (procedure.name_en if lang == "en" and procedure and procedure.name_en
                           else procedure.name_vi if procedure else dossier.procedure_code),
        "version_number": version.number if version else None,
        "documents": [(kind, KINDS[kind][0]) for kind in applicable_documents(dossier, uow.clock())],
        "required_documents": compiled.meta.get("documents", []),
        "attachments": [{"name": a.name, "size": a.size, "document": documents.get(a.document, a.document),
                         "url": url_for("portal_api.download_attachment", code=dossier.code, attachment_id=a.id)}
                        for a in getattr(view, "attachments", None) or []],
        "steps": sorted(tasks, key=lambda t: (t.created_at, t.id)),
        "diagram": {
            "package": url_for("reform.package", code=dossier.procedure_code, number=version.number)
            if version else None,
            "current": sorted({t.bpmn_id for t in view.open_tasks}),
            "done": sorted({t.bpmn_id for t in view.steps} - {t.bpmn_id for t in view.open_tasks}),
        },
        "action_fields": {a: ACTION_FIELDS[a] for a in view.allowed_actions},
        "declaration": view.declaration,  # the citizen's declaration, labelled
        "records": step_records(uow, compiled, view.steps),  # each completed step with what was submitted
        "fee_owed": fee_owed(dossier),
        "destructive": DESTRUCTIVE,
    }


def read_action_form(action: str, form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The action's parameters from a posted form, and per-field errors for values that are not even of the
    right kind (the engine checks the rest)."""
    from flask_babel import gettext as _

    params: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, kind in ACTION_FIELDS.get(action, []):
        raw = form.get(name, "")
        if kind in ("checks", "wanted"):
            params[name] = form.getlist(name)
        elif kind == "lines":
            lines = [line.strip() for line in raw.splitlines() if line.strip()]
            if lines:
                params[name] = lines
        elif kind == "int":
            digits = raw.replace(".", "").replace(",", "").replace(" ", "")
            amount = parse_int(digits, 0, INT32_MAX)  # the dossier keeps it in an `integer` column
            if raw.strip() and amount is None:
                errors[name] = [_("Nhập một số nguyên (đồng).")]
            elif amount is not None:
                params[name] = amount
        elif kind == "counter":
            params[name] = False
        elif kind == "bool":
            if raw not in ("true", "false"):
                errors[name] = [_("Hãy chọn một phương án.")]
            else:
                params[name] = raw == "true"
        elif raw.strip():
            params[name] = raw.strip()
    return params, errors


def action_url(code: str, action: str) -> str:
    return url_for("officer.dossier_action", code=code, action=action)
