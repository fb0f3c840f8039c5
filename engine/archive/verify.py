"""Checking a package: every file against the manifest (hash, size, nothing missing, nothing added), the
manifest's signature by the unit (intact, a trusted certificate, not revoked, timestamped), and the signatures
of the result PDF. Each check is a line of the report, in Vietnamese; the package passes when all pass."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from engine.signing.manifest import verify_detached
from engine.signing.validate import validate
from engine.time.clock import LOCAL_TZ

from .package import FORMAT, MANIFEST, PATH_RE, SIGNATURE, sha256
from .zipsafe import NotAPackage, read_entries

PDF_PROBLEMS = {
    "not_pdf": "không phải tệp PDF", "no_signature": "không có chữ ký số", "changed": "đã bị sửa sau khi ký",
    "revoked": "chứng thư số đã bị thu hồi", "unknown_ca": "chứng thư số không do tổ chức tin cậy cấp",
    "expired": "chứng thư số đã hết hạn", "invalid": "chữ ký không hợp lệ",
}


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool
    message: str  # Vietnamese, for the operator


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def add(self, code: str, ok: bool, message: str) -> None:
        self.checks.append(Check(code, ok, message))


def read_manifest(files: dict[str, bytes]) -> dict[str, Any]:
    raw = files.get(MANIFEST)
    if raw is None:
        raise NotAPackage("no-manifest", "Tệp nén không có manifest.json: không phải gói lưu trữ hồ sơ.")
    try:
        manifest = orjson.loads(raw)
        entries = manifest["files"]
        ok = (manifest.get("format") == FORMAT and isinstance(entries, list)
              and all(isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("size"), int)
                      and isinstance(e.get("sha256"), str) for e in entries))
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise NotAPackage("bad-manifest", "manifest.json không đúng định dạng gói lưu trữ hồ sơ.")
    return manifest


def verify_package(data: bytes, signing: Any, max_bytes: int) -> Report:
    """NotAPackage when the file cannot be read as a package at all; otherwise the report of every check."""
    files = read_entries(data, max_bytes)
    manifest = read_manifest(files)
    report = Report(manifest=manifest)
    _check_files(report, files, manifest["files"])
    _check_signature(report, files, signing)
    for path in sorted(p for p in files if p.startswith("result/") and p.endswith(".pdf")):
        _check_pdf(report, path, files[path], signing)
    return report


def _check_files(report: Report, files: dict[str, bytes], entries: list[dict[str, Any]]) -> None:
    listed = {e["path"] for e in entries}
    for entry in entries:
        path = entry["path"]
        data = files.get(path)
        if data is None:
            report.add("file-missing", False, f"Thiếu tệp {path} (có trong manifest nhưng không có trong gói).")
        elif len(data) != entry["size"] or sha256(data) != entry["sha256"].lower():
            report.add("file-changed", False, f"Tệp {path} đã bị thay đổi (mã băm SHA-256 không khớp manifest).")
        else:
            report.add("file-ok", True, f"Tệp {path}: mã băm khớp manifest.")
    for path in sorted(set(files) - listed - {MANIFEST, SIGNATURE}):
        report.add("file-extra", False, f"Tệp {path[:150]} không có trong manifest (bị thêm vào gói).")
    for path in sorted(listed):
        if not PATH_RE.match(path) or path in (MANIFEST, SIGNATURE):
            report.add("path-invalid", False, f"Manifest ghi đường dẫn không hợp lệ: {path[:150]!r}.")
    if len(listed) != len(entries):
        report.add("manifest-duplicate", False, "Manifest ghi một tệp hai lần.")


def _check_signature(report: Report, files: dict[str, bytes], signing: Any) -> None:
    cms = files.get(SIGNATURE)
    if cms is None:
        report.add("signature-missing", False, "Thiếu chữ ký của manifest (manifest.p7s).")
        return
    try:
        found = verify_detached(files[MANIFEST], cms, signing)
    except Exception:  # a malformed CMS from a hostile file: reported, never raised
        report.add("signature-invalid", False, "Chữ ký của manifest không đọc được (không phải CMS hợp lệ).")
        return
    who = found.organisation or found.signer_name or "?"
    problem = found.problem
    if problem == "changed" or (problem is None and not found.intact):
        report.add("signature-changed", False, "Manifest đã bị sửa sau khi ký (chữ ký không khớp nội dung).")
    elif problem == "revoked" or found.revoked:
        report.add("signature-revoked", False, f"Chứng thư số ký manifest ({who}) đã bị thu hồi.")
    elif problem == "unknown_ca" or (problem is None and not found.trusted):
        report.add("signature-untrusted", False,
                   f"Chứng thư số ký manifest ({who}) không do tổ chức cung cấp dịch vụ tin cậy cấp.")
    elif problem == "expired":
        report.add("signature-expired", False, f"Chứng thư số ký manifest ({who}) đã hết hạn.")
    elif problem is not None and not found.serial:  # no signer certificate could be read from it
        report.add("signature-invalid", False, "Chữ ký của manifest không đọc được (không phải CMS hợp lệ).")
    elif problem is not None:
        report.add("signature-invalid", False, f"Chữ ký của manifest không hợp lệ ({who}).")
    elif not found.timestamped:
        report.add("signature-no-timestamp", False, f"Chữ ký manifest của {who} không có dấu thời gian.")
    else:
        report.add("signature-ok", True, f"Manifest được ký bởi {who}, còn nguyên vẹn, có dấu thời gian"
                   f"{_when(found.signed_at)}.")


def _when(at: Any) -> str:
    return f" lúc {at.astimezone(LOCAL_TZ):%H:%M ngày %d/%m/%Y}" if at is not None else ""


def _check_pdf(report: Report, path: str, pdf: bytes, signing: Any) -> None:
    try:
        found = validate(pdf, signing)
    except Exception:  # the validator is bounded; whatever it raises is reported as an invalid document
        report.add("result-invalid", False, f"Kết quả {path}: không kiểm tra được chữ ký.")
        return
    if found.ok:
        names = ", ".join(s.signer_name or s.organisation or "?" for s in found.signatures)
        report.add("result-ok", True, f"Kết quả {path}: chữ ký số hợp lệ ({names}).")
    else:
        reason = PDF_PROBLEMS.get(found.problem or "", "chữ ký không hợp lệ")
        report.add("result-invalid", False, f"Kết quả {path}: {reason}.")
