"""Files of online dossiers: checked by their content, stored content-addressed, read back by officers in scope.

A file is written to a temporary name in its final folder and renamed, so a reader never sees half a file.
The database row is added to the submission's transaction: a submit that fails leaves no row, only perhaps a
file nobody points to, which is harmless (and shared, if the same bytes come again).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.people.actors import Actor

from .access import may_see_dossier
from .models import Attachment, Dossier

CHUNK = 64 * 1024
EXTENSIONS = {"application/pdf": (".pdf",), "image/jpeg": (".jpg", ".jpeg"), "image/png": (".png",)}
KNOWN_EXTENSIONS = ("pdf", "jpg", "jpeg", "png")
ACCEPTED_EXTENSIONS = ".pdf,.jpg,.jpeg,.png"
# Fixed messages (the document is named by the error's key), so that pages can translate them.
NOT_ACCEPTED = "The file's content is not a PDF, JPEG or PNG."
TOO_LARGE = "The file is larger than the size limit."
EMPTY = "The file is empty."
REQUIRED = "This document is required."
UNKNOWN_DOCUMENT = "The procedure has no such document."
TOO_MANY_FOR_DOCUMENT = "Too many files for this document."
TOO_MANY_FILES = "Too many files in one submission."
ALL_FILES = "_all"  # the error key of a problem with the submission's files as a whole
_UNSAFE = re.compile(r"[^\w .()+,-]+")  # \w is Unicode-aware: Vietnamese letters stay


def sniff(head: bytes) -> str | None:
    """The type by magic bytes: what the browser or the file name claims is not trusted."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def safe_name(name: str | None, content_type: str) -> str:
    """A file name fit for a header and a disk: no folders, no control or shell characters; letters kept.
    The extension follows the content, so "scan.jpg" holding a PDF is downloaded as "scan.pdf"."""
    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = " ".join(_UNSAFE.sub("_", base).split()).strip(" ._")
    stem, dot, ext = base.rpartition(".")
    if not dot or ext.lower() not in KNOWN_EXTENSIONS:
        stem, ext = base, ""
    extension = f".{ext.lower()}" if f".{ext.lower()}" in EXTENSIONS[content_type] else EXTENSIONS[content_type][0]
    return (stem.strip(" ._")[:150] or "tep") + extension


@dataclass(frozen=True)
class Upload:
    """One file as received: the document it is for, the name the applicant gave, its bytes."""

    document: str
    file_name: str | None
    stream: BinaryIO


@dataclass(frozen=True)
class UploadLimits:
    max_bytes: int  # per file (MOTCUA_UPLOAD_MAX_MB)
    max_files: int = 20  # per submission (MOTCUA_UPLOAD_MAX_FILES)
    max_files_per_document: int = 5  # MOTCUA_UPLOAD_MAX_FILES_PER_DOCUMENT


@dataclass(frozen=True)
class StoredFile:
    document: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    stored_path: str


class FileRejected(Exception):
    def __init__(self, message: str, detail: str) -> None:
        super().__init__(detail)
        self.message, self.detail = message, detail


def store(upload: Upload, upload_dir: Path, max_bytes: int) -> StoredFile:
    """Check and store one file; FileRejected says why it was refused (nothing is kept then)."""
    upload_dir.mkdir(parents=True, exist_ok=True)
    digest, size, content_type = hashlib.sha256(), 0, None
    fd, tmp_name = tempfile.mkstemp(dir=upload_dir, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(CHUNK):
                if content_type is None:
                    content_type = sniff(chunk)
                    if content_type is None:
                        raise FileRejected(NOT_ACCEPTED, "the content is not PDF, JPEG or PNG")
                size += len(chunk)
                if size > max_bytes:
                    raise FileRejected(TOO_LARGE, f"larger than {max_bytes / 1024 / 1024:g} MB")
                digest.update(chunk)
                out.write(chunk)
        if content_type is None:
            raise FileRejected(EMPTY, "the file is empty")
        sha = digest.hexdigest()
        relative = f"{sha[:2]}/{sha}"
        target = upload_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, target)  # atomic; the same bytes land on the same name
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return StoredFile(upload.document, safe_name(upload.file_name, content_type), content_type, size, sha,
                      relative)


