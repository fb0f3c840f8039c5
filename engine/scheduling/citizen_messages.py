"""Messages to the applicant, by e-mail and SMS, at receipt, supplement request, payment due and result ready.

They are written into the outbox by a unit-of-work observer (`engine/store/uow.py`): it reads the audit entries of
the transaction about to commit and adds the messages to that same transaction, so a message exists if and only
if the change it reports was committed; the delivery job sends it afterwards, never the request, and retries. The
areas that make the changes (dossiers' lifecycle, the workflow, the scheduler's timers) know nothing of it.

The texts are Vietnamese templates with the tracking link (never the PIN, except in the message that gives a new
one, whose body is wiped once sent). SMS bodies are stored as written; the SMS connector folds them to ASCII
for the gateway (connectors/sms/text.py says why).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.dossiers.models import Dossier
from engine.dossiers.supplements import current_request
from engine.people.models import Unit
from engine.store.uow import UnitOfWork
from engine.time.clock import to_local

from .models import OutboxMessage

EVENTS = ("received", "supplement", "payment", "ready")
SMS_MISSING = 90  # characters of the missing documents' names in an SMS (the e-mail lists them whole)
TEMPLATES: dict[str, dict[str, str]] = {  # event -> subject, sms, email; {fields} are filled from the dossier
    "received": {
        "subject": "Hồ sơ {code} đã được tiếp nhận",
        "sms": "Ho so {code} da duoc tiep nhan. Hen tra ket qua: {due}. Tra cuu: {link}",
        "email": "Kính gửi Ông/Bà,\n\nHồ sơ {code} ({procedure}) đã được {unit} tiếp nhận lúc {received}.\n"
                 "Ngày hẹn trả kết quả: {due}.\n\nTra cứu tình trạng hồ sơ bằng mã hồ sơ và mã PIN trên giấy "
                 "tiếp nhận: {link}\n",
    },
    "supplement": {
        "subject": "Hồ sơ {code} cần bổ sung",
        "sms": "Ho so {code} can bo sung: {missing}. Bo sung truc tuyen tai {link}",
        "email": "Kính gửi Ông/Bà,\n\nHồ sơ {code} ({procedure}) cần được bổ sung, hoàn thiện. Thời hạn giải "
                 "quyết tạm dừng cho đến khi nhận đủ hồ sơ.\n\nCần bổ sung:\n{missing_lines}\n\nHướng dẫn: "
                 "{guidance}\n\nÔng/Bà có thể gửi bổ sung trực tuyến tại trang tra cứu (mã hồ sơ và mã PIN): "
                 "{link}\nhoặc nộp trực tiếp tại {unit}.\n",
    },
    "payment": {
        "subject": "Hồ sơ {code}: đề nghị nộp phí, lệ phí",
        "sms": "Ho so {code}: de nghi nop {amount} dong phi, le phi. Huong dan: {link}",
        "email": "Kính gửi Ông/Bà,\n\nHồ sơ {code} ({procedure}) cần nộp phí, lệ phí: {amount} đồng.\nÔng/Bà "
                 "nộp tại {unit}{address}. Thời hạn giải quyết tạm dừng cho đến khi nộp xong.\n\nTra cứu: "
                 "{link}\n",
    },
    "ready": {
        "subject": "Hồ sơ {code} đã có kết quả",
        "sms": "Ho so {code} da co ket qua. Nhan tai {unit} tu {due}. Chi tiet: {link}",
        "email": "Kính gửi Ông/Bà,\n\nHồ sơ {code} ({procedure}) đã có kết quả.\nNơi nhận: {unit}{address}.\n"
                 "Thời gian: từ {due}, trong giờ hành chính.\n{fee_line}Khi đến nhận, mang theo giấy tiếp nhận "
                 "và giấy tờ tùy thân.\n\nTra cứu: {link}\n",
    },
    "pin": {
        "subject": "Mã PIN mới của hồ sơ {code}",
        "sms": "Ma PIN moi cua ho so {code}: {pin}. Ma PIN cu khong con dung duoc. Tra cuu: {link}",
        "email": "Kính gửi Ông/Bà,\n\nTheo đề nghị cấp lại, mã PIN mới để tra cứu hồ sơ {code} là: {pin}\n"
                 "Mã PIN cũ không còn dùng được. Nếu Ông/Bà không đề nghị, hãy dùng mã mới này và giữ kín.\n\n"
                 "Tra cứu: {link}\n",
    },
}


def _event(entry: dict[str, Any]) -> str | None:
    action, after, before = entry["action"], entry.get("after") or {}, entry.get("before") or {}
    if action == "received":
        return "received"
    if action in ("request_supplement", "request_supplement_again"):
        return "supplement"
    if action == "require_payment":
        return "payment"
    if after.get("status") == "processed" and before.get("status") != "processed":
        return "ready"
    return None


def _when(value: datetime | None) -> str:
    local = to_local(value)
    return local.strftime("%H:%M ngày %d/%m/%Y") if local else "…"


def money(amount: int | None) -> str:
    return f"{amount or 0:,}".replace(",", ".")


def contact(dossier: Dossier) -> dict[str, str]:
    """Where the applicant can be reached: the phone and e-mail on the dossier (either may be missing)."""
    applicant = dossier.applicant or {}
    found = {"sms": applicant.get("phone"), "email": applicant.get("email")}
    return {channel: value.strip() for channel, value in found.items() if isinstance(value, str) and value.strip()}


def fields_for(uow: UnitOfWork, dossier: Dossier, public_url: str, detail: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    """The template's fields; `detail` is the audit entry's (a request made in this very transaction is not in
    the database yet, its entry says what was asked)."""
    compiled = uow.cache.get(uow.session, dossier.procedure_version_id)
    unit = uow.session.get(Unit, dossier.reception_unit) if dossier.reception_unit else None
    request = current_request(uow.session, dossier.id)
    detail = detail or {}
    missing = [str(m) for m in detail.get("missing") or (request.missing if request is not None else [])]
    guidance = detail.get("guidance", request.guidance if request is not None else "")
    joined = "; ".join(missing)
    fee = dossier.fee_amount or 0
    return {
        "code": dossier.code, "procedure": compiled.meta["name"]["vi"],
        "link": tracking_link(public_url, dossier.code), "unit": unit.name if unit else "bộ phận một cửa",
        "address": f", {unit.address}" if unit and unit.address else "",
        "received": _when(dossier.received_at), "due": _when(dossier.due_at), "amount": money(fee),
        "missing": joined if len(joined) <= SMS_MISSING else joined[:SMS_MISSING - 1].rstrip() + "…",
        "missing_lines": "\n".join(f"- {m}" for m in missing), "guidance": guidance or "—",
        "fee_line": (f"Phí, lệ phí phải nộp khi nhận kết quả: {money(fee)} đồng.\n"
                     if fee and dossier.paid_at is None else ""),
    }


def tracking_link(public_url: str, code: str) -> str:
    return f"{public_url.rstrip('/')}/track?code={code}"


def queue(uow: UnitOfWork, dossier: Dossier, event: str, values: dict[str, Any], now: datetime,
          secret: bool = False) -> int:
    """One message per channel the applicant can be reached on; returns how many were queued."""
    template = TEMPLATES[event]
    subject = template["subject"].format(**values)
    count = 0
    for channel, address in contact(dossier).items():
        uow.session.add(OutboxMessage(
            channel=channel, address=address[:500], subject=subject[:500], body=template[channel].format(**values),
            payload={"kind": f"citizen-{event}", "dossier": dossier.code, "wipe": secret},
            state="pending", attempts=0, next_attempt_at=now, created_at=now))
        count += 1
    return count


@dataclass(frozen=True)
class CitizenMessages:
    """The unit-of-work observer; the runtime hands one in with the public address of the portal."""

    public_url: str

    def __call__(self, uow: UnitOfWork, entries: list[dict[str, Any]]) -> None:
        done: set[tuple[int, str]] = set()
        for entry in entries:
            event, dossier_id = _event(entry), entry.get("dossier_id")
            if event is None or dossier_id is None or (dossier_id, event) in done:
                continue
            done.add((dossier_id, event))
            dossier = uow.session.get(Dossier, dossier_id)
            if dossier is None or not contact(dossier):
                continue
            queue(uow, dossier, event, fields_for(uow, dossier, self.public_url, entry.get("detail")), entry["at"])
