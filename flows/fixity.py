"""Scheduled fixity check over the whole archive."""

from __future__ import annotations

from typing import Any

from chartvault import anchors
from chartvault.catalog import Catalog
from chartvault.fixity import verify
from chartvault.settings import Settings
from flows.base import flow
from storage.factory import open_store


@flow(name="fixity", persist_result=False, log_prints=False)
def fixity() -> dict[str, Any]:
    """Re-read every archived object and compare checksums (ids and counts returned)."""
    settings = Settings()
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    anchors.attach_settings(catalog, settings)
    try:
        r = verify(catalog, open_store(settings), settings.user)
    finally:
        catalog.close()
    return {"ok": r.ok, "documents": r.documents, "objects": r.objects, "bytes": r.bytes,
            "missing": r.missing, "changed": r.changed, "untracked": r.untracked}
