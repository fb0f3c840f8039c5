"""The gunicorn worker `motcua serve` uses: gunicorn's threaded worker, except that a connection reaches a thread
only once its request has arrived. Until then the worker's event loop collects the bytes (the head, and a body
of up to BUFFERED_BODY_BYTES), so clients that send a byte a second wait in the loop, not in the threads, and
are cut off when the header timeout runs out (408). A larger or chunked body is read by the thread, each read
waiting at most the body timeout and the whole body keeping up MIN_BODY_RATE; a client too slow for that gets
a 408 too, but holds a thread meanwhile. A reverse proxy (nginx in docker-compose) buffers every request
anyway; this keeps a bare server standing.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import time
from functools import partial
from typing import Any

import orjson
from gunicorn import http
from gunicorn.workers.gthread import TConn, ThreadWorker
from werkzeug.exceptions import RequestTimeout

from engine.config import Settings

BUFFERED_BODY_BYTES = 1024 * 1024  # JSON bodies and small forms: read by the loop with the head
MAX_HEAD_BYTES = 64 * 1024  # past this, the parser takes over and answers 400 or 431
MIN_BODY_RATE = 32 * 1024  # bytes per second a body read by a thread must keep up, on average
_TIMEOUT_BODY = orjson.dumps({"type": "https://motcua.gov.vn/problems/request-timeout", "title": "Request Timeout",
                              "status": 408, "code": "request-timeout",
                              "detail": "The request did not arrive in time."})
REQUEST_TIMEOUT = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Type: application/problem+json\r\n"
                   b"Content-Length: " + str(len(_TIMEOUT_BODY)).encode() + b"\r\n\r\n" + _TIMEOUT_BODY)


class ClientTooSlow(RequestTimeout):
    """A request that did not arrive in time: a 408, from the app when it was reading the body, from the worker
    when gunicorn was reading the head. Not an OSError, which werkzeug would turn into a 400."""

    def __init__(self) -> None:
        super().__init__("The request did not arrive in time.")


class _Deadline:
    """The socket as the request parser sees it: each read waits at most `timeout`, and all the reads together
    at most `timeout` plus the time their bytes take at MIN_BODY_RATE."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self.sock, self.timeout = sock, timeout
        self.started, self.received = time.monotonic(), 0
        self.answered = False  # set once the app has responded: what is read then is gunicorn draining

    def recv(self, size: int) -> bytes:
        left = self.started + self.timeout + self.received / MIN_BODY_RATE - time.monotonic()
        if left <= 0:
            raise self._too_slow()
        self.sock.settimeout(min(self.sock.gettimeout() or self.timeout, self.timeout, left))
        try:
            data = self.sock.recv(size)
        except TimeoutError:
            raise self._too_slow() from None
        finally:
            self.sock.settimeout(self.timeout)  # and a response write waits at most as long
        self.received += len(data)
        return data

    def _too_slow(self) -> Exception:
        # After the response, gunicorn takes a plain timeout as "close this connection"; before, it is a 408.
        return TimeoutError() if self.answered else ClientTooSlow()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def _buffered_body_length(head: bytes) -> int:
    """How many body bytes to collect before a thread gets the request: the Content-Length when it is small
    and plain; 0 (the thread reads the body) for chunked, large, odd or 100-continue requests."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name in (b"transfer-encoding", b"expect"):
            return 0
        if name == b"content-length":
            value = value.strip()
            if not value.isdigit():
                return 0  # the parser rejects it
            length = int(value)
    return length if length <= BUFFERED_BODY_BYTES else 0


class BufferingWorker(ThreadWorker):  # type: ignore[misc]
    def init_process(self) -> None:
        settings = getattr(self.app, "settings", None) or Settings()
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self.arriving: dict[TConn, float] = {}  # connections whose request is on its way -> deadline
        self.next_sweep = 0.0
        super().init_process()  # runs the worker's loop

    def accept(self, listener: socket.socket) -> None:
        if self.cfg.is_ssl:  # TLS ends at the proxy; a TLS listener is served as gunicorn does it
            return super().accept(listener)
        try:
            sock, addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return None
        self.nr_conns += 1
        self._await_request(TConn(self.cfg, sock, addr, listener.getsockname()))
        return None

    def on_client_socket_readable(self, conn: TConn, client: socket.socket) -> None:
        """A kept-alive connection's next request: collected by the loop like the first."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_request(conn)

    def _await_request(self, conn: TConn) -> None:
        conn.sock.setblocking(False)
        conn.arrived = bytearray()
        conn.needed = None  # bytes of head and body, once the head is in
        self.arriving[conn] = time.monotonic() + self.header_timeout
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_request_bytes, conn))

    def _on_request_bytes(self, conn: TConn, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(conn)
            return
        conn.arrived += data
        if conn.needed is None:
            end = conn.arrived.find(b"\r\n\r\n")
            if end < 0:
                if len(conn.arrived) > MAX_HEAD_BYTES:
                    self._dispatch(conn)
                return
            conn.needed = end + 4 + _buffered_body_length(bytes(conn.arrived[:end]))
            if conn.needed > end + 4:  # the body gets its own time, like the head
                self.arriving[conn] = time.monotonic() + self.body_timeout
        if len(conn.arrived) >= conn.needed:
            self._dispatch(conn)

    def _dispatch(self, conn: TConn) -> None:
        self.poller.unregister(conn.sock)
        del self.arriving[conn]
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
        conn.parser.unreader.unread(bytes(conn.arrived))
        conn.arrived = None
        conn.data_ready = True
        self.enqueue_req(conn)

    def _drop(self, conn: TConn, answer: bytes = b"") -> None:
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        self.arriving.pop(conn, None)
        if answer:
            with contextlib.suppress(OSError):
                conn.sock.send(answer)
        self.nr_conns -= 1
        conn.close()

    def murder_pending(self) -> None:
        """Called by the loop after each wake-up: requests whose time ran out get a 408 and are closed."""
        super().murder_pending()
        now = time.monotonic()
        if now < self.next_sweep:  # a scan at most every half second, however busy the loop
            return
        self.next_sweep = now + 0.5
        for conn in [c for c, deadline in self.arriving.items() if deadline <= now]:
            self.log.info("request from %s did not arrive in time: 408", conn.client)
            self._drop(conn, REQUEST_TIMEOUT)

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        if isinstance(exc, ClientTooSlow):  # gunicorn itself would answer 500
            self.log.info("request from %s did not arrive in time: 408", addr)
            with contextlib.suppress(OSError):
                client.sendall(REQUEST_TIMEOUT)
            return
        super().handle_error(req, client, addr, exc)

    def handle(self, conn: TConn) -> Any:
        if conn.parser is not None:  # what is left of the request (a large body) is read against the clock
            conn.parser.unreader.sock = _Deadline(conn.sock, self.body_timeout)
        return super().handle(conn)

    def handle_request(self, req: Any, conn: TConn) -> Any:
        conn.sock.settimeout(self.body_timeout)  # a client that does not read its response frees the thread
        try:
            return super().handle_request(req, conn)
        finally:
            reader = conn.parser.unreader.sock
            if isinstance(reader, _Deadline):
                reader.answered = True
