"""A stand-in payment platform: a small HTTP server speaking the protocol of `mapping/protocol.toml`, keeping its
transactions in memory. `motcua standin payment` runs one; `motcua serve --standins` starts one when
MOTCUA_PAYMENT_URL is unset (plugin.py); the tests start their own.

- `POST {create_path}`: a transaction (the request's checksum checked), answered with its pay URL, `error_code` 0;
- `POST {detail_path}`: a transaction's signed outcome (`error_code` -1 for an unknown one);
- `GET /pay/<id>`: its pay page (amount, lines, beneficiary; "Thanh toán" and "Hủy"); the POST records the
  outcome, posts the signed callback to Motcua and sends the citizen back to Motcua's return URL;
- `GET /_records` lists transactions and the callbacks sent (with Motcua's answers);
- `/_control/...` (POST, JSON): `callbacks {"mode": "normal|duplicate|late|never|tamper-checksum|tamper-amount",
  "seconds"}`, `settle {"tracking_code", "outcome": "paid|cancelled"}` (as if paid elsewhere, no callback),
  `replay {"index"}` (a callback sent before, posted again as it was), `down` / `up` (503), `reset`.
Python has the same controls as methods (`down()` there closes the socket: connections are refused).
"""

from __future__ import annotations

import html
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from ..standin_http import JsonHandler, StandinServer
from .protocol import local_stamp, rules, sign, verified

MAX_BODY = 1024 * 1024
MODES = ("normal", "duplicate", "late", "never", "tamper-checksum", "tamper-amount")
STATE_CODES = {"paid": "1", "cancelled": "2", "failed": "3"}


