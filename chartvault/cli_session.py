"""Who the CLI acts as: the bearer of ``chartvault login``, never a name from the environment.

``chartvault login`` signs in through the service and keeps the session's bearer in a
0600 file under the user's configuration directory; every person-command presents it
(or ``CHARTVAULT_TOKEN``, an API token for scripts: a credential, not an identity claim)
and the service says whose it is. ``chartvault logout`` ends the session and deletes the
file. Sessions end after the service's idle time, like a web sign-in.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from chartvault.auth.errors import Unauthenticated
from chartvault.errors import ChartvaultError

TOKEN_ENV = "CHARTVAULT_TOKEN"


class NotSignedIn(Unauthenticated):
    """No credential at all: the one-line error says how to get one."""

    def __init__(self) -> None:
        ChartvaultError.__init__(self, "not signed in: run chartvault login (or set "
                                       f"{TOKEN_ENV} to an API token)")


def token_path() -> Path:
    """``$XDG_CONFIG_HOME/chartvault/token`` (default ``~/.config/chartvault/token``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "chartvault" / "token"


def store_token(bearer: str) -> Path:
    """Write the bearer to the token file, readable by its owner only."""
    path = token_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # an older file may have had wider rights
        os.write(fd, (bearer + "\n").encode())
    finally:
        os.close(fd)
    return path


def stored_token() -> str | None:
    """The bearer of the last ``login``, if any."""
    try:
        text = token_path().read_text().strip()
    except FileNotFoundError:
        return None
    return text or None


def drop_token() -> bool:
    """Delete the token file; whether there was one."""
    try:
        token_path().unlink()
    except FileNotFoundError:
        return False
    return True


def bearer() -> str:
    """The credential this process presents: ``CHARTVAULT_TOKEN``, else the login's."""
    got = os.environ.get(TOKEN_ENV, "").strip() or stored_token()
    if not got:
        raise NotSignedIn()
    return got


def ask(label: str, secret: bool) -> str:
    """A terminal prompt, or the next line of standard input when it is not a terminal."""
    if sys.stdin.isatty():
        return getpass.getpass(f"{label}: ") if secret else input(f"{label}: ")
    return sys.stdin.readline().rstrip("\n")
