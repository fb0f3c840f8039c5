"""Reading a package trusts nothing in the .zip: path traversal, absolute paths, links, duplicate names, too many
entries, zip bombs (declared or lying sizes), and files that are no zip are refused with a Vietnamese reason,
never inflated. The package's own layout round-trips."""

from __future__ import annotations

import io
import struct
import zipfile
from datetime import UTC, datetime

import pytest

from engine.archive.package import build_zip, manifest_of, safe_name
from engine.archive.zipsafe import MAX_ENTRIES, NotAPackage, read_entries

MB = 1024 * 1024


def zip_of(*entries: tuple[str, bytes], attr: int | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if attr is not None:
                info.external_attr = attr << 16
            archive.writestr(info, data)
    return out.getvalue()


def refused(data: bytes, max_bytes: int = 10 * MB) -> NotAPackage:
    with pytest.raises(NotAPackage) as caught:
        read_entries(data, max_bytes)
    assert caught.value.message_vi and caught.value.message_vi[0].isupper()
    return caught.value


@pytest.mark.parametrize("name", ["../evil.txt", "documents/../../evil.txt", "/etc/passwd", "..\\evil.txt",
                                  "C:/evil.txt", "documents/a\\..\\..\\b"])
def test_unsafe_paths_are_refused(name: str) -> None:
    data = zip_of(("manifest.json", b"{}"), (name, b"x"))
    assert refused(data).code == "unsafe-path"


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_duplicate_names_are_refused_even_in_another_case() -> None:
    assert refused(zip_of(("audit.json", b"1"), ("audit.json", b"2"))).code == "duplicate"
    assert refused(zip_of(("result/A.pdf", b"1"), ("result/a.pdf", b"2"))).code == "duplicate"


def test_links_are_refused() -> None:
    assert refused(zip_of(("documents/x.pdf", b"/etc/passwd"), attr=0o120777)).code == "link"


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = zip_of(("attachments/zeros.bin", b"\0" * (50 * MB)))
    assert len(bomb) < MB
    assert refused(bomb, max_bytes=10 * MB).code == "too-large"


def test_a_zip_that_lies_about_its_sizes_is_refused() -> None:
    honest = zip_of(("attachments/zeros.bin", b"\0" * (2 * MB)))
    # the central directory says 10 bytes: reading stops there and the entry is refused, never 2 MB inflated
    at = honest.rindex(b"PK\x01\x02")
    lying = honest[:at + 24] + struct.pack("<I", 10) + honest[at + 28:]
    error = refused(lying, max_bytes=MB)
    assert error.code in ("corrupt", "too-large")


def test_too_many_entries_are_refused() -> None:
    data = zip_of(*((f"attachments/{i}.txt", b"") for i in range(MAX_ENTRIES + 1)))
    assert refused(data).code == "too-many"


@pytest.mark.parametrize("data", [b"", b"not a zip at all", b"PK\x03\x04" + b"\0" * 40, b"%PDF-1.7\n%%EOF"])
def test_what_is_no_zip_is_refused(data: bytes) -> None:
    assert refused(data).code == "not-zip"


def test_the_package_layout_round_trips_and_rejects_foreign_paths() -> None:
    files = {"documents/01-receipt.pdf": b"%PDF-1.7 a", "attachments/000001-don-xin.pdf": b"b",
             "audit.json": b"[]", "dossier.json": b"{}"}
    now = datetime(2026, 5, 4, 3, 0, tzinfo=UTC)
    manifest = manifest_of(files, dossier_code="CM-AX-260504-00001", unit="CM-AX", created_at=now, keep_until=now,
                           version="0.1.0")
    data = build_zip(files, manifest, b"cms")
    assert read_entries(data, MB) == {**files, "manifest.json": manifest, "manifest.p7s": b"cms"}
    assert build_zip(files, manifest, b"cms") == data  # the same content makes the same .zip
    with pytest.raises(ValueError):
        build_zip({"../x": b""}, manifest, b"cms")


def test_file_names_lose_diacritics_and_anything_unsafe() -> None:
    assert safe_name("Đơn đề nghị (bản sao).pdf") == "Don-de-nghi-ban-sao-.pdf"
    assert safe_name("../../etc/passwd") == "etc-passwd"
    assert safe_name("...") == "tep"
