"""The SMS connector's interface, and its HTTP implementation.

The gateway protocol (what the stand-in speaks, and what a real gateway's adapter must offer):
`POST {url}/messages` with JSON `{"to": "+84912345678", "from": "<brandname>", "text": "...", "encoding": "gsm7"
| "ucs2"}` and `Authorization: Bearer <token>`; any 2xx is accepted (`{"id": ...}`); `GET {url}/health` answers
200 when the gateway works.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Protocol

from .config import SmsSettings
from .text import encode

_NOT_DIGITS = re.compile(r"[^0-9+]")


class SmsError(RuntimeError):
    """The gateway refused the message or could not be reached (the outbox retries it)."""


class SmsClient(Protocol):
    def send(self, to: str, text: str) -> None: ...


def e164(phone: str) -> str:
    """Vietnamese numbers as the gateways want them: "0912 345 678" -> "+84912345678"."""
    digits = _NOT_DIGITS.sub("", phone)
    if digits.startswith("+"):
        return digits
    if digits.startswith("84") and len(digits) >= 11:
        return f"+{digits}"
    if digits.startswith("0"):
        return f"+84{digits[1:]}"
    return digits


class HttpSmsClient:
    def __init__(self, settings: SmsSettings) -> None:
        if not settings.url:
            raise SmsError("no SMS gateway configured (MOTCUA_SMS_URL)")
        self.settings = settings

    def _request(self, method: str, path: str, body: dict[str, str] | None = None) -> bytes:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.settings.token:
            headers["Authorization"] = f"Bearer {self.settings.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.settings.url}{path}", data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                return bytes(response.read(65536))
        except urllib.error.HTTPError as exc:
            raise SmsError(f"the gateway answered {exc.code}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise SmsError(f"the gateway could not be reached: {exc}") from None

    def send(self, to: str, text: str) -> None:
        body, encoding = encode(text, self.settings.unicode)
        self._request("POST", "/messages", {"to": e164(to), "from": self.settings.sender, "text": body,
                                            "encoding": encoding})

    def health(self) -> bool:
        """Raises when the gateway is unwell; True when it says it is a stand-in."""
        raw = self._request("GET", "/health")
        try:
            return json.loads(raw or b"{}").get("standin") is True
        except (ValueError, AttributeError):
            return False


def sender_from_env() -> SmsClient | None:
    """The configured client, or None when MOTCUA_SMS_URL is unset."""
    settings = SmsSettings.from_env()
    return HttpSmsClient(settings) if settings.url else None
