"""The result document of a dossier (e.g. the household business registration certificate): its context as
plain data, and its HTML from the procedure's own template (`processes/<code>/result.html`, named by
procedure.toml `[result] template`, versioned with the procedure) or the generic `documents/result-default.html`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.dossiers.documents import DocumentRenderer, DocumentRequest, build_context
from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.workflows import restore_workflow
from engine.people.models import User
from engine.procedures.models import ProcedureVersion
from engine.store.uow import UnitOfWork

DEFAULT_TEMPLATE = "result-default.html"
PACKAGE_PREFIX = "procedure/"  # a package's template is loaded under this name, so it cannot shadow base.html
DEFAULT_SIGNER_TITLE = "CHỦ TỊCH"
MAX_VALUE_CHARS = 5_000
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _plain(value: Any) -> Any:
    """Workflow data as a template may use it: text, numbers, dates, and lists/dicts of those."""
    if isinstance(value, str):
        if ISO_DATE.fullmatch(value):  # a form's date field keeps "YYYY-MM-DD": printed as a date
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        return value[:MAX_VALUE_CHARS]
    if value is None or isinstance(value, bool | int | float | date | datetime):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value[:200]]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in list(value.items())[:200]}
    return str(value)[:MAX_VALUE_CHARS]


def workflow_data(uow: UnitOfWork, dossier: Dossier) -> dict[str, Any]:
    """The declaration, then whatever the workflow added (e.g. ket_qua_ten, ket_qua_tom_tat after approval)."""
    data: dict[str, Any] = dict(dossier.data or {})
    if dossier.state:
        compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
        workflow = restore_workflow(compiled, dossier.state, uow.scripts)
        finished = sorted(workflow.get_tasks(state=TaskState.COMPLETED), key=lambda t: t.last_state_change)
        if workflow.data:
            data.update(workflow.data)
        elif finished:
            data.update(finished[-1].data)
    return {str(k): _plain(v) for k, v in data.items() if not str(k).startswith("_")}


def choice_labels(forms: dict[str, Any], data: dict[str, Any]) -> dict[str, str]:
    """For each select or radio answer, the label the form shows for the value chosen."""
    labels: dict[str, str] = {}

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            key, values = component.get("key"), component.get("values")
            if key and isinstance(values, list) and key in data:
                found = next((v.get("label") for v in values if v.get("value") == data[key]), None)
                if found:
                    labels[key] = str(found)
            walk(component.get("components") or [])

    for form in forms.values():
        walk(form.schema_json.get("components", []))
    return labels


def result_context(uow: UnitOfWork, dossier: Dossier, number: str | None = None,
                   signed: bool = False) -> dict[str, Any]:
    """Plain data (safe to use after the unit of work closes): the official documents' context plus the result's
    number, title, signer and the workflow data."""
    context = build_context(uow, dossier, DocumentRequest(kind="receipt"))
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    meta_result = dict(compiled.meta.get("result") or {})
    data = workflow_data(uow, dossier)
    for form in compiled.forms.values():  # every field a form names is there (None if unanswered)
        for key in form.keys:
            data.setdefault(key, None)
    leader = next((t for t in uow.session.scalars(
        select(TaskRecord).where(TaskRecord.dossier_id == dossier.id, TaskRecord.role == "leader",
                                 TaskRecord.completed_by.is_not(None)).order_by(TaskRecord.completed_at.desc()))),
                  None)
    signer = uow.session.get(User, leader.completed_by) if leader and leader.completed_by else None
    name = data.get("ket_qua_ten") or meta_result.get("name") or "Kết quả giải quyết thủ tục hành chính"
    context.update({
        "doc": {"kind": "result", "number": "", "title": str(name)},
        "data": data,
        "labels": choice_labels(compiled.forms, data),
        "result": {
            "name": name,
            "summary": data.get("ket_qua_tom_tat") or "",
            "number": number or dossier.code,
            "number_symbol": meta_result.get("number_symbol") or "",
            "signer_title_lines": (meta_result.get("signer_title") or DEFAULT_SIGNER_TITLE).split("\n"),
            "signer_name": signer.full_name if signer else None,
            "issuer": (meta_result.get("issuer") or context["dossier"]["issuing_authority"]
                       or context["dossier"]["competent_unit"] or context["place"]),
            "signed": signed,
        },
        "template": meta_result.get("template"),
    })
    version = uow.session.get(ProcedureVersion, dossier.procedure_version_id)
    source = (version.files or {}).get(context["template"] or "") if version else None
    context["template_source"] = source
    return context


def template_sources(context: dict[str, Any]) -> tuple[dict[str, str], str]:
    """The templates a render needs beyond the documents folder's, and the name to render."""
    if context.get("template_source"):
        return {PACKAGE_PREFIX + "result.html": context["template_source"]}, PACKAGE_PREFIX + "result.html"
    return {}, DEFAULT_TEMPLATE


def result_html(templates: DocumentRenderer, context: dict[str, Any]) -> str:
    """The result document as HTML, in this process (previews, tests): rendering for PDF goes through
    engine.rendering.pdf.template_to_pdf, which runs the same template in a bounded child."""
    sources, name = template_sources(context)
    if sources:
        return templates.env.from_string(next(iter(sources.values()))).render(**context)
    return templates.env.get_template(name).render(**context)
