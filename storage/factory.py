"""Choose the object store from settings."""

from __future__ import annotations

from chartvault.settings import Settings
from storage.base import ObjectStore


def open_store(settings: Settings) -> ObjectStore:
    """The configured store: local directory (default) or S3."""
    if settings.store == "s3":
        from storage.s3 import S3ObjectStore

        s3 = settings.s3
        return S3ObjectStore(
            s3.bucket, endpoint_url=s3.endpoint_url, region=s3.region,
            access_key=s3.access_key.get_secret_value() if s3.access_key else None,
            secret_key=s3.secret_key.get_secret_value() if s3.secret_key else None,
            verify_tls=s3.verify_tls, lock_mode=s3.lock_mode,
            sse_kms_key_id=s3.sse_kms_key_id,
            sse_customer_key=(s3.sse_customer_key.get_secret_value()
                              if s3.sse_customer_key else None),
        )
    from storage.local import LocalObjectStore

    return LocalObjectStore(settings.objects_dir)

