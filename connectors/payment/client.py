"""The payment connector's HTTP client (protocol: `protocol.py`, `mapping/protocol.toml`):

- `create(order)`: the create request, signed; answers the pay URL and the platform's transaction id;
- `detail(tracking_code)`: the transaction's outcome as the platform now sees it (its answer verified too);
- `verify_callback(body)`: the outcome of a callback whose checksum matches (CallbackError otherwise).
Errors are `PaymentError` (`answered`: the platform answered at all; the health check tells refused from down).
"""

from __future__ import annotations

from typing import Any

from connectors.http import Unreachable, exchange

from .config import PaymentSettings
from .protocol import CallbackError, create_body, created, outcome, read_callback, rules, sign, verified

MAX_ANSWER = 1024 * 1024


class PaymentError(RuntimeError):
    def __init__(self, reason: str, answered: bool = False) -> None:
        super().__init__(reason)
        self.answered = answered


def _reason(answer: dict[str, Any]) -> str:
    for key in ("message", "error_message", "msg"):
        if answer.get(key):
            return str(answer[key])[:300]
    return f"error_code {answer.get('error_code')!r}"


class PaymentClient:
    def __init__(self, settings: PaymentSettings) -> None:
        if not settings.url:
            raise PaymentError("no payment platform configured (MOTCUA_PAYMENT_URL)")
        self.settings = settings

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            status, answer = exchange("POST", f"{self.settings.url}{path}", body, {}, self.settings.timeout,
                                      MAX_ANSWER)
        except Unreachable as exc:
            if exc.timed_out:
                raise PaymentError(f"the payment platform did not answer within {self.settings.timeout:g} s") from None
            raise PaymentError(f"the payment platform could not be reached: {exc}") from None
        if not 200 <= status < 300:
            raise PaymentError(f"the payment platform answered {status}", answered=True)
        if answer is None:
            raise PaymentError("the payment platform's answer is not JSON", answered=True)
        if not isinstance(answer, dict):
            raise PaymentError("the payment platform's answer is not a JSON object", answered=True)
        return answer

    def _call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self._post(path, body)
        if answer.get("error_code", answer.get("errorCode")) not in rules()["success_codes"]:
            raise PaymentError(_reason(answer), answered=True)
        return answer

    def _fixed(self) -> dict[str, Any]:
        s = self.settings
        return {"service_code": s.service_code, "account": s.account, "bank": s.bank,
                "account_name": s.account_name, "return_url": s.return_url, "callback_url": s.callback_url}

    def create(self, order: dict[str, Any]) -> dict[str, str]:
        """A new transaction for Motcua's order (engine/payments); {"pay_url", "platform_ref"}."""
        body = sign(self.settings.secret, create_body(order, self._fixed()), "create")
        found = created(self._call(rules()["create_path"], body))
        if not found["pay_url"].startswith(("http://", "https://")):
            raise PaymentError("the payment platform gave no pay URL", answered=True)
        return found

    def detail(self, tracking_code: str) -> dict[str, Any]:
        """The transaction's outcome (protocol.outcome's keys), its checksum verified."""
        body = sign(self.settings.secret, {"MaDVC": self.settings.service_code, "MaTraCuuTT": tracking_code}, "detail")
        data = self._call(rules()["detail_path"], body).get("data")
        if not isinstance(data, dict):
            raise PaymentError(f"the payment platform has no transaction {tracking_code}", answered=True)
        if not verified(self.settings.secret, data, "outcome"):
            raise PaymentError("the payment platform's answer does not carry a valid checksum", answered=True)
        try:
            return outcome(data)
        except CallbackError as exc:
            raise PaymentError(f"the payment platform's answer cannot be read: {exc}", answered=True) from None

    def health(self) -> bool:
        """The platform answers (any JSON to a detail request); True when it says it is a stand-in."""
        body = sign(self.settings.secret, {"MaDVC": self.settings.service_code, "MaTraCuuTT": "-"}, "detail")
        return self._post(rules()["detail_path"], body).get("standin") is True


def verify_callback(body: Any, settings: PaymentSettings | None = None) -> dict[str, Any]:
    """A callback's outcome once its checksum is verified with MOTCUA_PAYMENT_SECRET; CallbackError otherwise."""
    return read_callback((settings or PaymentSettings.from_env()).secret, body)


def client_from_env() -> PaymentClient | None:
    """The configured client, or None when MOTCUA_PAYMENT_URL is unset (no online payment offered)."""
    settings = PaymentSettings.from_env()
    return PaymentClient(settings) if settings.url else None
