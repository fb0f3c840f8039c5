"""A stand-in SMS gateway: a small HTTP server speaking the connector's protocol (client.py), keeping what it
receives in memory. `motcua standin sms` runs one; `motcua serve --standins` starts one when MOTCUA_SMS_URL is
unset, so that `make run` shows the whole flow on one machine; the tests start their own.

- `POST /messages` stores the message and answers 201 `{"id": n}` (401 when a token is set and not sent; 400
  for a body that is not the protocol's JSON);
- `GET /messages` lists what was received (newest last), `DELETE /messages` forgets it;
- `GET /health` answers 200 (`"standin": true`: the health check shows it is no real gateway), or 503 once
  `fail_next` requests are set to fail (the tests' way to see retries).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from ..standin_http import JsonHandler, StandinServer

MAX_BODY = 64 * 1024


@dataclass
class Mailbox:
    token: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0  # answer 503 to this many POSTs (then work again)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(box: Mailbox) -> type[BaseHTTPRequestHandler]:
    class Handler(JsonHandler):
        server_version = "MotcuaSmsStandin/1"


        def do_GET(self) -> None:
            if self.path == "/health":
                self._answer(200, {"status": "ok", "standin": True})
            elif self.path == "/messages":
                with box.lock:
                    self._answer(200, {"messages": list(box.messages)})
            else:
                self._answer(404, {"error": "not found"})

        def do_DELETE(self) -> None:
            if self.path != "/messages":
                return self._answer(404, {"error": "not found"})
            with box.lock:
                box.messages.clear()
            return self._answer(204, {})

        def do_POST(self) -> None:
            if self.path != "/messages":
                return self._answer(404, {"error": "not found"})
            if box.token and self.headers.get("Authorization") != f"Bearer {box.token}":
                return self._answer(401, {"error": "unauthorized"})
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self._answer(413, {"error": "too large"})
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                body = None
            if not isinstance(body, dict) or not all(isinstance(body.get(k), str) for k in ("to", "text")):
                return self._answer(400, {"error": "expected {to, text, from?, encoding?}"})
            with box.lock:
                if box.fail_next > 0:
                    box.fail_next -= 1
                    return self._answer(503, {"error": "try again"})
                box.messages.append({"id": len(box.messages) + 1, "to": body["to"], "from": body.get("from"),
                                     "text": body["text"], "encoding": body.get("encoding", "gsm7")})
                return self._answer(201, {"id": len(box.messages)})

    return Handler


class StandinSms(StandinServer):
    """A running stand-in; `url` is what MOTCUA_SMS_URL should say."""

    name = "sms"
    records_path = "/messages"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str | None = None) -> None:
        self.box = Mailbox(token=token)
        super().__init__(host, port, _handler(self.box))

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self.box.lock:
            return list(self.box.messages)



def start(host: str = "127.0.0.1", port: int = 0, token: str | None = None) -> StandinSms:
    return StandinSms(host, port, token).start()
