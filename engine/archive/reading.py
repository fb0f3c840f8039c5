"""Reading packages: a dossier's package for the officers who may see the dossier (else 404, like the dossier),
its file for download (audited `archive_downloaded`), the list for the operator, and the mark a successful
`motcua archive verify` leaves on the row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from engine.dossiers.models import Dossier
from engine.dossiers.service import find_dossier
from engine.people.actors import Actor
from engine.store.uow import UnitOfWork

from .errors import ArchiveMissing
from .models import MADE, ArchivePackage


@dataclass(frozen=True)
class PackageView:
    dossier_code: str
    state: str
    created_at: datetime
    keep_until: datetime
    size: int
    sha256: str
    verified_at: datetime | None
    purged_at: datetime | None
    file_name: str


def _view(code: str, row: ArchivePackage) -> PackageView:
    return PackageView(code, row.state, row.created_at, row.keep_until, row.size, row.sha256, row.verified_at,
                       row.purged_at, f"luu-tru-{Path(row.path).name}")


def package_of(uow: UnitOfWork, actor: Actor, code: str) -> PackageView | None:
    dossier = find_dossier(uow.session, actor, code)
    row = uow.session.scalars(select(ArchivePackage).where(ArchivePackage.dossier_id == dossier.id)).first()
    return _view(dossier.code, row) if row is not None else None


def open_package(uow: UnitOfWork, actor: Actor, code: str, directory: Path) -> tuple[PackageView, Path]:
    """The package's file to send; audited as downloaded (committed here, before the file is sent)."""
    dossier = find_dossier(uow.session, actor, code)
    row = uow.session.scalars(select(ArchivePackage).where(ArchivePackage.dossier_id == dossier.id)).first()
    path = directory / row.path if row is not None else None
    if row is None or row.state != MADE or path is None or not path.is_file():
        raise ArchiveMissing(f"dossier {code} has no archive package to download")
    uow.record(actor, "archive_downloaded", "archive_package", row.id, dossier_id=dossier.id,
               detail={"sha256": row.sha256, "size": row.size})
    view = _view(dossier.code, row)
    uow.commit()
    return view, path


def list_packages(uow: UnitOfWork, expired: bool = False, limit: int = 1000) -> list[PackageView]:
    query = (select(Dossier.code, ArchivePackage).join(Dossier, Dossier.id == ArchivePackage.dossier_id)
             .order_by(ArchivePackage.created_at, ArchivePackage.id).limit(limit))
    if expired:
        query = query.where(ArchivePackage.state == MADE, ArchivePackage.keep_until <= uow.clock())
    return [_view(code, row) for code, row in uow.session.execute(query).all()]


def mark_verified(uow: UnitOfWork, digest: str) -> str | None:
    """A package that verified: its row (found by the .zip's hash) records when. The dossier's code, or None
    when the file is no package of this database."""
    found = uow.session.execute(select(ArchivePackage, Dossier.code)
                                .join(Dossier, Dossier.id == ArchivePackage.dossier_id)
                                .where(ArchivePackage.sha256 == digest)).first()
    if found is None:
        return None
    row, code = found
    row.verified_at = uow.clock()
    uow.record(None, "archive_verified", "archive_package", row.id, dossier_id=row.dossier_id,
               detail={"sha256": digest})
    uow.commit()
    return code
