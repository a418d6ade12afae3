"""The service account: the operating-system user that owns the data directory.

Maintenance verbs (migrate, catalog rebuild, creating the first admin) are not done by a
person's account but by whoever the OS says owns the data, checked by uid (never by a
name from the environment). They are audited as ``svc:<login>`` of that uid; actors that
start with ``svc:`` can never approve a disposition.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from chartvault.auth.principal import Principal

SERVICE_PREFIX = "svc:"


def data_owner(data_dir: Path) -> Principal | None:
    """The service principal when this process's effective uid owns ``data_dir``."""
    try:
        owner = data_dir.stat().st_uid
    except FileNotFoundError:
        return None
    if os.geteuid() != owner:
        return None
    try:
        login = pwd.getpwuid(owner).pw_name
    except KeyError:
        login = f"uid{owner}"
    return Principal(account_id=f"uid:{owner}", username=SERVICE_PREFIX + login,
                     roles=frozenset(), via="service")
