"""The stand-in trust services: certomancer's Animator (a WSGI application) serving the demo PKI's OCSP responder,
CRLs, time-stamping authority and certificates over HTTP on 127.0.0.1. The certificates name this server in their
OCSP and CRL URLs, so the port is taken first and the PKI (demo_pki.py) issued for it.

`motcua standin trust_services` runs one; `motcua serve --standins` starts one with the PKI under var/pki when no
unit certificate is configured; the tests start their own (tests/pki_support.py)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from ..standin_http import StandinServer
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


class StandinTrustServices(StandinServer):
    """StandinServer's life (start, stop, down, up on the same port) around a werkzeug server for the Animator."""

    name = "trust_services"
    records_path = "/"  # certomancer's index page lists the PKI and its services

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.folder = folder
        if not port:  # the port the PKI was issued for, when free: its certificates stay as they are
            previous = _previous_port(folder)
            port = previous if previous and _free(host, previous) else 0
        self.wsgi = _Late()
        super().__init__(host, port, _Quiet)
        self.pki: DemoPki = make_demo_pki(folder, self.port)
        self.wsgi.app = _animator(self.pki)

    def _listen(self, host: str, port: int) -> Any:
        return make_server(host, port, self.wsgi, threaded=True, request_handler=_Quiet)

    def env(self) -> dict[str, str]:
        return self.pki.env()


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
