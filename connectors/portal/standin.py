"""A stand-in national portal: a small HTTP server speaking the adapter protocol (client.py), keeping what it
receives in memory. `motcua standin portal` runs one; `motcua serve --standins` starts one when
MOTCUA_PORTAL_URL is unset (plugin.py); the tests start their own.

- `POST /auth`: a session for the configured username and password (any, when none is set), `"standin": true`;
- `POST /service`: `DongBoHoSoMC` and `CapNhatTienDoHoSoMC` (each call recorded in order, its records checked
  against `mapping/fields.toml`: a bad one is answered `error_code -1` with a Vietnamese reason and recorded as
  refused), `LayThuTuc` / `LayDanhSachTTHC` (from a catalogue file), `TraCuuHoSo` (the latest record received);
- `GET /_records` lists the recorded calls, `DELETE /_records` forgets them;
- `/_control/...` (POST, JSON) for a test or a person: `refuse-signins {"count"}`, `expire-sessions`,
  `errors {"count", "message"}`, `slow {"seconds"}`, `down` / `up` (answer 503), `reset`, and
  `forward {"target", "token", "records"}` (POSTs `{"data": records}` to Motcua's inbound URL, answers what
  Motcua answered); `GET /_control` shows the state.
Python has the same controls as methods (`down()` there closes the socket: connections are refused).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from ..standin_http import JsonHandler, StandinServer
from .fieldcheck import problem

MAX_BODY = 4 * 1024 * 1024
SYNC_SERVICES = ("DongBoHoSoMC", "CapNhatTienDoHoSoMC")
CATALOGUE = Path("config") / "catalogue" / "thu-tuc-cap-xa.json"  # written by the catalogue's part of issue 15
SESSION_INVALID = "Phiên làm việc không hợp lệ hoặc đã hết hạn (session invalid)"


def default_catalogue() -> Path | None:
    """The shipped sample catalogue: from the working directory, or from the source tree this runs from."""
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        if (base / CATALOGUE).is_file():
            return base / CATALOGUE
    return None


def read_catalogue(path: Path | None) -> list[dict[str, Any]]:
    """Procedure records (LayThuTuc's format): a JSON list, or an object holding one under data/procedures."""
    if path is None or not path.is_file():
        return []
    found = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(found, dict):
        found = found.get("data") or found.get("procedures") or found.get("records") or []
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


@dataclass
class Portal:
    """The stand-in's state, shared by its request threads (and by the server that `up()` starts again)."""

    username: str | None = None
    password: str | None = None
    catalogue: list[dict[str, Any]] = field(default_factory=list)
    inbound_token: str | None = None  # `forward`'s default token
    auth_path: str = "/auth"
    call_path: str = "/service"
    records: list[dict[str, Any]] = field(default_factory=list)
    sessions: set[str] = field(default_factory=set)
    signins: int = 0
    refuse_signins: int = 0  # refuse this many sign-ins
    fail_next: int = 0  # answer this many calls with error_code -1
    fail_message: str = "Lỗi hệ thống (stand-in)"
    delay: float = 0.0  # seconds before each answer to /auth and /service
    unavailable: bool = False  # answer 503 to /auth and /service
    lock: threading.Lock = field(default_factory=threading.Lock)

    def state(self) -> dict[str, Any]:
        return {"standin": True, "records": len(self.records), "sessions": len(self.sessions),
                "signins": self.signins, "refuse_signins": self.refuse_signins, "fail_next": self.fail_next,
                "delay": self.delay, "down": self.unavailable, "catalogue": len(self.catalogue)}

    def reset(self) -> None:
        self.refuse_signins = self.fail_next = 0
        self.delay, self.unavailable = 0.0, False

    # --- the protocol ------------------------------------------------------------------------------------
    def sign_in(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.signins += 1
            if self.refuse_signins > 0:
                self.refuse_signins -= 1
                return {"error_code": -1, "message": "Đăng nhập bị từ chối (stand-in)"}
            if self.username is not None and (body.get("username"), body.get("password")) != (self.username,
                                                                                               self.password):
                return {"error_code": -1, "message": "Sai tên đăng nhập hoặc mật khẩu"}
            session = secrets.token_urlsafe(16)
            self.sessions.add(session)
            return {"session": session, "error_code": 0, "standin": True}

    def call(self, body: dict[str, Any], dstcode: str | None) -> dict[str, Any]:
        service = str(body.get("service") or "")
        with self.lock:
            if body.get("session") not in self.sessions:
                return {"error_code": -2, "message": SESSION_INVALID}
            if service in SYNC_SERVICES:
                reason = None
                if self.fail_next > 0:
                    self.fail_next -= 1
                    reason = self.fail_message
                reason = reason or problem(service, body)
                self.records.append({"seq": len(self.records) + 1, "service": service, "body": body,
                                     "dstcode": dstcode, "at": datetime.now(UTC).isoformat(),
                                     "accepted": reason is None, "reason": reason or ""})
                return {"error_code": -1, "message": reason} if reason else {"error_code": 0, "message": "Thành công"}
            if self.fail_next > 0:
                self.fail_next -= 1
                return {"error_code": -1, "message": self.fail_message}
            return self._read(service, body)

    def _read(self, service: str, body: dict[str, Any]) -> dict[str, Any]:
        if service == "LayThuTuc":
            code = str(body.get("maTTHC") or "")
            found = next((r for r in self.catalogue if str(r.get("MATTHC")) == code), None)
            return {"error_code": 0, "data": found} if found else {
                "error_code": -1, "message": f"Không tìm thấy thủ tục có mã {code}"}
        if service == "LayDanhSachTTHC":
            return {"error_code": 0, "data": list(self.catalogue)}
        if service == "TraCuuHoSo":
            code = str(body.get("maHoSo") or "")
            for entry in reversed(self.records):
                if entry["service"] != "DongBoHoSoMC" or not entry["accepted"]:
                    continue
                record = entry["body"]["data"][0]
                if record.get("MaHoSo") == code:
                    return {"error_code": 0, "data": record}
            return {"error_code": -1, "message": f"Không tìm thấy hồ sơ {code}"}
        return {"error_code": -1, "message": f"Dịch vụ {service!r} không được hỗ trợ"}


def forward(target: str, token: str, records: list[dict[str, Any]], timeout: float = 10.0) -> tuple[int, Any]:
    """POST `{"data": records}` to Motcua's inbound URL as the portal does; Motcua's status and answer."""
    request = urllib.request.Request(target, data=json.dumps({"data": records}, ensure_ascii=False).encode(),
                                     method="POST", headers={"Content-Type": "application/json",
                                                             "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw = response.status, response.read(MAX_BODY)
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read(MAX_BODY)
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw.decode("utf-8", "replace")


def _handler(portal: Portal) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        server_version = "MotcuaPortalStandin/1"


        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return None
            try:
                return json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return None

        def do_GET(self) -> None:
            with portal.lock:
                if self.path == "/_records":
                    return self._answer(200, {"records": list(portal.records)})
                if self.path == "/_control":
                    return self._answer(200, portal.state())
            return self._answer(404, {"error": "not found"})

        def do_DELETE(self) -> None:
            if self.path != "/_records":
                return self._answer(404, {"error": "not found"})
            with portal.lock:
                portal.records.clear()
            return self._answer(200, {"records": []})

        def do_POST(self) -> None:
            body = self._body()
            if not isinstance(body, dict):
                return self._answer(400, {"error_code": -1, "message": "Nội dung không phải JSON hợp lệ"})
            if self.path.startswith("/_control/"):
                return self._control(self.path[len("/_control/"):], body)
            if self.path not in (portal.auth_path, portal.call_path):
                return self._answer(404, {"error": "not found"})
            time.sleep(portal.delay)
            if portal.unavailable:
                return self._answer(503, {"error": "the stand-in is down"})
            if self.path == portal.auth_path:
                return self._answer(200, portal.sign_in(body))
            return self._answer(200, portal.call(body, self.headers.get("dstcode")))

        def _control(self, command: str, body: dict[str, Any]) -> None:
            if command == "forward":
                records = body.get("records") or []
                token = body.get("token") or portal.inbound_token or ""
                if not isinstance(body.get("target"), str) or not isinstance(records, list):
                    return self._answer(400, {"error": "expected {target, token?, records: [...]}"})
                try:
                    status, answer = forward(body["target"], str(token), records)
                except OSError as exc:
                    return self._answer(502, {"error": f"Motcua could not be reached: {exc}"})
                return self._answer(status, answer)
            with portal.lock:
                try:
                    if command == "refuse-signins":
                        portal.refuse_signins = int(body.get("count", 1))
                    elif command == "expire-sessions":
                        portal.sessions.clear()
                    elif command == "errors":
                        portal.fail_next = int(body.get("count", 1))
                        portal.fail_message = str(body.get("message") or portal.fail_message)
                    elif command == "slow":
                        portal.delay = float(body.get("seconds", 0))
                    elif command in ("down", "up"):
                        portal.unavailable = command == "down"
                    elif command == "reset":
                        portal.reset()
                    else:
                        return self._answer(404, {"error": f"no control {command!r}"})
                except (TypeError, ValueError):
                    return self._answer(400, {"error": "a number was expected"})
                return self._answer(200, portal.state())

    return Handler


class StandinPortal(StandinServer):
    """A running stand-in; `url` is what MOTCUA_PORTAL_URL should say."""

    name = "portal"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, portal: Portal | None = None) -> None:
        self.portal = portal or Portal()
        super().__init__(host, port, _handler(self.portal))

    # --- what a test commands ----------------------------------------------------------------------------
    @property
    def records(self) -> list[dict[str, Any]]:
        with self.portal.lock:
            return list(self.portal.records)

    def accepted(self, service: str | None = None) -> list[dict[str, Any]]:
        """The records taken, in order (of one service, when given): what the portal now knows."""
        return [r["body"]["data"][0] for r in self.records
                if r["accepted"] and (service is None or r["service"] == service)]

    def clear(self) -> None:
        with self.portal.lock:
            self.portal.records.clear()

    def refuse_signins(self, count: int = 1) -> None:
        with self.portal.lock:
            self.portal.refuse_signins = count

    def expire_sessions(self) -> None:
        with self.portal.lock:
            self.portal.sessions.clear()

    def fail(self, count: int = 1, message: str = "Lỗi hệ thống (stand-in)") -> None:
        with self.portal.lock:
            self.portal.fail_next, self.portal.fail_message = count, message

    def slow(self, seconds: float) -> None:
        with self.portal.lock:
            self.portal.delay = seconds

    def forward(self, target: str, token: str, records: list[dict[str, Any]]) -> tuple[int, Any]:
        return forward(target, token, records)


def start(host: str = "127.0.0.1", port: int = 0, username: str | None = None, password: str | None = None,
          catalogue: Path | None = None, inbound_token: str | None = None, auth_path: str = "/auth",
          call_path: str = "/service") -> StandinPortal:
    """A running stand-in portal. No username: any sign-in is accepted. No catalogue: the shipped one if any."""
    portal = Portal(username=username, password=(password or "") if username is not None else None,
                    catalogue=read_catalogue(catalogue or default_catalogue()), inbound_token=inbound_token,
                    auth_path=auth_path, call_path=call_path)
    return StandinPortal(host, port, portal).start()
