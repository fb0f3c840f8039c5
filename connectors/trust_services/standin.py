"""The stand-in trust services: certomancer's Animator (a WSGI application) serving the demo PKI's OCSP responder,
CRLs, time-stamping authority and certificates over HTTP on 127.0.0.1. The certificates name this server in their
OCSP and CRL URLs, so the port is taken first and the PKI (demo_pki.py) issued for it.

`motcua standin trust_services` runs one; `motcua serve --standins` starts one with the PKI under var/pki when no
unit certificate is configured; the tests start their own (tests/pki_support.py)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .demo_pki import ARCH, DemoPki, make_demo_pki

DEFAULT_FOLDER = Path(__file__).resolve().parents[2] / "var" / "pki"  # development only


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:  # the tests and `make run` read no access log
        pass


class _Late:
    """A WSGI application given after the socket is bound (the PKI needs the port first)."""

    def __init__(self) -> None:
        self.app: Callable[..., Iterable[bytes]] | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if self.app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"starting"]
        return self.app(environ, start_response)


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class StandinTrustServices:
    name = "trust_services"

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = folder
        if not port:  # the port the PKI was issued for, when free: its certificates stay as they are
            previous = _previous_port(folder)
            port = previous if previous and _free(host, previous) else 0
        self.handler = _Late()
        self.server: BaseWSGIServer = make_server(host, port, self.handler, threaded=True, request_handler=_Quiet)
        self.host, self.port = host, self.server.server_port
        self.pki: DemoPki = make_demo_pki(folder, self.port)
        self.handler.app = _animator(self.pki)
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def records_url(self) -> str:  # certomancer's index page lists the PKI and its services
        return f"{self.url}/"

    def env(self) -> dict[str, str]:
        return self.pki.env()

    def start(self) -> Self:
        self.thread = threading.Thread(target=self.server.serve_forever, name="trust-services-standin", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def down(self) -> None:
        """Stop listening: OCSP, CRL and TSA requests are refused (the LTV tests validate offline)."""
        self.stop()

    def up(self) -> None:
        self.server = make_server(self.host, self.port, self.handler, threaded=True,
                                  request_handler=_Quiet)
        self.start()


def _previous_port(folder: Path) -> int:
    import json

    try:
        return int(json.loads((folder / "pki.json").read_text())["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0


def _animator(pki: DemoPki) -> Callable[..., Iterable[bytes]]:
    from certomancer.integrations.animator import Animator, AnimatorArchStore

    config = pki.config()
    return Animator(AnimatorArchStore(config.pki_archs), with_web_ui=True)


def start(host: str = "127.0.0.1", port: int = 0, folder: Path | None = None) -> StandinTrustServices:
    return StandinTrustServices(folder or DEFAULT_FOLDER, host, port).start()


__all__ = ["ARCH", "StandinTrustServices", "start"]
