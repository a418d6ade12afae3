"""Session cookie and CSRF tokens of the web pages.

The cookie carries the session bearer itself (verified by the service on every request,
so a tampered cookie is simply an unknown credential). CSRF tokens are an HMAC of the
bearer under a per-installation key, so they need no server-side state and die with
the session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

from fastapi import Request, Response

from chartvault.auth import keys

SESSION_COOKIE = "cv_session"
PRESESSION_COOKIE = "cv_pre"  # before sign-in: binds the login form's CSRF token
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def load_key(data_dir: Path) -> bytes:
    """The installation's CSRF key (``<data_dir>/web.key``, 0600), made on first use."""
    return keys.load_or_create(data_dir / "web.key")


def csrf_token(key: bytes, binding: str) -> str:
    """The CSRF token bound to a session bearer (or a pre-session nonce)."""
    return hmac.new(key, binding.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(key: bytes, binding: str | None, given: str | None) -> bool:
    """Whether ``given`` is the token for ``binding`` (constant time)."""
    if not binding or not given:
        return False
    return hmac.compare_digest(csrf_token(key, binding), given)


def set_session(response: Response, bearer: str, secure: bool) -> None:
    """Hand the browser its session: HttpOnly, SameSite=Strict, Secure unless told not to."""
    response.set_cookie(SESSION_COOKIE, bearer, httponly=True, secure=secure,
                        samesite="strict", path="/")


def clear_session(response: Response) -> None:
    """Forget the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/")


def session_bearer(request: Request) -> str | None:
    """The bearer in the session cookie, if any."""
    return request.cookies.get(SESSION_COOKIE) or None


def presession(request: Request, response: Response, secure: bool) -> str:
    """The pre-session nonce of this browser, set on first sight."""
    nonce = request.cookies.get(PRESESSION_COOKIE)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
        response.set_cookie(PRESESSION_COOKIE, nonce, httponly=True, secure=secure,
                            samesite="strict", path="/")
    return nonce
