"""chartvault's own S3 user (deploy/s3-app-policy.json, the policy docker-compose gives
MinIO) on a real Ceph RGW: it files and holds records, but cannot shorten or delete a
locked object, even asking for a governance bypass; the bucket's owner still can, so
the refusal comes from the policy, not from the server lacking the feature."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from chartvault.errors import ObjectLocked
from storage.s3 import S3ObjectStore
from tests.conftest import REPO
from tests.contract.conftest import ceph_rgw_users

APP = ("chartvault-app", "cvappaccesskey0001", "cvappsecretkey0000000000000001")


@pytest.fixture(scope="module")
def rgw() -> Iterator[tuple[str, Any, S3ObjectStore, str]]:
    with ceph_rgw_users() as ((url, ak, sk), add_user):
        add_user(*APP)
        bucket = f"cv-app-{uuid.uuid4().hex[:8]}"
        owner = boto3.client("s3", endpoint_url=url, aws_access_key_id=ak,
                             aws_secret_access_key=sk, region_name="us-east-1",
                             config=Config(s3={"addressing_style": "path"}))
        owner.create_bucket(Bucket=bucket, ObjectLockEnabledForBucket=True)
        policy = json.loads((REPO / "deploy" / "s3-app-policy.json").read_text())
        for st in policy["Statement"]:  # the IAM policy, as a bucket policy naming the user
            st["Principal"] = {"AWS": [f"arn:aws:iam:::user/{APP[0]}"]}
            st["Resource"] = [r.replace(":::chartvault", f":::{bucket}") for r in st["Resource"]]
        owner.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
        store = S3ObjectStore(bucket, endpoint_url=url, access_key=APP[1], secret_key=APP[2],
                              create_bucket=False)
        yield bucket, owner, store, url


def _code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def test_app_user_files_reads_and_holds(rgw: tuple[str, Any, S3ObjectStore, str]) -> None:
    _, _, store, _ = rgw
    until = datetime.now(UTC) + timedelta(days=30)
    store.put("records/a/original.pdf", b"%PDF-1.4 a", content_type="application/pdf",
              retain_until=until)
    assert store.get("records/a/original.pdf") == b"%PDF-1.4 a"
    store.set_legal_hold("records/a/original.pdf", True)
    store.set_legal_hold("records/a/original.pdf", False)


def test_app_user_cannot_delete_or_shorten_a_locked_object(
        rgw: tuple[str, Any, S3ObjectStore, str]) -> None:
    bucket, owner, store, _ = rgw
    key = "records/b/original.pdf"
    store.put(key, b"%PDF-1.4 b", content_type="application/pdf",
              retain_until=datetime.now(UTC) + timedelta(days=30))
    with pytest.raises(ObjectLocked):
        store.delete(key)
    raw = store.client
    version = raw.head_object(Bucket=bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError) as bypass_delete:
        raw.delete_object(Bucket=bucket, Key=key, VersionId=version,
                          BypassGovernanceRetention=True)
    assert _code(bypass_delete) == "AccessDenied"
    sooner = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(ClientError) as shorten:
        raw.put_object_retention(Bucket=bucket, Key=key, VersionId=version,
                                 Retention={"Mode": "GOVERNANCE", "RetainUntilDate": sooner},
                                 BypassGovernanceRetention=True)
    assert _code(shorten) == "AccessDenied"
    with pytest.raises(ClientError) as unlock:
        raw.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled"})
    assert _code(unlock) == "AccessDenied"
    assert store.get(key) == b"%PDF-1.4 b"
    # the owner, who holds the bypass permission, can: the policy is what stops the app
    owner.delete_object(Bucket=bucket, Key=key, VersionId=version,
                        BypassGovernanceRetention=True)
