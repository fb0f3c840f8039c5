"""A procedure version as its folder in a .zip (procedure.toml, the BPMN and DMN files, forms/<name>.form), and
back: teams that keep procedures in version control lose nothing. Reading an archive trusts nothing in it:
sizes are capped before anything is inflated, names are checked (no absolute paths, no `..`, no links, only
the expected files), and the diagrams are parsed later by the one safe XML parser (`xmlsafe`)."""

from __future__ import annotations

import io
import re
import stat
import tomllib
import zipfile
from pathlib import PurePosixPath

import orjson

from engine.errors import InvalidPackage, Problem

from .metadata import CODE_PATTERN, METADATA_FILE
from .packages import FORM_NAME_RE, MAX_FILE_BYTES, PACKAGE_SUFFIXES, ProcedurePackage

MAX_ARCHIVE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_ENTRIES = 200
FORM_SUFFIXES = (".form", ".json")


def export_archive(package: ProcedurePackage) -> bytes:
    """The folder as `processes/<code>/` and `forms/` keep it, under one top folder named by the code."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(package.files):
            archive.writestr(f"{package.code}/{name}", package.files[name])
        for name in sorted(package.forms):
            archive.writestr(f"{package.code}/forms/{name}.form",
                             orjson.dumps(package.forms[name], option=orjson.OPT_INDENT_2) + b"\n")
    return buffer.getvalue()


def _refuse(code: str, message: str, file: str | None = None) -> InvalidPackage:
    return InvalidPackage([Problem(code, message, file=file)])


def _entry_path(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _refuse("archive-link", f"{name}: links are not allowed", name)
    path = PurePosixPath(name)
    if "\\" in name or name.startswith("/") or ":" in name or any(p in ("..", ".", "") for p in path.parts):
        raise _refuse("archive-path", f"{name}: a path outside the procedure's folder", name)
    return path


def read_archive(data: bytes) -> ProcedurePackage:
    """A package from a .zip made by `export_archive` (or by hand: the files at the top, or under one folder)."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise _refuse("archive-too-large", f"the archive is larger than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _refuse("archive-invalid", "not a .zip archive") from None
    if len(infos) > MAX_ENTRIES:
        raise _refuse("archive-too-many-files", f"the archive holds more than {MAX_ENTRIES} files")
    paths = [_entry_path(i) for i in infos]
    # everything under one top folder (as exported), or the files at the top themselves
    under_one = len({p.parts[0] for p in paths}) == 1 and all(len(p.parts) > 1 for p in paths)
    prefix = 1 if under_one and PurePosixPath(METADATA_FILE) not in paths else 0
    files: dict[str, bytes] = {}
    forms: dict[str, dict[str, object]] = {}
    unpacked = 0
    for info, path in zip(infos, paths, strict=True):
        parts = path.parts[prefix:]
        if info.file_size > MAX_FILE_BYTES:
            raise _refuse("file-too-large", f"{info.filename} is larger than 2 MB", info.filename)
        with archive.open(info) as handle:
            try:
                content = handle.read(MAX_FILE_BYTES + 1)  # the header's size is not trusted
            except (zipfile.BadZipFile, EOFError, OSError, NotImplementedError):
                raise _refuse("archive-invalid", f"{info.filename}: cannot be read", info.filename) from None
        unpacked += len(content)
        if len(content) > MAX_FILE_BYTES or unpacked > MAX_UNPACKED_BYTES:
            raise _refuse("file-too-large", f"{info.filename} is too large once unpacked", info.filename)
        if len(parts) == 1 and PurePosixPath(parts[0]).suffix in PACKAGE_SUFFIXES:
            files[parts[0]] = content
        elif len(parts) == 2 and parts[0] == "forms" and PurePosixPath(parts[1]).suffix in FORM_SUFFIXES \
                and FORM_NAME_RE.fullmatch(PurePosixPath(parts[1]).stem):
            try:
                form = orjson.loads(content)
            except orjson.JSONDecodeError:
                raise _refuse("form-syntax", f"{info.filename}: not JSON", info.filename) from None
            if not isinstance(form, dict):
                raise _refuse("form-invalid", f"{info.filename}: a form-js schema is a JSON object", info.filename)
            forms[PurePosixPath(parts[1]).stem] = form
        else:
            raise _refuse("archive-unexpected-file", f"{info.filename}: only procedure.toml, .bpmn, .dmn, .html "
                          "(the result template) and forms/<name>.form belong in a procedure's archive", info.filename)
    if METADATA_FILE not in files:
        raise _refuse("metadata-missing", f"the archive has no {METADATA_FILE}", METADATA_FILE)
    return ProcedurePackage(_code(files[METADATA_FILE]), files, forms)


def _code(content: bytes) -> str:
    try:
        code = tomllib.loads(content.decode("utf-8")).get("code")
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError):
        raise _refuse("metadata-syntax", f"{METADATA_FILE} is not valid TOML", METADATA_FILE) from None
    if not isinstance(code, str) or not re.fullmatch(CODE_PATTERN, code):
        raise _refuse("metadata-invalid", f"{METADATA_FILE}: code is missing or not a procedure code", METADATA_FILE)
    return code
