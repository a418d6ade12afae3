"""Building the service a web process serves, the same way the CLI does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chartvault.settings import Settings

if TYPE_CHECKING:
    from chartvault.service import Service


def open_service(settings: Settings) -> Service:
    """Catalog (migrated), store and anchors, wrapped in the guarded service."""
    from chartvault import anchors
    from chartvault.catalog import Catalog
    from chartvault.service import Service
    from storage.factory import open_store

    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    anchors.attach_settings(catalog, settings)
    return Service(catalog, open_store(settings), settings)
