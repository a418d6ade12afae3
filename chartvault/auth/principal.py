"""The verified identity an action is done as."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from chartvault.auth.roles import Action, Role, allows


@dataclass(frozen=True)
class Principal:
    """An account (or the service account) as verified for this request."""

    account_id: str
    username: str  # the actor of audit events; never reused (accounts are only disabled)
    roles: frozenset[Role]
    via: Literal["session", "token", "service"]
    token_id: str | None = None
    mfa: bool = False  # the credential was obtained with a verified second factor

    def may(self, action: Action) -> bool:
        """Whether any of this principal's roles allows ``action``."""
        return allows(self.roles, action)

    @property
    def is_service(self) -> bool:
        """The OS account owning the data directory (maintenance verbs only)."""
        return self.via == "service"
