"""What can be wrong with a signed file, as machine-readable codes with the Vietnamese sentence a person reads
(English in api/web/i18n/en/signatures.po). Pages and APIs show `message_vi(code)`, never a library's text."""

from __future__ import annotations

# ValidationReport.problem / SignatureReport.problem, and SignatureRefused.code
MESSAGES_VI: dict[str, str] = {
    "not_pdf": "Tệp không phải là tài liệu PDF hợp lệ.",
    "too_large": "Tệp quá lớn để kiểm tra chữ ký số.",
    "no_signature": "Tài liệu không có chữ ký số.",
    "changed": "Tài liệu đã bị thay đổi sau khi ký.",
    "revoked": "Chứng thư số của người ký đã bị thu hồi.",
    "unknown_ca": "Chứng thư số không do tổ chức cung cấp dịch vụ chứng thực chữ ký số được tin cậy cấp.",
    "expired": "Chứng thư số của người ký đã hết hạn hoặc chưa có hiệu lực tại thời điểm ký.",
    "invalid": "Chữ ký số không hợp lệ.",
    "timeout": "Không kiểm tra được chữ ký số trong thời gian cho phép.",
    "not_incremental": "Tệp tải lên không phải là văn bản gốc được ký thêm đúng một chữ ký số.",
    "invalid_state": "Phiên ký số không còn hợp lệ, vui lòng ký lại.",
}
UNAVAILABLE_VI = ("Không kết nối được dịch vụ chứng thực chữ ký số (dấu thời gian, kiểm tra chứng thư); "
                  "vui lòng thử lại sau.")


def message_vi(code: str | None) -> str:
    return MESSAGES_VI.get(code or "", MESSAGES_VI["invalid"])


class SignatureRefused(Exception):
    """An uploaded or returned signature that is not accepted: `code` (MESSAGES_VI's keys) and its sentence."""

    def __init__(self, code: str, message_vi: str | None = None) -> None:
        self.code = code if code in MESSAGES_VI else "invalid"
        self.message_vi = message_vi or message(self.code)
        super().__init__(self.code)


def message(code: str) -> str:
    return message_vi(code)


class SigningUnavailable(RuntimeError):
    """The time-stamping authority or the OCSP/CRL servers did not answer (or the token): try again later."""

    message_vi = UNAVAILABLE_VI


def refusal_or_unavailable(exc: BaseException) -> Exception:
    """What a failure while signing means: the certificate is refused (revoked, unknown CA, expired), or the trust
    services were not reachable. Looks through the chain of causes pyHanko wraps its validator's errors in."""
    from pyhanko_certvalidator import errors

    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            break
        if isinstance(seen, errors.RevokedError):
            return SignatureRefused("revoked")
        if isinstance(seen, (errors.ExpiredError, errors.NotYetValidError)):
            return SignatureRefused("expired")
        if isinstance(seen, errors.PathBuildingError) and not isinstance(seen, errors.CertificateFetchError):
            return SignatureRefused("unknown_ca")
        seen = seen.__cause__ or seen.__context__
    return SigningUnavailable(f"{type(exc).__name__}: {exc}"[:300])
