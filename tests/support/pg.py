"""A throw-away PostgreSQL server for the test session (initdb + pg_ctl in a temp dir).

PostgreSQL refuses to run as root, so under root the cluster belongs to the ``postgres``
system user (created by Debian's package) and commands run through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh database; stop and wipe the server after."""
    with postgres_cluster() as cluster:
        yield cluster.url


class Cluster:
    """A running throw-away server that a test may stop and start again (an outage)."""

    def __init__(self, url: str, ctl: list[str]) -> None:
        self.url = url
        self._ctl = ctl

    def stop(self) -> None:
        """Fast shutdown: sessions are cut, as when the database host restarts."""
        subprocess.run([*self._ctl, "-m", "fast", "stop"], check=True, capture_output=True,
                       timeout=120)

    def start(self) -> None:
        """Start again (same data, same port) and wait until it accepts connections."""
        subprocess.run([*self._ctl, "start"], check=True, capture_output=True, timeout=120)


@contextmanager
def postgres_cluster() -> Iterator[Cluster]:
    """A fresh server and database (``Cluster``); stopped and wiped after."""
    bindir = _bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb) are not installed")
    base = Path(tempfile.mkdtemp(prefix="cv-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        os.chmod(base, 0o755)
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-U", "chartvault", "--auth=trust", "-E", "UTF8")
    ctl = [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "log"), "-w", "-o",
           f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"]
    subprocess.run([*ctl, "start"], check=True, capture_output=True, timeout=120)
    try:
        for _ in range(50):
            probe = subprocess.run([*prefix, str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p",
                                    str(port)], capture_output=True)
            if probe.returncode == 0:
                break
            time.sleep(0.2)
        run(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "chartvault",
            "chartvault")
        yield Cluster(f"postgresql+psycopg://chartvault@127.0.0.1:{port}/chartvault", ctl)
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)
