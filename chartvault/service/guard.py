"""The guard every service method passes: authenticate, check the matrix, audit refusals.

A refusal is written to the audit trail in its own transaction before ``Forbidden`` is
raised, so a refused attempt is on record even though nothing else happens. The check
comes before any look at the target, so a refused caller learns nothing about what
exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn

from chartvault.auth.clock import now as utc_now
from chartvault.auth.errors import Forbidden
from chartvault.auth.principal import Principal
from chartvault.auth.roles import SECOND_FACTOR_ACTIONS, Action
from chartvault.auth.service_account import data_owner
from chartvault.auth.signin import Authenticator
from chartvault.catalog import Catalog
from chartvault.errors import ChartvaultError
from chartvault.settings import Settings
from storage.base import ObjectStore

if TYPE_CHECKING:  # httpx, authlib and joserfc load only for a site that uses OIDC
    from chartvault.auth.oidc import OidcClient


def _totp_key(settings: Settings) -> bytes:
    from chartvault.auth import keys

    if settings.auth.totp_key is not None:
        return keys.from_setting(settings.auth.totp_key.get_secret_value())
    return keys.load_or_create(settings.ensure_data_dir() / "totp.key")


class Guard:
    """State shared by the service's parts, and the permission check."""

    def __init__(self, catalog: Catalog, store: ObjectStore, settings: Settings,
                 clock: Callable[[], datetime] = utc_now) -> None:
        self.catalog = catalog
        self.store = store
        self.settings = settings
        self.clock = clock
        self.auth = Authenticator(catalog, settings.auth, _totp_key(settings), clock)
        self._oidc: OidcClient | None = None

    def _audit_refusal(self, actor: str, action: str, why: str, doc_ids: Sequence[str] = (),
                       detail: Mapping[str, Any] | None = None) -> None:
        self.catalog.audit(actor, action, list(doc_ids), outcome="refused",
                           detail={"why": why, **dict(detail or {})})

    def deny(self, p: Principal, action: Action, why: str, doc_ids: Sequence[str] = (),
             detail: Mapping[str, Any] | None = None) -> NoReturn:
        """Audit the refusal, then raise ``Forbidden`` (which says nothing of the reason)."""
        self._audit_refusal(p.username, action.value, why, doc_ids,
                            {"token": p.token_id, **dict(detail or {})})
        raise Forbidden()

    def refuse(self, p: Principal, what: str, why: str,
               detail: Mapping[str, Any] | None = None) -> NoReturn:
        """Audit a refusal an adapter decided (a missing CSRF token), then raise ``Forbidden``."""
        self._audit_refusal(p.username, what, why, (), {"token": p.token_id,
                                                       **dict(detail or {})})
        raise Forbidden()

    def reject(self, p: Principal, action: Action, why: str, error: ChartvaultError,
               detail: Mapping[str, Any] | None = None) -> NoReturn:
        """Audit a refused request of a permitted caller (bad input), then raise ``error``."""
        self._audit_refusal(p.username, action.value, why, (), {"token": p.token_id,
                                                                **dict(detail or {})})
        raise error

    def require(self, bearer: str, action: Action, doc_ids: Sequence[str] = (),
                detail: Mapping[str, Any] | None = None) -> Principal:
        """The verified principal of ``bearer`` if the matrix lets it do ``action``."""
        p = self.auth.authenticate(bearer, action.value)
        if not p.may(action):
            self.deny(p, action, "role", doc_ids, detail)
        if action in SECOND_FACTOR_ACTIONS and not p.mfa:
            self.deny(p, action, "second_factor", doc_ids, detail)
        return p

    def authorize(self, bearer: str, action: Action) -> Principal:
        """The guard alone, for adapters whose action has no service method yet."""
        return self.require(bearer, action)

    def maintenance(self, verb: str) -> Principal:
        """The service account, if this process's uid owns the data directory."""
        p = data_owner(self.settings.data_dir)
        if p is None:
            self._audit_refusal(f"uid:{os.geteuid()}", verb, "not_data_owner")
            raise Forbidden()
        return p
