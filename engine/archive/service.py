"""Making a dossier's package: its contents read in one unit of work, the PDFs rendered and the manifest signed
(the TSA and OCSP are on the network) outside any transaction, the .zip written, then the row recorded and
audited (`archive_made`) in a second unit of work. The scheduler's "archive" job does it for ended dossiers and
purges expired packages; `motcua archive make` does it now for one dossier."""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.config import Settings
from engine.dossiers.documents import DocumentRenderer
from engine.dossiers.models import Dossier
from engine.errors import NotFound
from engine.people.actors import Actor
from engine.rendering.pdf import html_to_pdf
from engine.store.uow import UnitOfWork

from .config import ArchiveSettings
from .contents import Contents, collect
from .errors import ArchiveExists, ArchiveNotEnded
from .models import MADE, ArchivePackage
from .package import make_package, safe_name, sha256
from .retention import add_years, purge_expired, retention_years

log = logging.getLogger(__name__)
# how a dossier ends (engine/dossiers/lifecycle.py): its result handed back, refused, stopped, withdrawn
RENDER_WORKERS = 3
ENDED_STATUSES = ("returned", "refused", "stopped", "withdrawal_requested")


def motcua_version() -> str:
    try:
        return version("motcua")
    except PackageNotFoundError:
        return "0"


@dataclass(frozen=True)
class Archiver:
    """What making a package needs besides the database: where files are, and the unit's signing settings."""

    settings: ArchiveSettings
    upload_dir: Path
    documents_dir: Path
    signing: Any  # engine.signing.config.SigningSettings

    @property
    def renderer(self) -> DocumentRenderer:
        return DocumentRenderer(self.documents_dir)


@dataclass(frozen=True)
class Made:
    dossier_code: str
    path: str
    sha256: str
    size: int


def due_dossiers(uow: UnitOfWork, limit: int) -> list[int]:
    return list(uow.session.scalars(
        select(Dossier.id).outerjoin(ArchivePackage, ArchivePackage.dossier_id == Dossier.id)
        .where(Dossier.status.in_(ENDED_STATUSES), ArchivePackage.id.is_(None))
        .order_by(Dossier.finished_at, Dossier.id).limit(limit)))


def make_for(open_uow: Callable[[], UnitOfWork], archiver: Archiver, dossier_id: int,
             actor: Actor | None = None) -> Made:
    with open_uow() as uow:
        dossier = uow.session.get(Dossier, dossier_id)
        if dossier is None:
            raise NotFound(f"dossier {dossier_id} does not exist")
        if dossier.status not in ENDED_STATUSES:
            raise ArchiveNotEnded(f"dossier {dossier.code} has not ended ({dossier.status}): no package yet")
        if uow.session.scalar(select(ArchivePackage.id).where(ArchivePackage.dossier_id == dossier_id)):
            raise ArchiveExists(f"dossier {dossier.code} already has its package")
        contents = collect(uow, dossier, archiver.renderer, archiver.upload_dir)
        now = uow.clock()
    # outside any transaction: rendering (bounded) and the unit's signature (TSA, OCSP on the network)
    keep_until = add_years(contents.ended_at, retention_years(contents.procedure_meta,
                                                              archiver.settings.retention_years))
    data = _package(contents, archiver, now, keep_until)
    digest = sha256(data)
    relative = f"{contents.ended_at:%Y}/{safe_name(contents.code)}-{digest[:12]}.zip"
    _write(archiver.settings.directory / relative, data)
    try:
        with open_uow() as uow:
            row = ArchivePackage(dossier_id=dossier_id, path=relative, sha256=digest, size=len(data),
                                 created_at=now, keep_until=keep_until, state=MADE)
            uow.session.add(row)
            uow.session.flush()
            uow.record(actor, "archive_made", "archive_package", row.id, dossier_id=dossier_id,
                       unit=contents.unit if actor is None else None, after={"state": MADE},
                       detail={"path": relative, "sha256": digest, "size": len(data),
                               "keep_until": keep_until.isoformat()})
            uow.commit()
    except IntegrityError:  # another scheduler recorded this dossier's package first: ours is not kept
        (archiver.settings.directory / relative).unlink(missing_ok=True)
        raise ArchiveExists(f"dossier {contents.code} already has its package") from None
    return Made(contents.code, relative, digest, len(data))


def _package(contents: Contents, archiver: Archiver, now: Any, keep_until: Any) -> bytes:
    from engine.signing.manifest import sign_detached  # pyHanko loads when a package is made, not with the app

    files = dict(contents.files)
    # each render is a child process of its own: the documents in parallel (a few), not one after another
    with ThreadPoolExecutor(max_workers=RENDER_WORKERS) as pool:
        rendered = pool.map(html_to_pdf, contents.documents.values())
        files.update(zip(contents.documents, rendered, strict=True))
    return make_package(files, lambda manifest: sign_detached(manifest, archiver.signing),
                        dossier_code=contents.code, unit=contents.unit, created_at=now, keep_until=keep_until,
                        version=motcua_version())


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Run:
    made: int
    failed: int
    purged: int
    max_lag_seconds: float


def run_archive(open_uow: Callable[[], UnitOfWork], archiver: Archiver | None) -> Run:
    """The scheduler's job: package the ended dossiers without one (a batch), then purge the expired packages.
    A dossier that cannot be packed now is logged and tried again at the next run; when every one fails (the
    TSA is down), the run raises, so the job's heartbeat shows it."""
    if archiver is None:
        return Run(0, 0, 0, 0.0)
    with open_uow() as uow:
        due = due_dossiers(uow, archiver.settings.batch)
        now = uow.clock()
        ended = dict(uow.session.execute(select(Dossier.id, Dossier.finished_at).where(Dossier.id.in_(due))).all())
    made = failed = 0
    lag = 0.0
    error: Exception | None = None
    for dossier_id in due:
        try:
            make_for(open_uow, archiver, dossier_id)
        except ArchiveExists:
            continue
        except Exception as exc:  # one dossier's failure (a missing file, the TSA away) does not stop the rest
            failed, error = failed + 1, exc
            log.warning("archive: dossier %s not packed (%s: %s); trying again next run", dossier_id,
                        type(exc).__name__, exc)
            continue
        made += 1
        if ended.get(dossier_id):
            lag = max(lag, (now - ended[dossier_id]).total_seconds())
    if failed and not made and error is not None:
        raise error
    purged = purge_expired(open_uow, archiver.settings.directory, archiver.settings.batch)
    return Run(made, failed, purged, lag)


def archiver_for(settings: Settings) -> Archiver:
    """The archiver of this process: MOTCUA_ARCHIVE_* and the unit's signing settings (MOTCUA_SIGNING_*)."""
    from engine.signing.config import SigningSettings

    return Archiver(ArchiveSettings.from_env(), settings.upload_dir, settings.documents_dir,
                    SigningSettings.from_env())


def archive_job(open_uow: Callable[[], UnitOfWork], archiver: Archiver) -> Callable[[], tuple[int, float]]:
    """The scheduler's "archive" job's work (handed to it by the entry point): items handled, the longest wait
    from a dossier's end to its package."""
    def work() -> tuple[int, float]:
        done = run_archive(open_uow, archiver)
        return done.made + done.purged, done.max_lag_seconds

    return work
