"""The persistent model. Each table has one job; see docs/architecture.md for why it is shaped so."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, JSONType, UTCDateTime, utcnow


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSONType, default=list)
    unit_code: Mapped[str | None] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Procedure(Base):
    """A procedure by its stable code; its content lives in immutable versions."""

    __tablename__ = "procedures"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(500))
    name_en: Mapped[str] = mapped_column(String(500))
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("procedure_versions.id", use_alter=True, name="fk_procedures_current_version"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcedureVersion(Base):
    """An immutable, content-hashed snapshot of a procedure package (BPMN, DMN, metadata, forms).

    `spec` holds the serialized SpiffWorkflow spec once per version, so dossiers never carry it.
    """

    __tablename__ = "procedure_versions"
    __table_args__ = (
        UniqueConstraint("procedure_code", "content_hash"),
        UniqueConstraint("procedure_code", "number", name="uq_procedure_versions_code_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"))
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    process_id: Mapped[str] = mapped_column(String(200))
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType)
    files: Mapped[dict[str, str]] = mapped_column(JSONType)
    forms: Mapped[dict[str, Any]] = mapped_column(JSONType)
    spec: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dossier(Base):
    """One dossier: its facts as columns, its workflow state as one orjson blob without the spec.

    The lifecycle dates (received, due, processed, returned) are columns so that deadlines, tracking and
    the figures are plain SQL; `paused_at` is set while a supplement request stops the clock.
    """

    __tablename__ = "dossiers"
    __table_args__ = (
        UniqueConstraint("created_by", "submission_key"),
        Index("ix_dossiers_received", "received_at"),
        Index("ix_dossiers_open_due", "due_at", postgresql_where=text("finished_at IS NULL"),
              sqlite_where=text("finished_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    procedure_code: Mapped[str] = mapped_column(ForeignKey("procedures.code"), index=True)
    procedure_version_id: Mapped[int] = mapped_column(ForeignKey("procedure_versions.id"))
    status: Mapped[str] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant: Mapped[dict[str, Any]] = mapped_column(JSONType)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)  # the declaration as submitted
    # Any center receives any procedure: where it was received and who is competent are two units.
    reception_unit: Mapped[str | None] = mapped_column(String(64), index=True)
    competent_unit: Mapped[str | None] = mapped_column(String(64), index=True)
    # Client-chosen key (Idempotency-Key header): a repeated submit returns the first dossier.
    submission_key: Mapped[str | None] = mapped_column(String(100))
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[bytes | None] = mapped_column(LargeBinary)  # None until received (the workflow starts then)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # processed, refused, stopped, withdrawn
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)  # working time spent paused
    resume_status: Mapped[str | None] = mapped_column(String(32))  # where a pause returns to
    supplement_count: Mapped[int] = mapped_column(Integer, default=0)
    fee_amount: Mapped[int] = mapped_column(Integer, default=0)
    payment_required_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_online: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)  # 1 dissatisfied, 2 satisfied, 3 very satisfied
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Optimistic locking: every UPDATE says WHERE lock_version = <the one read>; a lost race updates no row.
    __mapper_args__ = {"version_id_col": lock_version}


class TaskRecord(Base):
    """Projection of human tasks, written in the same transaction as the workflow state.

    Task lists read only this table; nothing here needs a workflow to be deserialized.
    Completed rows stay as the dossier's step history.
    """

    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_open_role", "role", "created_at", postgresql_where=text("state = 'open'"),
              sqlite_where=text("state = 'open'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(500))
    role: Mapped[str | None] = mapped_column(String(64))
    unit_code: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    form_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    on_time: Mapped[bool | None] = mapped_column(Boolean)  # recorded at completion when the step had a budget


class DossierEvent(Base):
    """What happened to a dossier, in order: its history as shown to officers."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    task_id: Mapped[str | None] = mapped_column(String(36))
    step: Mapped[str | None] = mapped_column(String(500))
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class CalendarOverride(Base):
    """A day whose working status differs from the holiday package: an extra day off, a moved make-up day."""

    __tablename__ = "calendar_overrides"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(16), default="file")  # file | api
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LookupFailure(Base):
    """Failed public look-ups per key (a dossier code, a client address), counted per time window."""

    __tablename__ = "lookup_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)


class CodeSequence(Base):
    """Counters for dossier codes; incremented with one atomic upsert so codes stay unique."""

    __tablename__ = "code_sequences"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


__all__ = ["Base", "CalendarOverride", "CodeSequence", "Dossier", "DossierEvent", "LookupFailure", "Procedure",
           "ProcedureVersion", "TaskRecord", "User"]