def count_problems(uploads: list[Upload], limits: UploadLimits) -> tuple[dict[str, list[str]], list[str]]:
    """Too many files in all, or for one document: the problems and readable details (nothing is read)."""
    if len(uploads) > limits.max_files:  # said once, not per document: 900 files need not mean 900 messages
        return {ALL_FILES: [TOO_MANY_FILES]}, [f"{len(uploads)} files: at most {limits.max_files} per submission"]
    crowded = sorted(doc for doc, n in Counter(u.document for u in uploads).items()
                     if n > limits.max_files_per_document)
    return ({doc: [TOO_MANY_FOR_DOCUMENT] for doc in crowded},
            [f"{doc}: at most {limits.max_files_per_document} files" for doc in crowded])


def check_uploads(documents: list[dict[str, Any]], uploads: list[Upload], upload_dir: Path, limits: UploadLimits,
                  kept: Sequence[StoredFile] = ()) -> tuple[list[StoredFile], dict[str, list[str]], list[str]]:
    """Store the files that pass; return them, the problems per document code, and readable details.

    `kept` are files stored by an earlier, refused attempt that the applicant keeps: they count towards the limits
    and stand for their documents. Too many files (in all, or for one document) store none of them."""
    counted = uploads + [Upload(f.document, f.file_name, None) for f in kept]  # type: ignore[arg-type]
    errors, details = count_problems(counted, limits)
    if errors:
        return [], errors, details
    max_bytes = limits.max_bytes
    names = {d["code"]: d["name"] for d in documents}
    stored: list[StoredFile] = []
    for upload in uploads:
        if upload.document not in names:
            errors.setdefault(upload.document, []).append(UNKNOWN_DOCUMENT)
            details.append(f"{upload.document}: no such document")
            continue
        try:
            stored.append(store(upload, upload_dir, max_bytes))
        except FileRejected as exc:
            errors.setdefault(upload.document, []).append(exc.message)
            details.append(f"{names[upload.document]} ({upload.file_name or '?'}): {exc.detail}")
    given = {u.document for u in counted}
    for doc in documents:
        if doc["required"] and doc["code"] not in given:
            errors.setdefault(doc["code"], []).append(REQUIRED)
            details.append(f"{doc['name']}: missing")
    return stored, errors, details


@dataclass(frozen=True)
class AttachmentRef:
    """What a dossier's reader sees of a file (the bytes come from `open_attachment`)."""

    id: int
    dossier_code: str
    document: str
    name: str
    size: int
    content_type: str


def attachments_of(session: Session, dossier: Dossier) -> list[AttachmentRef]:
    rows = session.scalars(select(Attachment).where(Attachment.dossier_id == dossier.id).order_by(Attachment.id))
    return [AttachmentRef(a.id, dossier.code, a.document, a.file_name, a.size, a.content_type) for a in rows]


def open_attachment(session: Session, actor: Actor, code: str, attachment_id: int, upload_dir: Path
                    ) -> tuple[Attachment, Path]:
    """A file of a dossier the actor may see (else 404, like the dossier itself)."""
    dossier = session.scalars(select(Dossier).where(Dossier.code == code)).first()
    if dossier is None or not may_see_dossier(actor, dossier):
        raise NotFound(f"dossier {code} does not exist")
    row = session.get(Attachment, attachment_id)
    path = upload_dir / row.stored_path if row is not None else None
    if row is None or row.dossier_id != dossier.id or path is None or not path.is_file():
        raise NotFound(f"dossier {code} has no attachment {attachment_id}")
    return row, path
