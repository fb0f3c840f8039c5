"""How long a package is kept: MOTCUA_ARCHIVE_RETENTION_YEARS, or the procedure's own `[archive]
retention_years`, counted from when the dossier ended; past that the scheduler's job purges it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.store.uow import UnitOfWork

from .models import MADE, PURGED, ArchivePackage

log = logging.getLogger(__name__)


def retention_years(meta: dict[str, Any], default: int) -> int:
    own = (meta.get("archive") or {}).get("retention_years")
    return int(own) if own else default


def add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February into a year without one
        return moment.replace(year=moment.year + years, day=28)


def purge_expired(open_uow: Callable[[], UnitOfWork], directory: Path, batch: int) -> int:
    """Packages past keep_until: the row marked purged and audited, then the file deleted (after the commit, so
    a failed commit never leaves a row whose file is gone)."""
    with open_uow() as uow:
        due = list(uow.session.scalars(select(ArchivePackage.id).where(
            ArchivePackage.state == MADE, ArchivePackage.keep_until <= uow.clock())
            .order_by(ArchivePackage.keep_until).limit(batch)))
    purged = 0
    for package_id in due:
        with open_uow() as uow:
            row = uow.session.scalars(select(ArchivePackage).where(ArchivePackage.id == package_id)
                                      .with_for_update()).first()
            if row is None or row.state != MADE:
                continue
            now = uow.clock()
            row.state, row.purged_at = PURGED, now
            uow.record(None, "archive_purged", "archive_package", row.id, dossier_id=row.dossier_id,
                       before={"state": MADE}, after={"state": PURGED},
                       detail={"path": row.path, "sha256": row.sha256, "keep_until": row.keep_until.isoformat()})
            path = row.path
            uow.commit()
        purged += 1
        try:
            (directory / path).unlink(missing_ok=True)
        except OSError as exc:
            log.warning("archive: package %s marked purged but not deleted (%s)", path, exc)
    return purged
