"""Files handed in with an online dossier: one row per file, the bytes stored content-addressed on disk."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, UTCDateTime, utcnow
from .dossiers import Dossier


class Attachment(Base):
    """A file for one of the procedure's documents (`document` is its code in procedure.toml)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    document: Mapped[str] = mapped_column(String(64))
    file_name: Mapped[str] = mapped_column(String(255))  # as the applicant named it, sanitised
    content_type: Mapped[str] = mapped_column(String(100))  # from the content, never from the browser
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(300))  # relative to the upload folder
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# Citizens have no account (created_by is NULL), so the (created_by, submission_key) constraint cannot catch
# a double submit from the portal; this partial index makes the second of two racing submits fail instead.
Index("ux_dossiers_online_submission", Dossier.__table__.c.submission_key, unique=True,
      postgresql_where=text("created_by IS NULL AND submission_key IS NOT NULL"),
      sqlite_where=text("created_by IS NULL AND submission_key IS NOT NULL"))
