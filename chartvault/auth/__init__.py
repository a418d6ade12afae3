"""Who may do what: accounts, passwords, TOTP, tokens and the one role matrix.

Nothing here trusts a name it is told: a ``Principal`` comes only from a verified
password sign-in (``signin.sign_in``), a verified token (``signin.authenticate``) or the
operating system's word that this process owns the data directory (``service_account``).
"""

from chartvault.auth.errors import Forbidden, Unauthenticated
from chartvault.auth.principal import Principal
from chartvault.auth.roles import Action, Role

__all__ = ["Action", "Forbidden", "Principal", "Role", "Unauthenticated"]
