"""What every stand-in server shares: quiet logs and JSON answers (`JsonHandler`), and the running server's life
(`StandinServer`: listen on loopback, serve in a daemon thread, stop, go down and come up on the same port)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests and `make run` read the records
        pass

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class StandinServer:
    """A stand-in listening on `host:port` (0: a free port) with the handler class it is given; `url` is what the
    connector's MOTCUA_<NAME>_URL should say, `records_url` where a person reads what it received."""

    name = "standin"
    records_path = "/_records"

    def __init__(self, host: str, port: int, handler: type[BaseHTTPRequestHandler]) -> None:
        self._handler = handler
        self.server = self._listen(host, port)
        self.host, self.port = self.server.server_address[:2]
        self.thread: threading.Thread | None = None

    def _listen(self, host: str, port: int) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer((host, port), self._handler)
        server.daemon_threads = True
        return server

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def records_url(self) -> str:
        return f"{self.url}{self.records_path}"

    def start(self) -> Self:
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"{self.name}-standin", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def down(self) -> None:
        """Stop listening: connections are refused, as when the system's host is down."""
        self.stop()

    def up(self) -> None:
        """Listen again on the same port."""
        self.server = self._listen(self.host, self.port)
        self.start()
