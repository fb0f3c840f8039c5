"""One row per dossier's archive package: where its .zip is, its hash, and how long it is kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.db import Base, UTCDateTime

MADE, PURGED = "made", "purged"


class ArchivePackage(Base):
    """made (the .zip is under MOTCUA_ARCHIVE_DIR) -> purged (past keep_until: the file deleted, the row kept)."""

    __tablename__ = "archive_packages"
    __table_args__ = (Index("ix_archive_packages_state_keep", "state", "keep_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    path: Mapped[str] = mapped_column(String(300))  # relative to the archive folder
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    keep_until: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