@dataclass
class Platform:
    secret: str = ""
    base_url: str = ""
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)  # MaGiaoDich -> record
    callbacks: list[dict[str, Any]] = field(default_factory=list)  # what was posted to Motcua, and its answer
    mode: str = "normal"
    late_seconds: float = 1.0
    unavailable: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def state(self) -> dict[str, Any]:
        return {"standin": True, "transactions": len(self.transactions), "callbacks": len(self.callbacks),
                "mode": self.mode, "late_seconds": self.late_seconds, "down": self.unavailable}

    def reset(self) -> None:
        self.mode, self.late_seconds, self.unavailable = "normal", 1.0, False

    def by_tracking(self, code: str) -> dict[str, Any] | None:
        return next((t for t in self.transactions.values() if t["request"].get("MaTraCuuTT") == code), None)

    # --- the protocol ------------------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.secret and not verified(self.secret, body, "create"):
            return {"error_code": -1, "message": "Sai mã kiểm tra (checksum)", "standin": True}
        with self.lock:
            known = self.by_tracking(str(body.get("MaTraCuuTT") or ""))
            if known is None:
                ref = f"GD{len(self.transactions) + 1:08d}"
                known = self.transactions[ref] = {"ref": ref, "request": body, "state": "0", "paid_at": None,
                                                  "receipt": None}
        names = rules()["created"]
        return {"error_code": 0, names["pay_url"]: f"{self.base_url}/pay/{known['ref']}",
                names["platform_ref"]: known["ref"], "standin": True}

    def outcome_body(self, tx: dict[str, Any]) -> dict[str, Any]:
        names, request = rules()["outcome"], tx["request"]
        body = {names["tracking_code"]: request.get("MaTraCuuTT"), names["dossier_code"]: request.get("MaHoSo"),
                names["amount"]: request.get("TongTien"), names["state"]: tx["state"],
                names["platform_ref"]: tx["ref"], names["signed_at"]: local_stamp(datetime.now(UTC)),
                names["paid_at"]: tx["paid_at"] or ""}
        if tx["receipt"]:
            body.update({names["receipt_number"]: tx["receipt"], names["receipt_series"]: "1C26TTT",
                         names["receipt_url"]: f"{self.base_url}/receipts/{tx['ref']}"})
        return sign(self.secret, body, "outcome")

    def detail(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.secret and not verified(self.secret, body, "detail"):
            return {"error_code": -1, "message": "Sai mã kiểm tra (checksum)", "standin": True}
        with self.lock:
            tx = self.by_tracking(str(body.get("MaTraCuuTT") or ""))
            if tx is None:
                return {"error_code": -1, "message": "Không tìm thấy giao dịch", "standin": True}
            return {"error_code": 0, "data": self.outcome_body(tx), "standin": True}

    def settle(self, ref: str, outcome: str) -> dict[str, Any] | None:
        """The payer paid or cancelled: the transaction's state, and the callback to post (None: none)."""
        with self.lock:
            tx = self.transactions.get(ref)
            if tx is None:
                return None
            if tx["state"] == "0":
                tx["state"] = STATE_CODES[outcome]
                if outcome == "paid":
                    tx["paid_at"] = local_stamp(datetime.now(UTC))
                    tx["receipt"] = f"{len([t for t in self.transactions.values() if t['receipt']]) + 1:07d}"
            return self.outcome_body(tx)

    def deliver(self, tx: dict[str, Any], body: dict[str, Any]) -> None:
        """The callback as the current mode says."""
        target = str(tx["request"].get("UrlThongBao") or "")
        mode = self.mode
        if mode == "never" or not target:
            return
        if mode == "tamper-checksum":
            body = {**body, rules()["checksum"]["field"]: "0" * 64}
        elif mode == "tamper-amount":  # a changed amount, signed again (a forged or buggy notice)
            names = rules()["outcome"]
            body = sign(self.secret, {**body, names["amount"]: int(body[names["amount"]] or 0) // 10}, "outcome")
        if mode == "late":
            threading.Timer(self.late_seconds, self.post, (target, body)).start()
            return
        self.post(target, body)
        if mode == "duplicate":
            self.post(target, body)

    def post(self, target: str, body: dict[str, Any]) -> tuple[int, Any]:
        request = urllib.request.Request(target, data=json.dumps(body, ensure_ascii=False).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, raw = response.status, response.read(MAX_BODY)
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read(MAX_BODY)
        except OSError as exc:
            status, raw = 0, str(exc).encode()
        try:
            answer: Any = json.loads(raw or b"null")
        except ValueError:
            answer = raw.decode("utf-8", "replace")
        with self.lock:
            self.callbacks.append({"target": target, "body": body, "status": status, "answer": answer,
                                   "at": datetime.now(UTC).isoformat()})
        return status, answer


def _money(amount: Any) -> str:
    try:
        return f"{int(amount):,}".replace(",", ".") + " đ"
    except (TypeError, ValueError):
        return str(amount)


def pay_page(tx: dict[str, Any]) -> str:
    request, e = tx["request"], html.escape
    lines = "".join(f"<tr><td>{e(str(line.get('NoiDung', '')))}</td><td>{_money(line.get('SoTien'))}</td></tr>"
                    for line in request.get("DSKhoanNop") or [])
    done = {"1": "Đã thanh toán", "2": "Đã hủy", "3": "Không thành công"}.get(tx["state"])
    buttons = (f"<p data-done>{done}</p>" if done else
               '<form method="post"><button name="action" value="pay" data-pay>Thanh toán</button> '
               '<button name="action" value="cancel" data-cancel>Hủy</button></form>')
    return (f"<!doctype html><html lang=vi><meta charset=utf-8><title>Thanh toán (stand-in)</title>"
            f"<h1>Nền tảng thanh toán (stand-in)</h1><p>Hồ sơ: {e(str(request.get('MaHoSo', '')))} · "
            f"Mã tra cứu: <span data-tracking>{e(str(request.get('MaTraCuuTT', '')))}</span></p>"
            f"<p>{e(str(request.get('NoiDungThanhToan', '')))}</p><table>{lines}</table>"
            f"<p>Tổng tiền: <strong data-amount>{_money(request.get('TongTien'))}</strong></p>"
            f"<p>Người thụ hưởng: {e(str(request.get('TenTKThuHuong', '')))} · "
            f"{e(str(request.get('TKThuHuong', '')))} · {e(str(request.get('MaNHThuHuong', '')))}</p>{buttons}</html>")


def _handler(platform: Platform) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        server_version = "MotcuaPaymentStandin/1"

        def _raw(self) -> bytes | None:
            length = int(self.headers.get("Content-Length") or 0)
            return None if length > MAX_BODY else self.rfile.read(length)

        def _html(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/_records":
                with platform.lock:
                    return self._answer(200, {"transactions": list(platform.transactions.values()),
                                              "callbacks": list(platform.callbacks)})
            if self.path == "/_control":
                return self._answer(200, platform.state())
            if self.path.startswith("/pay/"):
                with platform.lock:
                    tx = platform.transactions.get(self.path[5:])
                    return self._html(200, pay_page(tx)) if tx else self._html(404, "Không tìm thấy giao dịch")
            return self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            raw = self._raw()
            if raw is None:
                return self._answer(413, {"error_code": -1, "message": "Nội dung quá lớn"})
            if self.path.startswith("/pay/"):
                return self._pay(self.path[5:], urllib.parse.parse_qs(raw.decode("utf-8", "replace")))
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return self._answer(400, {"error_code": -1, "message": "Nội dung không phải JSON hợp lệ"})
            if self.path.startswith("/_control/"):
                return self._control(self.path[len("/_control/"):], body)
            if platform.unavailable:
                return self._answer(503, {"error": "the stand-in is down"})
            r = rules()
            if self.path == r["create_path"]:
                return self._answer(200, platform.create(body))
            if self.path == r["detail_path"]:
                return self._answer(200, platform.detail(body))
            return self._answer(404, {"error": "not found"})

        def _pay(self, ref: str, form: dict[str, list[str]]) -> None:
            action = (form.get("action") or [""])[0]
            if action not in ("pay", "cancel"):
                return self._html(400, "Hãy chọn Thanh toán hoặc Hủy")
            body = platform.settle(ref, "paid" if action == "pay" else "cancelled")
            if body is None:
                return self._html(404, "Không tìm thấy giao dịch")
            tx = platform.transactions[ref]
            platform.deliver(tx, body)
            back = str(tx["request"].get("UrlTraVe") or "")
            query = urllib.parse.urlencode({"MaTraCuuTT": tx["request"].get("MaTraCuuTT", ""),
                                            "TrangThai": tx["state"]})
            if not back:
                return self._html(200, pay_page(tx))
            self.send_response(303)
            self.send_header("Location", f"{back}{'&' if '?' in back else '?'}{query}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _control(self, command: str, body: dict[str, Any]) -> None:
            if command == "replay":
                with platform.lock:
                    try:
                        sent = platform.callbacks[int(body.get("index", -1))]
                    except (IndexError, TypeError, ValueError):
                        return self._answer(404, {"error": "no such callback"})
                status, answer = platform.post(sent["target"], sent["body"])
                return self._answer(200, {"status": status, "answer": answer})
            if command == "settle":
                with platform.lock:
                    tx = platform.by_tracking(str(body.get("tracking_code") or ""))
                if tx is None or body.get("outcome") not in STATE_CODES:
                    return self._answer(404, {"error": "no such transaction or outcome"})
                platform.settle(tx["ref"], str(body["outcome"]))
                return self._answer(200, platform.state())
            with platform.lock:
                if command == "callbacks" and body.get("mode") in MODES:
                    platform.mode = str(body["mode"])
                    try:
                        platform.late_seconds = float(body.get("seconds", platform.late_seconds))
                    except (TypeError, ValueError):
                        return self._answer(400, {"error": "a number was expected"})
                elif command in ("down", "up"):
                    platform.unavailable = command == "down"
                elif command == "reset":
                    platform.reset()
                else:
                    return self._answer(404, {"error": f"no control {command!r}"})
                return self._answer(200, platform.state())

    return Handler


class StandinPayment(StandinServer):
    """A running stand-in; `url` is what MOTCUA_PAYMENT_URL should say."""

    name = "payment"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, platform: Platform | None = None) -> None:
        self.platform = platform or Platform()
        super().__init__(host, port, _handler(self.platform))
        self.platform.base_url = self.url

    # --- what a test commands ----------------------------------------------------------------------------
    @property
    def callbacks(self) -> list[dict[str, Any]]:
        with self.platform.lock:
            return list(self.platform.callbacks)

    def wait_callbacks(self, count: int, seconds: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + seconds
        while len(self.callbacks) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.callbacks

    def transaction(self, tracking_code: str) -> dict[str, Any] | None:
        with self.platform.lock:
            return self.platform.by_tracking(tracking_code)

    def callback_mode(self, mode: str, seconds: float = 1.0) -> None:
        assert mode in MODES, mode
        with self.platform.lock:
            self.platform.mode, self.platform.late_seconds = mode, seconds

    def pay(self, tracking_code: str, outcome: str = "paid") -> None:
        """As the payer's click on the pay page: the outcome recorded and the callback sent (by the mode)."""
        tx = self.transaction(tracking_code)
        assert tx is not None, tracking_code
        body = self.platform.settle(tx["ref"], outcome)
        assert body is not None
        self.platform.deliver(tx, body)

    def settle(self, tracking_code: str, outcome: str = "paid") -> None:
        """Paid (or cancelled) at the platform, no callback sent: only reconciliation can find it."""
        tx = self.transaction(tracking_code)
        assert tx is not None, tracking_code
        self.platform.settle(tx["ref"], outcome)

    def replay(self, index: int = -1) -> tuple[int, Any]:
        sent = self.callbacks[index]
        return self.platform.post(sent["target"], sent["body"])



def start(host: str = "127.0.0.1", port: int = 0, secret: str = "") -> StandinPayment:
    """A running stand-in platform; `secret` is the checksum key it shares with Motcua."""
    return StandinPayment(host, port, Platform(secret=secret)).start()
