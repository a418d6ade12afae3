"""Refusals: 401 (who are you?) and 403 (not yours to do). Both say nothing more.

A refusal that explained itself ("needs the legal role", "no such user", "hold h-1 is
not yours") would tell a caller what exists and whom to impersonate. The audit trail
holds the reason; the caller gets the code.
"""

from __future__ import annotations

from chartvault.errors import ChartvaultError


class Unauthenticated(ChartvaultError):
    """Sign-in failed, or the token is unknown, expired or revoked."""

    code = "unauthenticated"
    http_status = 401
    exit_code = 6  # chartvault.exitcodes.EXIT_UNAUTHENTICATED

    def __init__(self) -> None:
        super().__init__("sign-in failed or the credential is not valid")


class Forbidden(ChartvaultError):
    """The signed-in account may not do this."""

    code = "forbidden"
    http_status = 403
    exit_code = 7  # chartvault.exitcodes.EXIT_FORBIDDEN

    def __init__(self) -> None:
        super().__init__("not permitted")
