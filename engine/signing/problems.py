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
