"""S3 object store (MinIO, AWS S3, Ceph RGW) through boto3, with Object Lock.

The bucket is created with Object Lock (versioning on); each object version is locked
until its retain-until in the configured mode (GOVERNANCE by default, COMPLIANCE as an
option) and may carry a legal hold. botocore errors are mapped to chartvault's at one
boundary (``_call``); credentials are never logged. Every upload is read back and its
SHA-256 compared (Ceph ignores ChecksumSHA256, so the check is ours).
"""

from __future__ import annotations

import copy
import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from chartvault.errors import (
    IntegrityError,
    ObjectExists,
    ObjectLocked,
    StorageError,
    StorageUnavailable,
)
from chartvault.model import ObjectRef
from storage.base import ObjectInfo, as_utc, sha256_of, validate_key, validate_tags

log = logging.getLogger(__name__)
T = TypeVar("T")
_LOCKED = {"AccessDenied", "InvalidRequest", "ObjectLocked"}
MiB = 1 << 20
LockMode = Literal["GOVERNANCE", "COMPLIANCE"]


def _unavailable(err: ClientError) -> bool:
    """A 5xx answer (503 SlowDown, 500, 502 from a proxy before a stopped gateway)."""
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    return int(status) >= 500


class S3ObjectStore:
    """Write-once, lockable objects in one S3 bucket."""

    name = "s3"

    def __init__(self, bucket: str, *, endpoint_url: str | None = None,
                 region: str = "us-east-1", access_key: str | None = None,
                 secret_key: str | None = None, verify_tls: bool = True,
                 lock_mode: LockMode = "GOVERNANCE", create_bucket: bool = True,
                 sse_kms_key_id: str | None = None, sse_customer_key: str | None = None,
                 multipart_threshold: int = 64 * MiB) -> None:
        if lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise StorageError("lock_mode must be GOVERNANCE or COMPLIANCE")
        self.bucket = bucket
        self.lock_mode = lock_mode
        self._kms_key_id = sse_kms_key_id
        self._customer_key = sse_customer_key
        self._transfer = TransferConfig(multipart_threshold=multipart_threshold,
                                        multipart_chunksize=max(8 * MiB, multipart_threshold // 4))
        self.client: Any = boto3.client(  # untyped: stubs disagree across servers
            "s3", endpoint_url=endpoint_url, region_name=region,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key, verify=verify_tls,
            # few quick tries here: an outage is waited out by the caller's bounded
            # backoff (``chartvault.pipeline.outage``), which can defer the document
            config=Config(s3={"addressing_style": "path"}, connect_timeout=5,
                          read_timeout=60, retries={"max_attempts": 3, "mode": "standard"}),
        )
        if create_bucket:
            self._ensure_bucket()

    def with_lock_mode(self, mode: LockMode) -> S3ObjectStore:
        """The same bucket and client, locking new objects in ``mode`` (anchors: COMPLIANCE)."""
        if mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise StorageError("lock_mode must be GOVERNANCE or COMPLIANCE")
        other = copy.copy(self)
        other.lock_mode = mode
        return other

    def __repr__(self) -> str:
        return f"S3ObjectStore(bucket={self.bucket!r}, lock_mode={self.lock_mode!r})"

    def _call(self, what: str, key: str, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in _LOCKED and what in ("delete", "retention", "overwrite"):
                log.warning("refused %s of a locked object (%s)", what, code)
                raise ObjectLocked(f"object {key}: {what} refused by Object Lock ({code})"
                                   ) from None
            if code in ("NoSuchKey", "404", "NotFound"):
                raise StorageError(f"no object {key}") from None
            if _unavailable(err):
                raise StorageUnavailable(f"S3 {what} of {key} failed ({code})") from None
            raise StorageError(f"S3 {what} of {key} failed ({code})") from None
        except BotoCoreError as err:
            # connection refused or reset, timeouts: the server is away, not the request
            raise StorageUnavailable(f"S3 {what} of {key} failed ({type(err).__name__})"
                                     ) from None

    def _ensure_bucket(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self._call("create_bucket", self.bucket, lambda: self.client.create_bucket(
                Bucket=self.bucket, ObjectLockEnabledForBucket=True))

    def put(self, key: str, data: bytes | Path, *, content_type: str = "application/octet-stream",
            metadata: Mapping[str, str] | None = None, tags: Mapping[str, str] | None = None,
            retain_until: datetime | None = None, legal_hold: bool = False) -> ObjectRef:
        """Write once and verify by reading back."""
        validate_key(key)
        tags_ = validate_tags(tags)
        until = as_utc(retain_until) if retain_until is not None else None
        if until is not None and until <= datetime.now(UTC):
            # S3 refuses a retain-until in the past (InvalidArgument); such a lock would
            # protect nothing anyway: the record is already due for disposition
            until = None
        sha, size = sha256_of(data)
        existing = self.head(key)
        if existing is not None:
            if existing.sha256 == sha:
                return ObjectRef(key=key, sha256=sha, size=existing.size,
                                 content_type=existing.content_type,
                                 version_id=existing.version_id)
            log.warning("refused overwrite of an existing object")
            raise ObjectExists(f"object {key} exists with other content")
        args: dict[str, Any] = {
            "ContentType": content_type, "Metadata": {**dict(metadata or {}), "sha256": sha},
            **self._sse_args(),
        }
        if tags_:
            args["Tagging"] = "&".join(f"{quote(k)}={quote(v)}" for k, v in tags_.items())
        if until is not None:
            args["ObjectLockMode"] = self.lock_mode
            args["ObjectLockRetainUntilDate"] = until
        if legal_hold:
            args["ObjectLockLegalHoldStatus"] = "ON"
        if isinstance(data, Path) and size >= self._transfer.multipart_threshold:
            version = self._put_multipart(key, data, args, until, legal_hold, tags_)
        else:
            body = data if isinstance(data, bytes) else data.read_bytes()
            resp = self._call("put", key, lambda: self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, **args))
            version = resp.get("VersionId")
        if self._read_sha(key, version) != sha:
            raise IntegrityError(f"object {key}: read-back SHA-256 differs")
        return ObjectRef(key=key, sha256=sha, size=size, content_type=content_type,
                         version_id=version)

    def _put_multipart(self, key: str, path: Path, args: dict[str, Any],
                       until: datetime | None, legal_hold: bool,
                       tags: Mapping[str, str]) -> str | None:
        """Streamed multipart upload, then lock and tag the version it made.

        Ceph ignores the lock and the tags given at CreateMultipartUpload (measured), so
        they are (re)applied to the completed version; AWS accepts the same date again.
        Until then the new version is briefly unlocked.
        """
        self._call("put", key, lambda: self.client.upload_file(
            str(path), self.bucket, key, ExtraArgs=args, Config=self._transfer))
        head = self._call("head", key, lambda: self.client.head_object(
            Bucket=self.bucket, Key=key, **self._get_args()))
        version: str | None = head.get("VersionId")
        ver = {"VersionId": version} if version else {}
        if until is not None:
            self._call("retention", key, lambda: self.client.put_object_retention(
                Bucket=self.bucket, Key=key, **ver,
                Retention={"Mode": self.lock_mode, "RetainUntilDate": until}))
        if legal_hold:
            self._call("legal_hold", key, lambda: self.client.put_object_legal_hold(
                Bucket=self.bucket, Key=key, **ver, LegalHold={"Status": "ON"}))
        if tags:
            self._call("tags", key, lambda: self.client.put_object_tagging(
                Bucket=self.bucket, Key=key, **ver,
                Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}))
        return version

    def _sse_args(self) -> dict[str, str]:
        if self._kms_key_id:
            return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": self._kms_key_id}
        return self._get_args()

    def _get_args(self) -> dict[str, str]:
        """SSE-C needs the key on every read too (boto3 sends its MD5 itself)."""
        if self._customer_key:
            return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": self._customer_key}
        return {}

    def _read_sha(self, key: str, version: str | None) -> str:
        h = hashlib.sha256()
        ver = {"VersionId": version} if version else {}
        obj = self._call("get", key, lambda: self.client.get_object(
            Bucket=self.bucket, Key=key, **ver, **self._get_args()))
        for chunk in obj["Body"].iter_chunks(1 << 20):
            h.update(chunk)
        return h.hexdigest()

    def get(self, key: str) -> bytes:
        """Whole object."""
        obj = self._call("get", key, lambda: self.client.get_object(
            Bucket=self.bucket, Key=key, **self._get_args()))
        data: bytes = obj["Body"].read()
        return data

    def download(self, key: str, dest: Path) -> str:
        """Stream to ``dest``; returns the SHA-256 written."""
        h = hashlib.sha256()
        obj = self._call("get", key, lambda: self.client.get_object(
            Bucket=self.bucket, Key=key, **self._get_args()))
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as f:
            for chunk in obj["Body"].iter_chunks(1 << 20):
                h.update(chunk)
                f.write(chunk)
        return h.hexdigest()

    def head(self, key: str) -> ObjectInfo | None:
        """Metadata of the current version, or None."""
        try:
            h = self.client.head_object(Bucket=self.bucket, Key=key, **self._get_args())
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            if _unavailable(err):
                raise StorageUnavailable(f"S3 head of {key} failed") from None
            raise StorageError(f"S3 head of {key} failed") from None
        except BotoCoreError as err:
            raise StorageUnavailable(f"S3 head of {key} failed ({type(err).__name__})"
                                     ) from None
        tags = self._call("tags", key, lambda: self.client.get_object_tagging(
            Bucket=self.bucket, Key=key))
        meta = dict(h.get("Metadata", {}))
        return ObjectInfo(
            key=key, size=int(h["ContentLength"]), sha256=meta.get("sha256"),
            content_type=h.get("ContentType", ""), metadata=meta,
            tags={t["Key"]: t["Value"] for t in tags.get("TagSet", [])},
            retain_until=h.get("ObjectLockRetainUntilDate"),
            legal_hold=h.get("ObjectLockLegalHoldStatus") == "ON",
            version_id=h.get("VersionId"),
        )

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under a prefix, sorted."""
        def pages() -> list[str]:
            keys: list[str] = []
            paginator = self.client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                keys.extend(o["Key"] for o in page.get("Contents", []))
            return keys

        yield from sorted(self._call("list", prefix or "/", pages))

    def delete(self, key: str) -> None:
        """Delete every version (and delete marker); refused while locked or held."""
        versions = self._call("list_versions", key, lambda: self.client.list_object_versions(
            Bucket=self.bucket, Prefix=key))
        items = [v for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
                 if v["Key"] == key]
        for v in items:
            version = str(v["VersionId"])
            self._call("delete", key, partial(self.client.delete_object, Bucket=self.bucket,
                                              Key=key, VersionId=version))

    def set_tags(self, key: str, tags: Mapping[str, str]) -> None:
        """Replace the tags."""
        tags_ = validate_tags(tags)
        self._call("tags", key, lambda: self.client.put_object_tagging(
            Bucket=self.bucket, Key=key,
            Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in tags_.items()]}))

    def extend_retention(self, key: str, until: datetime) -> None:
        """Later only: S3 refuses shortening in COMPLIANCE; we refuse it in every mode."""
        until = as_utc(until)
        info = self.head(key)
        if info is None:
            raise StorageError(f"no object {key}")
        if info.retain_until and info.retain_until > until:
            raise ObjectLocked(f"object {key}: retention can only be extended")
        self._call("retention", key, lambda: self.client.put_object_retention(
            Bucket=self.bucket, Key=key,
            Retention={"Mode": self.lock_mode, "RetainUntilDate": until}))

    def set_legal_hold(self, key: str, on: bool) -> None:
        """Set or clear the legal hold on the current version."""
        self._call("legal_hold", key, lambda: self.client.put_object_legal_hold(
            Bucket=self.bucket, Key=key, LegalHold={"Status": "ON" if on else "OFF"}))
