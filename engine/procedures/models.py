"""Procedures and their immutable, content-hashed versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, JSONType, UTCDateTime, utcnow


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
    # A draft can be replaced and validated; publishing makes it the version new dossiers use, for good.
    status: Mapped[str] = mapped_column(String(16), default="published")  # draft | published
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
