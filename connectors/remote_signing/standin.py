"""A stand-in remote signing service: a small HTTP server speaking the protocol of `mapping/protocol.toml`. It
holds the signers' keys by user_id (loaded from PKCS#12 files, e.g. the demo PKI's leader.p12 for "lanhdao") and
signs a request's digest (RSA PKCS#1 v1.5 over the prehashed SHA-256) only when "the phone" confirms.
`motcua standin remote_signing` runs one; `motcua serve --standins` starts one with the demo PKI (plugin.py).

- `POST {certificate_path}`, `{sign_path}`, `{status_path}`: the API (sp_id / sp_password checked when set);
- `GET /phone`: the pending requests with "Xác nhận" / "Từ chối" buttons (`POST /phone/<tx>` action=confirm|reject);
- `POST /_control/confirm/<tx>`, `/_control/reject/<tx>`, `/_control/expire/<tx>`: what the phone would do;
  `POST /_control/webhook {"url", "secret"}`: where to post the signed webhook; `/_control/down` / `up` (503);
- `GET /_records`: requests and webhooks sent; `GET /health`.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils
from cryptography.hazmat.primitives.serialization import pkcs12

from ..standin_http import JsonHandler, StandinServer
from .protocol import ProtocolError, b64, decode_digest, rules, webhook_signature

MAX_BODY = 256 * 1024
TX_ID = r"[A-Za-z0-9._:-]{1,100}"


def _status_path() -> re.Pattern[str]:
    path = re.escape(rules()["status_path"]).replace(re.escape("{transaction_id}"), f"({TX_ID})")
    return re.compile(f"^{path}$")


def _code(state: str) -> str:
    return next(code for code, name in rules()["states"].items() if name == state)


@dataclass
class Account:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    chain: list[x509.Certificate]

    @classmethod
    def from_pkcs12(cls, path: Path, password: str) -> Account:
        key, cert, extra = pkcs12.load_key_and_certificates(Path(path).read_bytes(), password.encode())
        if not isinstance(key, rsa.RSAPrivateKey) or cert is None:
            raise ValueError(f"{path}: an RSA key and its certificate were expected")
        return cls(key, cert, list(extra or []))


@dataclass
class Service:
    accounts: dict[str, Account] = field(default_factory=dict)  # user_id -> keys
    sp_id: str = ""
    sp_password: str = ""
    expiry: float = 300.0
    transactions: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhook_url: str = ""
    webhook_secret: str = ""
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    unavailable: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def credentials_ok(self, body: dict[str, Any]) -> bool:
        names = rules()["sign_request"]
        return not self.sp_id or (body.get(names["sp_id"]) == self.sp_id
                                  and body.get(names["sp_password"]) == self.sp_password)

    def certificate(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        names = rules()["certificate_request"]
        account = self.accounts.get(str(body.get(names["user_id"]) or ""))
        if account is None:
            return 200, {"status_code": 4004, "message": "Không tìm thấy người dùng", "standin": True}
        der = serialization.Encoding.DER
        out = rules()["certificate_answer"]
        found = {out["certificate"]: b64(account.cert.public_bytes(der)),
                 out["chain"]: [b64(c.public_bytes(der)) for c in account.chain],
                 out["serial_number"]: format(account.cert.serial_number, "x"),
                 out["subject"]: account.cert.subject.rfc4514_string()}
        return 200, {"status_code": 0, "message": "OK", "data": {out["list"]: [found]}, "standin": True}

    def sign(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        r = rules()
        names, file_names = r["sign_request"], r["sign_file"]
        user, tx_id = str(body.get(names["user_id"]) or ""), str(body.get(names["transaction_id"]) or "")
        files = body.get(names["sign_files"])
        if user not in self.accounts:
            return 200, {"status_code": 4004, "message": "Không tìm thấy người dùng", "standin": True}
        if not re.fullmatch(TX_ID, tx_id) or not isinstance(files, list) or len(files) != 1 \
                or not isinstance(files[0], dict):
            return 400, {"status_code": 4005, "message": "Yêu cầu không hợp lệ", "standin": True}
        try:
            digest = decode_digest(files[0].get(file_names["data_to_be_signed"]))
        except ProtocolError as exc:
            return 400, {"status_code": 4005, "message": str(exc), "standin": True}
        with self.lock:
            if tx_id in self.transactions:
                return 409, {"status_code": 4009, "message": "Giao dịch đã tồn tại", "standin": True}
            self.transactions[tx_id] = {"transaction_id": tx_id, "user_id": user, "digest": digest.hex(),
                                        "doc_id": files[0].get(file_names["doc_id"]), "state": "pending",
                                        "description": str(body.get(names["transaction_desc"]) or ""),
                                        "signature": None, "reason": "", "created": time.monotonic()}
        answer = r["sign_answer"]
        return 200, {"status_code": 0, "message": "OK", "standin": True,
                     "data": {answer["transaction_id"]: tx_id, answer["expired_in"]: int(self.expiry)}}

    def status(self, tx_id: str) -> tuple[int, dict[str, Any]]:
        names = rules()["status_answer"]
        with self.lock:
            tx = self.transactions.get(tx_id)
            if tx is None:
                return 200, {"status_code": 4004, "message": "Không tìm thấy giao dịch", "standin": True}
            if tx["state"] == "pending" and time.monotonic() - tx["created"] > self.expiry:
                tx["state"] = "expired"
            data: dict[str, Any] = {names["state"]: _code(tx["state"]), names["reason"]: tx["reason"]}
            if tx["signature"]:
                data[names["signatures"]] = [{names["doc_id"]: tx["doc_id"], names["signature_value"]: tx["signature"]}]
        return 200, {"status_code": 0, "message": "OK", "data": data, "standin": True}

    def decide(self, tx_id: str, action: str) -> dict[str, Any] | None:
        """The phone's answer: confirm (the digest signed with the user's key), reject or expire."""
        with self.lock:
            tx = self.transactions.get(tx_id)
            if tx is None:
                return None
            if tx["state"] == "pending":
                if action == "confirm":
                    key = self.accounts[tx["user_id"]].key
                    raw = key.sign(bytes.fromhex(tx["digest"]), padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
                    tx["state"], tx["signature"] = "confirmed", b64(raw)
                else:
                    tx["state"] = "rejected" if action == "reject" else "expired"
                    tx["reason"] = ("Người ký từ chối trên điện thoại" if action == "reject"
                                    else "Hết thời gian xác nhận")
            found = dict(tx)
        self.notify(tx_id, found["state"])
        return found

    def notify(self, tx_id: str, state: str) -> None:
        """The webhook, when one is set: posted in the background, signed with the shared secret."""
        if not self.webhook_url:
            return
        body = json.dumps({rules()["webhook"]["transaction_id"]: tx_id, "transaction_status": _code(state)}).encode()
        threading.Thread(target=self.post, args=(self.webhook_url, body), daemon=True).start()

    def post(self, target: str, body: bytes) -> None:
        headers = {"Content-Type": "application/json",
                   rules()["webhook"]["header"]: webhook_signature(self.webhook_secret, body)}
        request = urllib.request.Request(target, data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self.lock:
            self.webhooks.append({"target": target, "body": body.decode(), "status": status})

    def records(self) -> dict[str, Any]:
        with self.lock:
            return {"standin": True, "accounts": sorted(self.accounts),
                    "transactions": [{k: v for k, v in t.items() if k != "created"}
                                     for t in self.transactions.values()],
                    "webhooks": list(self.webhooks)}


def phone_page(service: Service) -> str:
    e = html.escape
    with service.lock:
        pending = [t for t in service.transactions.values() if t["state"] == "pending"]
    rows = "".join(
        f'<li data-request="{e(t["transaction_id"])}"><strong>{e(t["user_id"])}</strong>: {e(t["description"])}'
        f'<form method="post" action="/phone/{e(t["transaction_id"])}">'
        f'<button name="action" value="confirm" data-confirm>Xác nhận ký</button> '
        f'<button name="action" value="reject" data-reject>Từ chối</button></form></li>' for t in pending)
    return ("<!doctype html><html lang=vi><meta charset=utf-8><title>Ký số từ xa (stand-in)</title>"
            "<h1>Điện thoại của người ký (stand-in)</h1>"
            f"<ul>{rows}</ul>{'' if pending else '<p data-empty>Không có yêu cầu ký nào đang chờ.</p>'}</html>")


def _handler(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        server_version = "MotcuaRemoteSigningStandin/1"

        def _html(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/_records":
                return self._answer(200, service.records())
            if self.path == "/health":
                return self._answer(200, {"standin": True, "down": service.unavailable})
            if self.path == "/phone":
                return self._html(200, phone_page(service))
            return self._answer(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._answer(413, {"status_code": 4013, "message": "Nội dung quá lớn"})
            raw = self.rfile.read(length)
            if self.path.startswith("/phone/"):
                action = (urllib.parse.parse_qs(raw.decode("utf-8", "replace")).get("action") or [""])[0]
                if action not in ("confirm", "reject") or service.decide(self.path[7:], action) is None:
                    return self._html(404, "Không tìm thấy yêu cầu")
                return self._html(200, phone_page(service))
            if self.path.startswith("/_control/"):
                return self._control(self.path[len("/_control/"):], raw)
            if service.unavailable:
                return self._answer(503, {"error": "the stand-in is down"})
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = None
            if not isinstance(body, dict):
                return self._answer(400, {"status_code": 4005, "message": "Nội dung không phải JSON hợp lệ"})
            if not service.credentials_ok(body):
                return self._answer(401, {"status_code": 4001, "message": "Sai sp_id hoặc sp_password",
                                          "standin": True})
            r = rules()
            found = _status_path().match(self.path)
            if found:
                return self._answer(*service.status(found.group(1)))
            if self.path == r["certificate_path"]:
                return self._answer(*service.certificate(body))
            if self.path == r["sign_path"]:
                return self._answer(*service.sign(body))
            return self._answer(404, {"error": "not found"})

        def _control(self, command: str, raw: bytes) -> None:
            verb, _, tx_id = command.partition("/")
            if verb in ("confirm", "reject", "expire"):
                found = service.decide(tx_id, verb)
                if found is None:
                    return self._answer(404, {"error": "no such transaction"})
                return self._answer(200, {k: v for k, v in found.items() if k != "created"})
            if verb == "webhook":
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with service.lock:
                    service.webhook_url = str(body.get("url") or "")
                    service.webhook_secret = str(body.get("secret") or "")
                return self._answer(200, {"webhook": service.webhook_url})
            if verb in ("down", "up"):
                service.unavailable = verb == "down"
                return self._answer(200, {"down": service.unavailable})
            return self._answer(404, {"error": f"no control {command!r}"})

    return Handler


class StandinRemoteSigning(StandinServer):
    """A running stand-in; `url` is what MOTCUA_REMOTE_SIGNING_URL should say."""

    name = "remote_signing"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, service: Service | None = None) -> None:
        self.service = service or Service()
        super().__init__(host, port, _handler(self.service))

    @property
    def phone_url(self) -> str:
        return f"{self.url}/phone"

    def add_account(self, user_id: str, pkcs12_path: Path, password: str) -> None:
        account = Account.from_pkcs12(pkcs12_path, password)
        with self.service.lock:
            self.service.accounts[user_id] = account

    def pending(self, user_id: str | None = None) -> list[dict[str, Any]]:
        return [t for t in self.service.records()["transactions"]
                if t["state"] == "pending" and (user_id is None or t["user_id"] == user_id)]

    def wait_pending(self, user_id: str | None = None, seconds: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.pending(user_id)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError("no signing request reached the stand-in")

    def confirm(self, tx_id: str) -> dict[str, Any] | None:
        return self.service.decide(tx_id, "confirm")

    def reject(self, tx_id: str) -> dict[str, Any] | None:
        return self.service.decide(tx_id, "reject")

    def webhook(self, url: str, secret: str) -> None:
        with self.service.lock:
            self.service.webhook_url, self.service.webhook_secret = url, secret

    @property
    def webhooks(self) -> list[dict[str, Any]]:
        return self.service.records()["webhooks"]


def start(host: str = "127.0.0.1", port: int = 0, accounts: dict[str, tuple[Path, str]] | None = None,
          sp_id: str = "", sp_password: str = "", expiry: float = 300.0) -> StandinRemoteSigning:
    """A running stand-in; `accounts`: user_id -> (PKCS#12 file, its password)."""
    standin = StandinRemoteSigning(host, port, Service(sp_id=sp_id, sp_password=sp_password, expiry=expiry))
    for user_id, (path, password) in (accounts or {}).items():
        standin.add_account(user_id, path, password)
    return standin.start()
