"""Sign-in, sign-out and the start page; the role pages live in their own modules."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chartvault.auth.errors import Unauthenticated
from chartvault.auth.signin import PasswordChangeRequired
from chartvault.web import security
from chartvault.web.render import Viewer, form_viewer, page, viewer

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only a local path: never send a signed-in browser to another site."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_page(request: Request, next_path: str, status: int = 200,
                **context: object) -> HTMLResponse:
    """The sign-in form, its CSRF token bound to this browser's pre-session nonce."""
    nonce = request.cookies.get(security.PRESESSION_COOKIE) or secrets.token_urlsafe(24)
    csrf = security.csrf_token(request.app.state.csrf_key, "pre:" + nonce)
    response = page(request, "login.html", None, status, title="Sign in",
                    next=_safe_next(next_path), csrf=csrf, **context)
    if request.cookies.get(security.PRESESSION_COOKIE) != nonce:
        response.set_cookie(security.PRESESSION_COOKIE, nonce, httponly=True, samesite="strict",
                            secure=request.app.state.settings.web.secure_cookies, path="/")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in page."""
    return _login_page(request, next)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: Annotated[str, Form()],
          password: Annotated[str, Form()], csrf: Annotated[str, Form()] = "",
          code: Annotated[str, Form()] = "", new_password: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    """Check the form's token, sign in through the service, hand out the session cookie."""
    nonce = request.cookies.get(security.PRESESSION_COOKIE)
    if not security.csrf_ok(request.app.state.csrf_key, "pre:" + nonce if nonce else None,
                            csrf):
        return _login_page(request, next, 403, error="The form expired; please try again.")
    service = request.app.state.service
    try:
        signed = service.sign_in(username, password, code or None,
                                 new_password=new_password or None)
    except PasswordChangeRequired:
        return _login_page(request, next, 401, username=username, change=True,
                           error="This is a one-time password: choose a new password.")
    except Unauthenticated:
        return _login_page(request, next, 401, username=username,
                           error="Sign-in failed. Check the name, password and code.")
    response = RedirectResponse(_safe_next(next), 303)
    security.set_session(response, signed.bearer, request.app.state.settings.web.secure_cookies)
    response.delete_cookie(security.PRESESSION_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, v: Annotated[Viewer, Depends(form_viewer)]) -> Response:
    """End the session in the service, then forget the cookie."""
    request.app.state.service.sign_out(v.bearer)
    response = RedirectResponse("/login?signed_out=1", 303)
    security.clear_session(response)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, v: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
    """The start page: what this account may do here."""
    return page(request, "home.html", v, title="chartvault")




@router.get("/documents/{doc_id}/pages/{number}.png")
def page_image(request: Request, doc_id: str, number: int,
               v: Annotated[Viewer, Depends(viewer)]) -> Response:
    """A page preview for ``<img>`` tags of the review and document pages."""
    if number < 1:
        number = 1
    return Response(request.app.state.service.page_image(v.bearer, doc_id, number - 1),
                    media_type="image/png")


ROUTERS = [router]
