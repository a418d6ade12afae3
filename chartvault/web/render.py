"""Templates, the signed-in viewer of a page, and the navigation each role sees."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from chartvault.auth.errors import Unauthenticated
from chartvault.auth.principal import Principal
from chartvault.auth.roles import Action
from chartvault.web import security

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


@dataclass(frozen=True)
class NavItem:
    """A link in the header, shown to those whose roles allow ``action``."""

    label: str
    path: str
    action: Action


# Page modules append their entries; order is the header's order.
NAV: list[NavItem] = []


@dataclass(frozen=True)
class Viewer:
    """Who is looking at a page: the bearer to hand the service, and its CSRF token."""

    bearer: str
    principal: Principal
    csrf: str

    def may(self, action: Action) -> bool:
        """Whether the viewer's roles allow ``action`` (to show links, never to guard)."""
        return self.principal.may(action)


def viewer(request: Request) -> Viewer:
    """FastAPI dependency: the signed-in viewer, or 401 (a redirect to sign-in)."""
    bearer = security.session_bearer(request)
    if bearer is None:
        raise Unauthenticated()
    principal = request.app.state.service.whoami(bearer)
    return Viewer(bearer, principal, security.csrf_token(request.app.state.csrf_key, bearer))


async def form_viewer(request: Request) -> Viewer:
    """Dependency of every page POST: the viewer, after checking the form's CSRF token."""
    v = viewer(request)
    form = await request.form()
    given = form.get(security.CSRF_FIELD) or request.headers.get(security.CSRF_HEADER)
    if not security.csrf_ok(request.app.state.csrf_key, v.bearer,
                            given if isinstance(given, str) else None):
        request.app.state.service.refuse(v.principal, "web_form", "csrf",
                                         {"path": request.url.path})
    return v


def page(request: Request, template: str, v: Viewer | None, status: int = 200,
         **context: Any) -> HTMLResponse:
    """Render ``template`` with the viewer, its navigation and ``context``."""
    nav = [n for n in NAV if v is not None and v.may(n.action)]
    return templates.TemplateResponse(
        request, template, {"viewer": v, "nav": nav, "path": request.url.path, **context},
        status_code=status)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """An error as a page (no viewer: the error may be that there is none)."""
    titles = {400: "Request refused", 403: "Not permitted", 404: "Not found",
              500: "Something went wrong"}
    return page(request, "error.html", None, status, title=titles.get(status, "Error"),
                message=message, code=status)
