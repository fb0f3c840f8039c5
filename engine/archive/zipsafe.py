"""Reading a .zip that may be hostile: at most MAX_ENTRIES entries, names that are plain relative paths (no
absolute path, no `..`, no backslash, no link, no duplicate), and never more than `max_bytes` inflated in all,
counted as the bytes come out (the sizes the zip declares may lie)."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import PurePosixPath

MAX_ENTRIES = 5000
CHUNK = 64 * 1024


class NotAPackage(Exception):
    """The file cannot be read as a package; `code` for machines, `message_vi` for the operator."""

    def __init__(self, code: str, message_vi: str) -> None:
        super().__init__(code)
        self.code, self.message_vi = code, message_vi


def _check_name(info: zipfile.ZipInfo, seen: set[str]) -> None:
    name = info.filename
    path = PurePosixPath(name)
    if ("\\" in name or name.startswith("/") or path.is_absolute() or ".." in path.parts or ":" in name
            or "\x00" in name or not name.strip()):
        raise NotAPackage("unsafe-path", f"Tệp nén có đường dẫn không an toàn: {name[:100]!r}.")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise NotAPackage("link", f"Tệp nén chứa liên kết (symlink): {name[:100]!r}.")
    if name in seen or name.lower() in seen:
        raise NotAPackage("duplicate", f"Tệp nén có hai mục trùng tên: {name[:100]!r}.")
    seen.update({name, name.lower()})


def read_entries(data: bytes, max_bytes: int) -> dict[str, bytes]:
    """The zip's files by name (directories skipped); NotAPackage for anything unsafe or unreadable."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise NotAPackage("not-zip", "Tệp không phải tệp nén ZIP.") from None
    if len(infos) > MAX_ENTRIES:
        raise NotAPackage("too-many", f"Tệp nén có quá nhiều mục ({len(infos)}).")
    seen: set[str] = set()
    for info in infos:
        _check_name(info, seen)
    if sum(info.file_size for info in infos) > max_bytes:
        raise NotAPackage("too-large", f"Tệp nén giải nén ra quá {max_bytes // (1024 * 1024)} MB.")
    files: dict[str, bytes] = {}
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        out = bytearray()
        try:
            with archive.open(info) as member:
                while chunk := member.read(CHUNK):
                    total += len(chunk)
                    out += chunk
                    if total > max_bytes or len(out) > info.file_size:
                        raise NotAPackage("too-large", "Tệp nén giải nén ra nhiều hơn kích thước nó khai "
                                          "(tệp nén bất thường).")
        except NotAPackage:
            raise
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            raise NotAPackage("corrupt", f"Không đọc được mục {info.filename[:100]!r} của tệp nén "
                              "(hỏng hoặc mã hóa).") from None
        files[info.filename] = bytes(out)
    return files
