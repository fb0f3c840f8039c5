"""A dossier's archive package: its metadata and its .zip, for the officers who may see the dossier (its personal
data is in the package). Anyone else, signed in or not, gets 404, like the dossier itself."""

from __future__ import annotations

from flask import Blueprint, Response, send_file

from engine.archive.config import ArchiveSettings
from engine.archive.errors import ArchiveMissing
from engine.archive.models import MADE
from engine.archive.reading import open_package, package_of

from ..auth import current_actor, login_required
from ..operations import operation, respond
from ..schemas.archive import ArchiveOut
from ..services import request_uow

bp = Blueprint("archive", __name__)


@bp.get("/dossiers/<code>/archive")
@login_required()
@operation("The dossier's archive package, made when the dossier ended (returned, refused, stopped, withdrawn): "
           "when it was made, how long it is kept, its size and SHA-256. Officers who may see the dossier; 404 "
           "(`archive-not-found`) while there is none.", tag="archive",
           responses={200: ArchiveOut(), 404: "unknown dossier, or no package yet"})
def read_archive(code: str) -> Response:
    view = package_of(request_uow(), current_actor(), code)
    if view is None:
        raise ArchiveMissing(f"dossier {code} has no archive package yet")
    download = f"/api/v1/dossiers/{view.dossier_code}/archive.zip" if view.state == MADE else None
    return respond(ArchiveOut, {**vars(view), "download": download})


@bp.get("/dossiers/<code>/archive.zip")
@login_required()
@operation("Download the dossier's archive package (.zip: documents/, attachments/, result/, audit.json, "
           "dossier.json, manifest.json and its signature manifest.p7s). Audited `archive_downloaded`. Check it "
           "with `motcua archive verify`.", tag="archive",
           responses={200: ("application/zip", "the package"), 404: "unknown dossier, or no package to download"})
def download_archive(code: str) -> Response:
    view, path = open_package(request_uow(), current_actor(), code, ArchiveSettings.from_env().directory)
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=view.file_name,
                         max_age=0, etag=view.sha256, conditional=True)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
