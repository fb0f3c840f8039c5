"""Rendered documents: the PDF file, content-addressed under the document store (MOTCUA_DOCUMENT_STORE_DIR,
default var/documents), and one row per rendering with its SHA-256, so that a document handed out can later be
shown to be the one Motcua made."""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.errors import Conflict
from engine.store.db import Base, UTCDateTime
from engine.store.uow import UnitOfWork

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class RenderedDocument(Base):
    __tablename__ = "rendered_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for documents of no single dossier (form 07, the register)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # receipt ... control-sheet, register, result, result-signed
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(String(200))  # relative to the document store
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class DocumentDamaged(Conflict):
    """A stored document's file is missing or its bytes no longer have the recorded hash."""

    title = "Stored document damaged"
    code = "document-damaged"


def document_store_dir() -> Path:
    return Path(os.environ.get("MOTCUA_DOCUMENT_STORE_DIR") or PROJECT_ROOT / "var" / "documents")


def _relative_path(sha256: str) -> str:
    return f"{sha256[:2]}/{sha256}.pdf"


def write_file(pdf: bytes) -> tuple[str, str]:
    """Write the bytes under their hash (atomically: a temporary file renamed into place); the same bytes
    twice are one file. Returns (sha256, relative path)."""
    digest = hashlib.sha256(pdf).hexdigest()
    relative = _relative_path(digest)
    target = document_store_dir() / relative
    if target.is_file() and target.stat().st_size == len(pdf):
        return digest, relative
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pdf)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return digest, relative


def store_document(uow: UnitOfWork, dossier_id: int | None, kind: str, pdf: bytes,
                   actor_id: int | None) -> RenderedDocument:
    """Write the file and add its row to the unit of work; the caller audits and commits."""
    digest, relative = write_file(pdf)
    doc = RenderedDocument(dossier_id=dossier_id, kind=kind, sha256=digest, size=len(pdf), stored_path=relative,
                           created_at=uow.clock(), created_by=actor_id)
    uow.session.add(doc)
    uow.session.flush()
    return doc


def read_document(uow: UnitOfWork, doc: RenderedDocument) -> bytes:
    """The stored bytes, checked against the recorded hash (DocumentDamaged otherwise)."""
    del uow  # the file store needs no database; kept in the signature so callers stay in one shape
    path = document_store_dir() / doc.stored_path
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentDamaged(f"document {doc.id}: file missing") from exc
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise DocumentDamaged(f"document {doc.id}: its bytes no longer match the recorded hash")
    return data
