"""Form 07, the dossier register, as a CSV file: one row per dossier of a register search, in its order. The columns are
the register book's (the "sổ theo dõi hồ sơ" of the one-stop forms): number, dossier code, procedure, sets of papers,
the person or organisation, address and phone, the body that handles it, then "receipt and return of the result":
received, appointment, handed on to the handling body, its result received back (the dossier processed), result
returned, the applicant's signature (left blank: it is signed on paper), note. The note carries what the book's
reader asks next: the status, the channel, and whether the dossier is overdue, was finished late or waits on a
supplement.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from engine.dossiers.models import Dossier, TaskRecord
from engine.dossiers.overdue import is_overdue
from engine.dossiers.register import RegisterQuery, export_batches
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .reports import procedure_names, status_name
from .spreadsheet import stream_csv

COLUMNS: tuple[tuple[str, str], ...] = (
    ("STT", "No."),
    ("Mã hồ sơ", "Dossier code"),
    ("Tên thủ tục hành chính", "Administrative procedure"),
    ("Số lượng hồ sơ (bộ)", "Sets of documents"),
    ("Tên cá nhân, tổ chức", "Person or organisation"),
    ("Địa chỉ, số điện thoại", "Address, phone"),
    ("Cơ quan chủ trì giải quyết", "Handling body"),
    ("Ngày, tháng, năm nhận hồ sơ", "Received on"),
    ("Ngày hẹn trả kết quả", "Appointment for the result"),
    ("Ngày, tháng, năm chuyển hồ sơ", "Handed on to the handling body"),
    ("Ngày, tháng, năm nhận kết quả", "Result received from the handling body"),
    ("Ngày, tháng, năm trả kết quả", "Result returned on"),
    ("Ký nhận", "Signature"),
    ("Ghi chú", "Note"),
)
CHANNEL_NAMES = {"counter": ("trực tiếp", "at the counter"), "online": ("trực tuyến", "online"),
                 "postal": ("bưu chính công ích", "by public postal service")}
NOTES = {"overdue": ("quá hạn", "overdue"), "late": ("trễ hạn", "finished late"),
         "paused": ("tạm dừng chờ bổ sung", "paused for a supplement")}
ENDED_WITHOUT_RESULT = ("refused", "stopped")  # the refusal or the stop notice is what is handed back


def header(lang: str) -> list[str]:
    return [en if lang == "en" else vi for vi, en in COLUMNS]


def _handed_on(uow: UnitOfWork, ids: list[int]) -> dict[int, Any]:
    """When each dossier reached its first step past reception: the day it was handed to the handling body."""
    rows = uow.session.execute(select(TaskRecord.dossier_id, func.min(TaskRecord.created_at))
                               .where(TaskRecord.dossier_id.in_(ids),
                                      (TaskRecord.role != "reception") | TaskRecord.role.is_(None))
                               .group_by(TaskRecord.dossier_id))
    return dict(rows.tuples().all())


def _contact(applicant: Any) -> str:
    applicant = applicant if isinstance(applicant, dict) else {}
    return ", ".join(str(applicant[k]) for k in ("address", "phone") if isinstance(applicant.get(k), str)
                     and applicant[k])


def register_csv(uow: UnitOfWork, actor: Actor, query: RegisterQuery, lang: str = "vi") -> Iterator[bytes]:
    """The file in pieces, to be streamed. The search is checked before the first piece (a bad filter raises
    here, not halfway through a download)."""
    return stream_csv(header(lang), register_rows(uow, actor, query, lang), lang)


def register_rows(uow: UnitOfWork, actor: Actor, query: RegisterQuery, lang: str = "vi") -> Iterator[list[Any]]:
    """Form 07's rows (the columns of COLUMNS) for a register search of the actor's units; the search is checked
    before this returns."""
    batches = export_batches(uow, actor, query, extra=(Dossier.applicant,))
    procedures = {code: (en if lang == "en" and en else vi) for code, (vi, en) in procedure_names(uow).items()}
    units = uow.org.tree(uow.session).names  # the handling body may lie outside the actor's units
    now = uow.clock()
    pick = 1 if lang == "en" else 0

    def note(row: Any) -> str:
        parts = [status_name(row.status, lang), CHANNEL_NAMES.get(row.channel, (row.channel, row.channel))[pick]]
        if is_overdue(row, now):
            parts.append(NOTES["overdue"][pick])
        elif row.finished_at and row.due_at and row.processed_at and row.processed_at > row.due_at:
            parts.append(NOTES["late"][pick])
        if row.paused_at is not None:
            parts.append(NOTES["paused"][pick])
        return "; ".join(parts)

    def rows() -> Iterator[list[Any]]:
        number = 0
        for batch in batches:
            handed = _handed_on(uow, [r.id for r in batch])
            for r in batch:
                number += 1
                returned = r.returned_at or (r.finished_at if r.status in ENDED_WITHOUT_RESULT else None)
                unit = r.competent_unit or r.reception_unit or ""
                yield [number, r.code, procedures.get(r.procedure_code, r.procedure_code), 1, r.applicant_name,
                       _contact(r.applicant), units.get(unit, unit), r.received_at, r.due_at, handed.get(r.id),
                       r.processed_at, returned, "", note(r)]

    return rows()
