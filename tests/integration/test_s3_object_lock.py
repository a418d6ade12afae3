"""Object Lock on a real S3 server (Ceph RGW, started here): what the archive relies on.

The contract suite checks our store's answers; these check that the *server* holds the
line too, against raw S3 calls that go around our client-side rules, and measure upload
throughput (printed, never asserted: the machine is shared).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from chartvault.errors import ObjectExists, ObjectLocked
from storage.s3 import S3ObjectStore
from tests.contract.conftest import ceph_rgw


@pytest.fixture(scope="module")
def ceph() -> Iterator[tuple[str, str, str]]:
    with ceph_rgw() as endpoint:
        yield endpoint


def _store(ceph: tuple[str, str, str], **kw: object) -> S3ObjectStore:
    url, ak, sk = ceph
    return S3ObjectStore(f"cv-it-{uuid.uuid4().hex[:10]}", endpoint_url=url, access_key=ak,
                         secret_key=sk, **kw)  # type: ignore[arg-type]


def _error_code(exc: pytest.ExceptionInfo[ClientError]) -> str:
    return str(exc.value.response["Error"]["Code"])


def test_locked_record_survives_early_delete_and_overwrite(ceph: tuple[str, str, str]) -> None:
    s = _store(ceph)
    ref = s.put("records/d1/original.pdf", b"%PDF original",
                retain_until=datetime.now(UTC) + timedelta(days=30))
    assert ref.version_id
    with pytest.raises(ObjectLocked):
        s.delete("records/d1/original.pdf")
    with pytest.raises(ObjectExists):
        s.put("records/d1/original.pdf", b"%PDF tampered")
    # around our client: a raw PUT only stacks a new version on top, and the server
    # refuses to delete the locked one, even in a plain delete of that version
    s.client.put_object(Bucket=s.bucket, Key="records/d1/original.pdf", Body=b"%PDF tampered")
    with pytest.raises(ClientError) as exc:
        s.client.delete_object(Bucket=s.bucket, Key="records/d1/original.pdf",
                               VersionId=ref.version_id)
    assert _error_code(exc) == "AccessDenied"
    kept = s.client.get_object(Bucket=s.bucket, Key="records/d1/original.pdf",
                               VersionId=ref.version_id)["Body"].read()
    assert kept == b"%PDF original"


def test_governance_bypass_but_not_compliance(ceph: tuple[str, str, str]) -> None:
    """GOVERNANCE lets a privileged bypass delete; COMPLIANCE lets nobody."""
    until = datetime.now(UTC) + timedelta(days=30)
    gov = _store(ceph)
    ref = gov.put("k/g", b"record", retain_until=until)
    gov.client.delete_object(Bucket=gov.bucket, Key="k/g", VersionId=ref.version_id,
                             BypassGovernanceRetention=True)
    assert gov.head("k/g") is None

    comp = _store(ceph, lock_mode="COMPLIANCE")
    ref = comp.put("k/c", b"record", retain_until=until)
    info = comp.head("k/c")
    assert info is not None and info.retain_until is not None
    with pytest.raises(ClientError):
        comp.client.delete_object(Bucket=comp.bucket, Key="k/c", VersionId=ref.version_id,
                                  BypassGovernanceRetention=True)
    with pytest.raises(ObjectLocked):
        comp.extend_retention("k/c", until - timedelta(days=1))
    comp.extend_retention("k/c", until + timedelta(days=365))


def test_legal_hold_blocks_deletion_until_released(ceph: tuple[str, str, str]) -> None:
    s = _store(ceph)
    s.put("k/held", b"record", legal_hold=True)
    info = s.head("k/held")
    assert info is not None and info.legal_hold
    with pytest.raises(ObjectLocked):
        s.delete("k/held")
    s.set_legal_hold("k/held", False)
    s.delete("k/held")
    assert s.head("k/held") is None
    assert s.client.list_object_versions(Bucket=s.bucket).get("Versions", []) == []


def test_multipart_upload_is_locked_after_completion(ceph: tuple[str, str, str],
                                                     tmp_path: Path) -> None:
    """Ceph drops the lock given at CreateMultipartUpload; the store re-applies it."""
    s = _store(ceph, multipart_threshold=5 << 20)
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * (6 * 4096))  # 6 MiB: two parts
    until = datetime.now(UTC) + timedelta(days=30)
    ref = s.put("k/big", big, retain_until=until, legal_hold=True, tags={"a": "b"})
    info = s.head("k/big")
    assert info is not None and info.size == 6 << 20 and info.sha256 == ref.sha256
    assert info.retain_until is not None and abs(info.retain_until - until) < timedelta(seconds=2)
    assert info.legal_hold and info.tags == {"a": "b"}
    s.set_legal_hold("k/big", False)
    with pytest.raises(ObjectLocked):
        s.delete("k/big")
    assert s.download("k/big", tmp_path / "back.bin") == ref.sha256


def test_upload_throughput(ceph: tuple[str, str, str], capsys: pytest.CaptureFixture[str]
                           ) -> None:
    """50 x 1 MB locked puts, each re-read and verified (figures printed, not asserted)."""
    s = _store(ceph)
    until = datetime.now(UTC) + timedelta(days=1)
    n, size = 50, 1 << 20
    blobs = [uuid.uuid4().bytes * (size // 16) for _ in range(n)]
    start = time.perf_counter()
    for i, blob in enumerate(blobs):
        s.put(f"bench/{i:03d}", blob, retain_until=until)
    elapsed = time.perf_counter() - start
    assert len(list(s.list("bench/"))) == n
    with capsys.disabled():
        print(f"\nceph rgw: {n} x 1 MiB locked put+verify in {elapsed:.2f} s = "
              f"{n * size / elapsed / 1e6:.1f} MB/s, {n / elapsed:.1f} objects/s")
