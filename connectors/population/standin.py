"""A stand-in population database: a small HTTP server answering look-ups from `standin_people.json` in the
connector's protocol (client.py, mapping/fields.toml), keeping the questions it got. `motcua standin population`
runs one; `motcua serve --standins` starts one when MOTCUA_POPULATION_URL is unset; the tests start their own.

- `POST <request.path>` answers `{"MaLoi": "0", "CongDan": {...}}`, or 404 `{"MaLoi": "KHONG_TIM_THAY"}` (401
  when a token is set and not sent; 400 without a 12-digit id or a purpose); each question is kept (id, purpose,
  who, unit, reference);
- `GET /queries` lists the questions, `DELETE /queries` forgets them;
- `POST /control` `{"mode": "ok" | "fail" | "slow" | "down" | "not_found", "delay": seconds}` simulates trouble:
  "fail" answers 500, "slow" waits `delay` seconds first, "down" drops the connection without an answer,
  "not_found" knows nobody;
- `GET /health` answers 200 (`"standin": true`), or 503 in modes fail and down.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from ..standin_http import JsonHandler, StandinServer
from .client import mapping

PEOPLE = Path(__file__).resolve().parent / "standin_people.json"
MAX_BODY = 16 * 1024
MODES = ("ok", "fail", "slow", "down", "not_found")


@dataclass
class Registry:
    token: str | None = None
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    queries: list[dict[str, Any]] = field(default_factory=list)
    mode: str = "ok"
    delay: float = 3.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def load_people(path: Path = PEOPLE) -> dict[str, dict[str, Any]]:
    key = mapping()["request"]["personal_id"]
    return {p[key]: p for p in json.loads(path.read_text(encoding="utf-8"))["people"]}


def _read(handler: BaseHTTPRequestHandler) -> Any:
    length = int(handler.headers.get("Content-Length") or 0)
    if length > MAX_BODY:
        return None
    try:
        return json.loads(handler.rfile.read(length) or b"null")
    except ValueError:
        return None


def _handler(box: Registry) -> type[BaseHTTPRequestHandler]:
    req = mapping()["request"]

    class Handler(JsonHandler):
        server_version = "MotcuaPopulationStandin/1"

        def _answer(self, status: int, body: Any) -> None:
            try:
                super()._answer(status, body)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (mode "slow")
                self.close_connection = True

        def _drop(self) -> None:  # "down": the connection closes with no answer at all
            self.close_connection = True
            self.connection.close()

        def do_GET(self) -> None:
            if self.path == "/health":
                if box.mode == "down":
                    return self._drop()
                return self._answer(503 if box.mode == "fail" else 200, {"status": box.mode, "standin": True})
            if self.path == "/queries":
                with box.lock:
                    return self._answer(200, {"queries": list(box.queries)})
            return self._answer(404, {"error": "not found"})

        def do_DELETE(self) -> None:
            if self.path != "/queries":
                return self._answer(404, {"error": "not found"})
            with box.lock:
                box.queries.clear()
            return self._answer(204, {})

        def do_POST(self) -> None:
            if self.path == "/control":
                body = _read(self)
                if not isinstance(body, dict) or body.get("mode") not in MODES:
                    return self._answer(400, {"error": f"expected {{mode: {' | '.join(MODES)}, delay?}}"})
                with box.lock:
                    box.mode = body["mode"]
                    box.delay = float(body.get("delay") or box.delay)
                return self._answer(200, {"mode": box.mode, "delay": box.delay})
            if self.path != req["path"]:
                return self._answer(404, {"error": "not found"})
            if box.mode == "down":
                return self._drop()
            if box.token and self.headers.get("Authorization") != f"Bearer {box.token}":
                return self._answer(401, {"MaLoi": "401", "error": "unauthorized"})
            body = _read(self)
            wanted = body.get(req["personal_id"]) if isinstance(body, dict) else None
            if not isinstance(wanted, str) or not re.fullmatch(r"[0-9]{12}", wanted) or not body.get(req["purpose"]):
                return self._answer(400, {"MaLoi": "400", "error": "a 12-digit id and a purpose are required"})
            with box.lock:
                box.queries.append({k: body.get(v) for k, v in req.items() if k != "path"})
                mode, delay = box.mode, box.delay
            if mode == "slow":
                time.sleep(delay)
            if mode == "fail":
                return self._answer(500, {"MaLoi": "500", "error": "internal error"})
            person = None if mode == "not_found" else box.people.get(wanted)
            if person is None:
                return self._answer(404, {"MaLoi": "KHONG_TIM_THAY"})
            return self._answer(200, {"MaLoi": "0", "CongDan": person})

    return Handler


class StandinPopulation(StandinServer):
    """A running stand-in; `url` is what MOTCUA_POPULATION_URL should say."""

    name = "population"
    records_path = "/queries"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None) -> None:
        self.box = Registry(token=token, people=load_people())
        super().__init__(host, port, _handler(self.box))

    @property
    def queries(self) -> list[dict[str, Any]]:
        with self.box.lock:
            return list(self.box.queries)

    def set_mode(self, mode: str, delay: float | None = None) -> None:
        assert mode in MODES
        with self.box.lock:
            self.box.mode = mode
            if delay is not None:
                self.box.delay = delay



def start(host: str = "127.0.0.1", port: int = 0, token: str | None = None) -> StandinPopulation:
    return StandinPopulation(host, port, token).start()
