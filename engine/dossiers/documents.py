"""Official documents (receipt, supplement request, refusal, apology, stop notice, processing-control
sheet) rendered as printable HTML from editable templates in `documents/`.

The templates are data an administrator may edit, so they run in Jinja2's sandbox with autoescaping.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy import select

from engine.errors import NotFound
from engine.people.actors import Actor
from engine.people.models import Unit, User
from engine.people.places import place_name
from engine.store.models import AuditEntry
from engine.store.uow import UnitOfWork
from engine.time.clock import LOCAL_TZ

from .attachments import attachments_of
from .models import Dossier, TaskRecord
from .projection import CANCELLED, STEP_ORDER
from .service import find_dossier

KINDS = {
    "receipt": ("01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"),
    "supplement-request": ("02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "refusal": ("03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
    "apology": ("04", "Phiếu xin lỗi và hẹn lại ngày trả kết quả"),
    "stop-notice": ("05", "Thông báo dừng giải quyết hồ sơ"),
    "control-sheet": ("06", "Phiếu kiểm soát quá trình giải quyết hồ sơ"),
}
STATUS_LABELS = {
    "registered": "Mới đăng ký", "received": "Đã tiếp nhận", "refused": "Từ chối tiếp nhận",
    "processing": "Đang xử lý", "supplement_requested": "Yêu cầu bổ sung", "payment_required": "Chờ thực hiện "
    "nghĩa vụ tài chính", "withdrawal_requested": "Công dân rút hồ sơ", "stopped": "Dừng xử lý",
    "processed": "Đã có kết quả", "returned": "Đã trả kết quả",
}
CHANNEL_LABELS = {"counter": "Trực tiếp", "online": "Trực tuyến", "postal": "Bưu chính công ích"}
PAPER_LABELS = {"original": "Bản chính", "copy": "Bản sao", "certified_copy": "Bản sao chứng thực",
                "digital": "Bản điện tử"}
DELIVERY_LABELS = {"counter": "Trực tiếp tại Bộ phận tiếp nhận và trả kết quả",
                   "post": "Qua dịch vụ bưu chính công ích", "electronic": "Trực tuyến (bản điện tử)"}
ROLE_LABELS = {"reception": "Bộ phận Một cửa", "specialist": "Chuyên viên", "leader": "Lãnh đạo"}
# the actions whose audit detail is a written guidance (form 02): at the counter, and each request online
SUPPLEMENT_REQUESTS = ("guided", "request_supplement", "request_supplement_again")


def _local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ) if value is not None else None


def _fmt_dt(value: datetime | None) -> str:
    if value is None:
        return "……"
    local = value.astimezone(LOCAL_TZ)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def _fmt_d(value: date | datetime | None) -> str:
    if value is None:
        return "……"
    if isinstance(value, datetime):
        value = value.astimezone(LOCAL_TZ)
    return f"{value:%d/%m/%Y}"


def _fmt_money(value: int | None) -> str:
    return "……" if value is None else f"{value:,}".replace(",", ".") + " đồng"


class DocumentRenderer:
    def __init__(self, templates_dir: Path) -> None:
        self.env = SandboxedEnvironment(loader=FileSystemLoader(str(templates_dir)), autoescape=True,
                                        undefined=StrictUndefined)
        self.env.filters.update(dt=_fmt_dt, d=_fmt_d, money=_fmt_money)

    def render(self, kind: str, context: dict[str, Any]) -> str:
        number, _title = KINDS[kind]
        return self.env.get_template(f"{number}-{kind}.html").render(**context)


@dataclass(frozen=True)
class DocumentRequest:
    kind: str
    new_due_at: datetime | None = None
    apology_reason: str = ""
    tracking_url: str = "/track"
    pin: str | None = None  # printed on the receipt right after submission, when the caller still has it


def render_document(uow: UnitOfWork, renderer: DocumentRenderer, actor: Actor, code: str,
                    request: DocumentRequest) -> str:
    if request.kind not in KINDS:
        raise NotFound(f"unknown document '{request.kind}'")
    dossier = find_dossier(uow.session, actor, code)
    return renderer.render(request.kind, build_context(uow, dossier, request))


def build_context(uow: UnitOfWork, dossier: Dossier, request: DocumentRequest) -> dict[str, Any]:
    session = uow.session
    compiled = uow.cache.get(session, dossier.procedure_version_id)
    events = list(session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier.id)
                                  .order_by(AuditEntry.seq)))
    tasks = list(session.scalars(select(TaskRecord).where(TaskRecord.dossier_id == dossier.id,
                                                          TaskRecord.state != CANCELLED)
                                 .order_by(*STEP_ORDER)))
    user_ids = {e.actor_id for e in events} | {t.completed_by for t in tasks} | {t.assignee_id for t in tasks}
    names = {u.id: u.full_name for u in session.scalars(select(User).where(User.id.in_(user_ids - {None})))}
    unit_codes = {dossier.reception_unit, dossier.competent_unit} | {t.unit_code for t in tasks}
    unit_names = {u.code: u.name for u in session.scalars(select(Unit).where(Unit.code.in_(unit_codes - {None})))}

    def last(*kinds: str) -> AuditEntry | None:
        return next((e for e in reversed(events) if e.action in kinds), None)

    def detail(*kinds: str) -> dict[str, Any]:
        found = last(*kinds)
        return found.detail or {} if found else {}

    def by(*kinds: str) -> str | None:
        found = last(*kinds)
        return names.get(found.actor_id) if found and found.actor_id else None

    received = next((e for e in events if e.action == "received"), None)
    competent = session.get(Unit, dossier.competent_unit) if dossier.competent_unit else None
    number, title = KINDS[request.kind]
    new_due = request.new_due_at or (uow.calendar.add_working_days(max(uow.clock(), dossier.due_at), 1)
                                     if dossier.due_at else None)
    return {
        "doc": {"kind": request.kind, "number": number, "title": title},
        "place": place_name(session.get(Unit, dossier.reception_unit) if dossier.reception_unit else None) or "……",
        "now": _local(uow.clock()),
        "pin": request.pin,
        "tracking_url": request.tracking_url,
        "dossier": {
            "code": dossier.code, "status": dossier.status, "status_label": STATUS_LABELS[dossier.status],
            "channel": dossier.channel, "channel_label": CHANNEL_LABELS.get(dossier.channel, dossier.channel),
            "applicant": {k: dossier.applicant.get(k) for k in ("kind", "name", "id_number", "tax_code",
                                                                  "representative", "phone", "email", "address")},
            "received_at": _local(dossier.received_at), "due_at": _local(dossier.due_at),
            "processed_at": _local(dossier.processed_at), "returned_at": _local(dossier.returned_at),
            "finished_at": _local(dossier.finished_at), "supplement_count": dossier.supplement_count,
            "fee_amount": dossier.fee_amount, "paid_at": _local(dossier.paid_at),
            "reception_unit": unit_names.get(dossier.reception_unit or "", dossier.reception_unit),
            "competent_unit": unit_names.get(dossier.competent_unit or "", dossier.competent_unit),
            "received_by": names.get(received.actor_id) if received and received.actor_id else None,
            "created_at": _local(dossier.created_at),
            "result_delivery": dossier.result_delivery,
            "result_delivery_label": DELIVERY_LABELS.get(dossier.result_delivery or ""),
            "competent_authority": (competent.authority if competent and competent.authority
                                    else compiled.meta["authority"]["vi"]),
            # the body that issues a result in its name: the unit's authority (a People's Committee), not the
            # centre that received it
            "issuing_authority": competent.authority if competent and competent.authority else None,
        },
        "procedure": compiled.meta,
        "received_documents": received_rows(session, dossier, compiled.meta["documents"]),
        "reasons": detail("refuse").get("reasons", []),
        "refused_by": by("refuse"),
        # form 02 is the latest request: the first one, or the one made when reception asked again
        "missing": detail(*SUPPLEMENT_REQUESTS).get("missing", []),
        "guidance": detail(*SUPPLEMENT_REQUESTS).get("guidance", ""),
        "guided_by": by(*SUPPLEMENT_REQUESTS),
        "stop_reason": detail("stop").get("reason", ""),
        "apology": {"new_due_at": _local(new_due), "reason": request.apology_reason},
        "control_rows": control_rows(dossier, tasks, names, unit_names, received),
    }


def received_rows(session: Any, dossier: Dossier, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The papers actually received, with their kind and count: as recorded at the counter; for a dossier sent
    online, its files by document (digital copies)."""
    if dossier.received_documents:
        return [{"name": d.get("name") or d.get("code"), "kind": PAPER_LABELS.get(d.get("kind", ""), d.get("kind")),
                 "quantity": d.get("quantity")} for d in dossier.received_documents]
    files: dict[str, int] = {}
    for attachment in attachments_of(session, dossier):
        files[attachment.document] = files.get(attachment.document, 0) + 1
    return [{"name": d["name"], "kind": PAPER_LABELS["digital"], "quantity": files[d["code"]]}
            for d in documents if d["code"] in files]


def control_rows(dossier: Dossier, tasks: list[TaskRecord], names: dict[int, str], unit_names: dict[str, str],
                 received: AuditEntry | None) -> list[dict[str, Any]]:
    """One row per hand-off: from whoever finished the previous step to the one who took this step."""
    rows: list[dict[str, Any]] = []
    giver = names.get(received.actor_id) if received and received.actor_id else None
    giver_unit = unit_names.get(dossier.reception_unit or "", dossier.reception_unit)
    for index, task in enumerate(tasks, start=1):
        taker = names.get(task.completed_by or task.assignee_id or 0)
        rows.append({
            "index": index, "step": task.name, "from_officer": giver or ROLE_LABELS["reception"],
            "from_unit": giver_unit, "to_officer": taker or ROLE_LABELS.get(task.role or "", task.role),
            "to_unit": unit_names.get(task.unit_code or "", task.unit_code),
            "received_at": _local(task.created_at), "due_at": _local(task.due_at),
            "completed_at": _local(task.completed_at), "on_time": task.on_time, "note": "",
        })
        giver, giver_unit = taker, unit_names.get(task.unit_code or "", task.unit_code)
    return rows
