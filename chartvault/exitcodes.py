"""The exit status of every ``chartvault`` command: one table (README "Exit codes")."""

from __future__ import annotations

from chartvault.errors import ChartvaultError, NotFound, UserError

EXIT_OK = 0
EXIT_CHECK_FAILED = 1  # verify / audit verify found a problem
EXIT_USER = 2  # usage error or a request refused as asked (audited where it is a decision)
EXIT_NOT_FOUND = 3  # no such document, plan, hold, patient, intake or file
EXIT_INCOMPLETE = 4  # catalog rebuild finished but could not recover everything stored
EXIT_FAILED = 5  # storage, database or internal failure; a stopped execution to resume
EXIT_UNAUTHENTICATED = 6  # 401: not signed in, sign-in failed, token unknown/expired/revoked
EXIT_FORBIDDEN = 7  # 403: the signed-in account may not do this (audited)
EXIT_INTERRUPTED = 130


def status(err: ChartvaultError) -> int:
    """The exit status of a command that ended with ``err``."""
    from chartvault.auth.errors import Forbidden, Unauthenticated

    if isinstance(err, Unauthenticated) or getattr(err, "http_status", None) == 401:
        return EXIT_UNAUTHENTICATED
    if isinstance(err, Forbidden):
        return EXIT_FORBIDDEN
    if isinstance(err, NotFound) or err.code == "not_found":
        return EXIT_NOT_FOUND
    if isinstance(err, UserError):
        return EXIT_USER
    return EXIT_FAILED
