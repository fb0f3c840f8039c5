"""What an SMS may carry. Decision: Vietnamese is folded to plain ASCII (GSM-7) unless MOTCUA_SMS_UNICODE=1.

- GSM-7 carries 160 characters in one part (153 per part when split); Vietnamese with its diacritics needs UCS-2,
  70 characters a part (67 when split): the same message costs two to three times as many parts.
- Brandname SMS in Vietnam is registered with the carriers as templates, commonly without diacritics, and every
  phone shows unaccented text correctly, while some older handsets garble UCS-2.
- Folding loses nothing the citizen needs: the code, dates, amounts and the link are ASCII already, and the
  e-mail (and the tracking page) carry the full Vietnamese text.
"""

from __future__ import annotations

import unicodedata

GSM_SINGLE, GSM_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


def fold_ascii(text: str) -> str:
    """"Hồ sơ đã có kết quả" -> "Ho so da co ket qua"; anything still outside ASCII becomes "?"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return "".join(c if 32 <= ord(c) < 127 or c == "\n" else "?" for c in plain)


def encode(text: str, unicode: bool) -> tuple[str, str]:
    """The text to send and its encoding: ("...", "gsm7") or ("...", "ucs2")."""
    if unicode:
        return unicodedata.normalize("NFC", text), "ucs2"
    return fold_ascii(text), "gsm7"


def parts(text: str, encoding: str) -> int:
    single, multi = (GSM_SINGLE, GSM_MULTI) if encoding == "gsm7" else (UCS2_SINGLE, UCS2_MULTI)
    return 1 if len(text) <= single else -(-len(text) // multi)
