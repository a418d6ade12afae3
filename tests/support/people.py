"""Signed-in people for tests that drive the real CLI: accounts made the way a site makes
them (``bootstrap`` as the data directory's owner, the admin creates the others, each
signs in with its one-time password, a new password and a TOTP code), then each
person's session bearer, which the CLI is given as ``CHARTVAULT_TOKEN``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pyotp

from chartvault.auth.accounts import Enrolment
from chartvault.auth.roles import Role
from chartvault.catalog import Catalog
from chartvault.service import Service
from chartvault.settings import AuthSettings, Settings
from storage.factory import open_store
from tests.support.world import FAST_ARGON2, password_of

# sessions of a module's archive outlive the 15 min idle logoff of a slow test run
ENV = {"CHARTVAULT_AUTH__SESSION_IDLE_MINUTES": "600"}


@contextmanager
def _as_admin(data_dir: Path) -> Iterator[tuple[Service, str]]:
    """The service of the archive at ``data_dir`` and the bearer of its new admin."""
    settings = Settings(data_dir=data_dir, auth=AuthSettings(**FAST_ARGON2))
    settings.ensure_data_dir()
    catalog = Catalog(settings.sqlalchemy_url)
    catalog.create()
    service = Service(catalog, open_store(settings), settings)
    try:
        boot = service.bootstrap("admin")
        assert boot.one_time_password and boot.totp_secret
        yield service, service.sign_in("admin", boot.one_time_password,
                                       pyotp.TOTP(boot.totp_secret).now(),
                                       new_password=password_of("admin")).bearer
    finally:
        catalog.close()


def enrol_people(data_dir: Path, people: Mapping[str, tuple[Role, ...]]
                 ) -> dict[str, Enrolment]:
    """A fresh archive whose admin created ``people``: their one-time passwords, unused."""
    with _as_admin(data_dir) as (service, admin):
        return {name: service.create_account(admin, name, roles)
                for name, roles in people.items()}


def sign_in_people(data_dir: Path, people: Mapping[str, tuple[Role, ...]]) -> dict[str, str]:
    """Bootstrap an admin in the archive at ``data_dir``, create ``people``, sign them in."""
    with _as_admin(data_dir) as (service, admin):
        bearers = {}
        for name, roles in people.items():
            got = service.create_account(admin, name, roles)
            assert got.one_time_password
            code = pyotp.TOTP(got.totp_secret).now() if got.totp_secret else None
            bearers[name] = service.sign_in(name, got.one_time_password, code,
                                            new_password=password_of(name)).bearer
        service.sign_out(admin)
        return bearers
