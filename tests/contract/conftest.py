"""Object store backends for the contract suite: local dir, moto's server, real Ceph RGW.

The S3 servers are started by the test session itself (CI installs the packages).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.base import ObjectStore
from storage.local import LocalObjectStore
from storage.s3 import S3ObjectStore
from tests.conftest import REPO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    exe = Path(sys.executable).parent / "moto_server"
    if not exe.exists():
        pytest.skip("moto_server is not installed")
    port = _free_port()
    proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _free_port_block(n: int) -> int:
    """First of ``n`` consecutive free ports (Ceph's monitor and OSD need a block)."""
    for _ in range(50):
        base = _free_port()
        if base + n > 65535:
            continue
        try:
            for p in range(base, base + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return base
    raise RuntimeError(f"no block of {n} free ports")


@contextmanager
def ceph_rgw() -> Iterator[tuple[str, str, str]]:
    """A throw-away Ceph RGW on free ports: (endpoint, access key, secret key)."""
    with ceph_rgw_users() as (endpoint, _):
        yield endpoint


@contextmanager
def ceph_rgw_users() -> Iterator[tuple[tuple[str, str, str], Callable[[str, str, str], None]]]:
    """Ceph RGW as ``ceph_rgw``, and a function that adds an ordinary S3 user (uid, ak, sk).

    Missing binaries skip the tests, except under CI=true where CI is expected to have
    installed them and a skip would hide a broken set-up.
    """
    missing = [b for b in ("radosgw", "ceph-mon", "ceph-osd") if shutil.which(b) is None]
    if missing:
        reason = f"Ceph RGW is not installed (missing {', '.join(missing)}; apt-get install " \
                 "radosgw ceph-mon ceph-osd)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    base = tempfile.mkdtemp(prefix="cv-ceph-")
    env = {**os.environ, "CEPH_BASE": base, "RGW_PORT": str(_free_port()),
           "CEPH_PORT_BASE": str(_free_port_block(10))}
    script = REPO / "scripts" / "ceph-rgw.sh"
    try:
        out = subprocess.run(["bash", str(script), "start"], env=env, capture_output=True,
                             text=True, timeout=180)
        if out.returncode != 0:
            pytest.fail(f"Ceph RGW did not start: {out.stderr[-2000:]}")
        url, ak, sk = out.stdout.strip().splitlines()[-1].split()

        def add_user(uid: str, access: str, secret: str) -> None:
            subprocess.run(["bash", str(script), "adduser", uid, access, secret], env=env,
                           check=True, capture_output=True, timeout=60)

        yield (url, ak, sk), add_user
    finally:
        subprocess.run(["bash", str(script), "stop"], env=env, capture_output=True, timeout=60)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def ceph_endpoint() -> Iterator[tuple[str, str, str]]:
    """Real radosgw for the whole session, stopped at its end."""
    with ceph_rgw() as endpoint:
        yield endpoint


def _bucket() -> str:
    return f"cv-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["local", "moto", "ceph"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(backend: str, request: pytest.FixtureRequest,
               tmp_path: Path) -> Callable[..., ObjectStore]:
    """A factory: make_store(clock=None) -> a fresh, empty store of the backend."""

    def make(clock: Callable[[], datetime] | None = None) -> ObjectStore:
        if backend == "local":
            root = tmp_path / f"store-{uuid.uuid4().hex[:6]}"
            return LocalObjectStore(root, clock=clock or (lambda: datetime.now(UTC)))
        if backend == "moto":
            url = request.getfixturevalue("moto_endpoint")
            return S3ObjectStore(_bucket(), endpoint_url=url, access_key="test",
                                 secret_key="test")
        url, ak, sk = request.getfixturevalue("ceph_endpoint")
        return S3ObjectStore(_bucket(), endpoint_url=url, access_key=ak, secret_key=sk)

    return make
