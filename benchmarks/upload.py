"""Upload throughput of the object stores, verification (read-back SHA-256) included.

    python benchmarks/upload.py [--objects 50] [--size-mb 1] [--backend local|ceph]

``ceph`` starts the throw-away Ceph RGW of scripts/ceph-rgw.sh (memstore) on 127.0.0.1.
Objects are written with an Object Lock retain-until, as archived records are.
Last line: ``UPLOAD backend=.. objects=.. mb_per_s=.. objects_per_s=..``
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.base import ObjectStore
from storage.local import LocalObjectStore
from storage.s3 import S3ObjectStore

REPO = Path(__file__).resolve().parents[1]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(store: ObjectStore, n: int, size: int) -> tuple[float, float]:
    payloads = [os.urandom(size) for _ in range(n)]
    until = datetime.now(UTC) + timedelta(days=1)
    t0 = time.perf_counter()
    for i, data in enumerate(payloads):
        store.put(f"bench/{i:05d}", data, retain_until=until)
    seconds = time.perf_counter() - t0
    return n * size / 1e6 / seconds, n / seconds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=50)
    ap.add_argument("--size-mb", type=float, default=1.0)
    ap.add_argument("--backend", choices=["local", "ceph"], default="ceph")
    args = ap.parse_args()
    size = int(args.size_mb * 1e6)
    with tempfile.TemporaryDirectory() as tmp:
        if args.backend == "local":
            mbps, ops = run(LocalObjectStore(Path(tmp) / "store"), args.objects, size)
        else:
            env = {**os.environ, "CEPH_BASE": str(Path(tmp) / "ceph"), "RGW_PORT": str(_port())}
            script = str(REPO / "scripts" / "ceph-rgw.sh")
            out = subprocess.run(["bash", script, "start"], env=env, capture_output=True,
                                 text=True, check=True, timeout=300).stdout
            url, ak, sk = out.strip().splitlines()[-1].split()
            try:
                store = S3ObjectStore("bench", endpoint_url=url, access_key=ak, secret_key=sk)
                mbps, ops = run(store, args.objects, size)
            finally:
                subprocess.run(["bash", script, "stop"], env=env, capture_output=True,
                               timeout=60)
    print(f"UPLOAD backend={args.backend} objects={args.objects} mb_per_s={mbps:.1f} "
          f"objects_per_s={ops:.1f}")


if __name__ == "__main__":
    main()
