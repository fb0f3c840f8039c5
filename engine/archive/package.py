"""The package's layout: the files in a .zip beside manifest.json (each file's path, size and SHA-256) and
manifest.p7s (the unit's detached CMS signature of manifest.json). Built in memory from plain bytes: nothing
here touches the database or the network."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

FORMAT = "motcua-archive/1"
MANIFEST, SIGNATURE = "manifest.json", "manifest.p7s"
FOLDERS = ("documents", "attachments", "result")
TOP_FILES = ("audit.json", "dossier.json")
# every path a package may hold: documents/…, attachments/…, result/… (one level), the two records, the manifest
PATH_RE = re.compile(r"^(?:(?:documents|attachments|result)/[A-Za-z0-9][A-Za-z0-9._-]{0,150}|audit\.json|"
                     r"dossier\.json|manifest\.json|manifest\.p7s)$")
# a fixed time in every entry, so the same content makes the same .zip
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def safe_name(name: str, fallback: str = "tep") -> str:
    """A file name a package may hold: ASCII letters, digits, dot, dash, underscore (diacritics dropped)."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = re.sub(r"[^A-Za-z0-9._-]+", "-", plain).strip(".-_")
    return (plain or fallback)[:120]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_of(files: dict[str, bytes], *, dossier_code: str, unit: str | None, created_at: datetime,
                keep_until: datetime, version: str) -> bytes:
    entries = [{"path": path, "size": len(data), "sha256": sha256(data)} for path, data in sorted(files.items())]
    return orjson.dumps({"format": FORMAT, "dossier": dossier_code, "unit": unit,
                         "created_at": created_at.isoformat(), "keep_until": keep_until.isoformat(),
                         "motcua_version": version, "files": entries}, option=orjson.OPT_INDENT_2)


def build_zip(files: dict[str, bytes], manifest: bytes, signature: bytes) -> bytes:
    """The .zip: the files in order, then the manifest and its signature."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in [*sorted(files.items()), (MANIFEST, manifest), (SIGNATURE, signature)]:
            if not PATH_RE.match(path):
                raise ValueError(f"not a package path: {path!r}")
            info = zipfile.ZipInfo(path, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def make_package(files: dict[str, bytes], sign: Callable[[bytes], bytes], **manifest_fields: Any) -> bytes:
    manifest = manifest_of(files, **manifest_fields)
    return build_zip(files, manifest, sign(manifest))
