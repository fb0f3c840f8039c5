"""`motcua serve` for real, on a free port with a temporary SQLite database: the scheduler runs as a child process
of its own (none in gunicorn's master) and comes back when killed; slow clients neither starve the server nor
stay connected past the header and body timeouts."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import create_engine, text

from engine.config import PROJECT_ROOT
from engine.store.migrate import upgrade

from .pgserver import _free_port


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
    except OSError:
        return []


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition: Callable[[], Any], seconds: float, step: float = 0.1) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


def _get(port: int, path: str, timeout: float = 1.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _healthy(port: int) -> bool:
    try:
        return _get(port, "/healthz")[0] == 200
    except OSError:
        return False


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int, database_url: str, log: Path) -> None:
        self.process, self.port, self.database_url, self.log = process, port, database_url, log

    def scheduler_and_web(self) -> tuple[int | None, int | None]:
        scheduler = web = None
        for pid in _children(self.process.pid):
            args = _cmdline(pid)
            if args[-1:] == ["scheduler"]:
                scheduler = pid
            elif "--no-scheduler" in args:
                web = pid
        return scheduler, web

    def heartbeat_pids(self) -> set[int]:
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as conn:
                return {int(w.rsplit(":", 1)[1]) for w in conn.execute(text("SELECT worker FROM job_heartbeats"))
                        .scalars()}
        finally:
            engine.dispose()


@contextmanager
def serve(tmp_path: Path, **env: str) -> Iterator[Served]:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    upgrade(url)
    port = _free_port()
    log = tmp_path / "serve.log"
    environ = {**os.environ, "MOTCUA_DATABASE_URL": url, "MOTCUA_SECRET_KEY": "test-secret",
               "MOTCUA_TIMER_INTERVAL": "0.5",
               # the scheduler's first checkpoint, and the uploads, never in the project's var/
               "MOTCUA_AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
               "MOTCUA_UPLOAD_DIR": str(tmp_path / "uploads"), **env}
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port)], cwd=PROJECT_ROOT,
                                   env=environ, stdout=out, stderr=subprocess.STDOUT)
    served = Served(process, port, url, log)
    try:
        assert _wait_for(lambda: _healthy(port), 60, 0.25), log.read_text()
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_scheduler_is_a_child_process_restarted_when_killed(tmp_path: Path) -> None:
    with serve(tmp_path) as served:
        scheduler, web = served.scheduler_and_web()
        assert scheduler and web
        # the jobs run in the scheduler process: gunicorn's master has a single thread and only workers as children
        assert _wait_for(lambda: served.heartbeat_pids() == {scheduler}, 10)
        status = Path(f"/proc/{web}/status").read_text()
        assert "Threads:\t1\n" in status
        workers = _children(web)
        assert len(workers) == 2 and all("--no-scheduler" in _cmdline(pid) for pid in workers)

        os.kill(scheduler, signal.SIGKILL)
        restarted = _wait_for(lambda: (pid := served.scheduler_and_web()[0]) not in (None, scheduler) and pid, 15)
        assert restarted, served.log.read_text()
        assert _wait_for(lambda: restarted in served.heartbeat_pids(), 10)
        assert served.scheduler_and_web()[1] == web  # the web server was left alone
        assert _healthy(served.port)
        everyone = [web, restarted, *workers]
    assert served.process.returncode == 0
    assert _wait_for(lambda: not any(_alive(pid) for pid in everyone), 10)  # stopped with the server
    assert "scheduler exited with -9" in served.log.read_text()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(tmp_path_factory.mktemp("serve"), MOTCUA_HEADER_TIMEOUT="3", MOTCUA_BODY_TIMEOUT="3") as served:
        yield served


def _trickle(port: int, request: bytes, out: dict[str, Any]) -> None:
    _trickle_from(socket.create_connection(("127.0.0.1", port), timeout=1), request, out)


def _trickle_from(sock: socket.socket, data: bytes, out: dict[str, Any]) -> None:
    """Send one byte a second; note what the server answers and when it closes the connection."""
    sock.settimeout(1)
    started, answer = time.monotonic(), b""
    try:
        for byte in data:
            try:
                sock.sendall(bytes([byte]))
                chunk = sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                break
            answer += chunk
            while chunk:
                try:
                    chunk = sock.recv(4096)
                except OSError:
                    break
                answer += chunk
            break
    finally:
        out.update(seconds=time.monotonic() - started, answer=answer)
        sock.close()


def test_ten_slow_clients_do_not_starve_the_server_and_are_cut_off(server: Served) -> None:
    results: list[dict[str, Any]] = [{} for _ in range(10)]
    slow = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 60
    threads = [threading.Thread(target=_trickle, args=(server.port, slow, out)) for out in results]
    for thread in threads:
        thread.start()
    time.sleep(1.2)  # all ten are connected and sending
    for _ in range(5):
        started = time.monotonic()
        status, _body = _get(server.port, "/healthz", timeout=1.0)
        assert status == 200 and time.monotonic() - started < 1.0
        time.sleep(0.3)
    for thread in threads:
        thread.join(15)
    for out in results:  # the header timeout (3 s) closed them, with a 408 problem
        assert 2.5 < out["seconds"] < 7, out
        assert out["answer"].startswith(b"HTTP/1.1 408 "), out
        assert b"application/problem+json" in out["answer"] and b'"request-timeout"' in out["answer"]


def test_a_body_trickled_after_its_head_gets_a_408(server: Served) -> None:
    """A small body is waited for by the worker's loop; a chunked one by a thread, against the body timeout."""
    small = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: 200\r\n\r\n" + b" " * 200)
    chunked = (b"POST /api/v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n" + b"1\r\n \r\n" * 40)
    for request, head in ((small, small.index(b"\r\n\r\n") + 4), (chunked, chunked.index(b"\r\n\r\n") + 4)):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(request[:head])  # the head at once, then the body a byte a second
        out: dict[str, Any] = {}
        _trickle_from(sock, request[head:], out)
        assert 2.5 < out["seconds"] < 7, out
        status_line, _, rest = out["answer"].partition(b"\r\n")
        assert status_line.split()[1] == b"408", out
        body = orjson.loads(rest.split(b"\r\n\r\n", 1)[1])
        assert body["status"] == 408 and body["code"] == "request-timeout"
    assert _healthy(server.port)


def test_requests_still_work_whole_kept_alive_and_pipelined(server: Served) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    statuses, sockets = [], set()
    for body in (b'{"username": "khong-co", "password": "x"}', b'{"username": "' + b"a" * 300_000 + b'"}'):
        conn.request("POST", "/api/v1/auth/token", body=body, headers={"Content-Type": "application/json"})
        sockets.add(id(conn.sock))
        resp = conn.getresponse()
        assert resp.getheader("Content-Type") == "application/problem+json"
        statuses.append(resp.status)
        resp.read()
    assert statuses == [401, 422] and len(sockets) == 1  # wrong password; no password; one connection kept alive
    big = b'{"username": "' + b"a" * 2_000_000 + b'"}'  # larger than the loop buffers: read by the thread
    conn.request("POST", "/api/v1/auth/token", body=big, headers={"Content-Type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 400 and b"too large" in resp.read()
    conn.close()
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/procedures HTTP/1.1\r\nHost: x\r\n"
                 b"Connection: close\r\n\r\n")
    answer = b""
    while chunk := sock.recv(65536):
        answer += chunk
    sock.close()
    assert answer.count(b"HTTP/1.1 200 ") == 2
