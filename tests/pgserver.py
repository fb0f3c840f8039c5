"""A throwaway PostgreSQL server started from the machine's binaries (initdb + pg_ctl), for tests and bench.

As root it runs the server as the unprivileged `postgres` user, since initdb refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def find_binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise PostgresUnavailable(
        f"PostgreSQL's `{name}` was not found. `make test` installs the server as root, or prints the command "
        "to run (Debian: apt-get install postgresql); see scripts/system-deps.sh.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    datadir: Path
    port: int
    user: str
    _run_as: str | None

    @property
    def base_url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}"

    def url(self, database: str) -> str:
        return f"{self.base_url}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8' TEMPLATE template0")
        return self.url(name)

    def stop(self) -> None:
        _run([find_binary("pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"], self._run_as,
             check=False)
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _run(cmd: list[str], run_as: str | None, check: bool = True) -> subprocess.CompletedProcess[str]:
    kwargs: dict[str, object] = {}
    if run_as:
        entry = pwd.getpwnam(run_as)
        kwargs.update(user=entry.pw_uid, group=entry.pw_gid, extra_groups=[])
    result = subprocess.run(cmd, capture_output=True, text=True, cwd="/", **kwargs)  # type: ignore[call-overload]
    if check and result.returncode != 0:
        raise PostgresUnavailable(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def start(durable: bool = False) -> PostgresServer:
    """Start a server on a free loopback port. `durable=False` turns fsync off: fine for tests only."""
    initdb, pg_ctl = find_binary("initdb"), find_binary("pg_ctl")
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
            run_as = "postgres"
        except KeyError as exc:
            raise PostgresUnavailable("running as root needs a `postgres` user to own the server") from exc
    root = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
    datadir, sockdir = root / "data", root / "sock"
    sockdir.mkdir()
    if run_as:
        entry = pwd.getpwnam(run_as)
        for path in (root, sockdir):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    user = "motcua"
    _run([initdb, "-D", str(datadir), "-U", user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], run_as)
    port = _free_port()
    options = f"-p {port} -k {sockdir} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run([pg_ctl, "-D", str(datadir), "-o", options, "-l", str(root / "server.log"), "-w", "-t", "60",
          "start"], run_as)
    return PostgresServer(datadir=datadir, port=port, user=user, _run_as=run_as)
