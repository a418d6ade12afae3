"""``create_app``: the FastAPI application of ``chartvault serve``.

Errors map one way: ``http_status`` on the error when it has one (401, 403), 404 for
``not_found``, 400 for other user errors, 500 for the rest with no message (messages are
free of patient data, but an internal one helps nobody outside). Pages turn a 401 into
a redirect to the sign-in page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from chartvault.errors import ChartvaultError, UserError
from chartvault.settings import Settings
from chartvault.web import security

if TYPE_CHECKING:
    from chartvault.service import Service

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
JSON_PREFIXES = ("/api/", "/fhir/")


def _drop(record: logging.LogRecord) -> bool:
    return False


_DROP_ALL = logging.Filter()
_DROP_ALL.filter = _drop  # type: ignore[method-assign]


def status_of(err: ChartvaultError) -> int:
    """The HTTP status of a chartvault error."""
    explicit = getattr(err, "http_status", None)
    if isinstance(explicit, int):
        return explicit
    if err.code == "not_found":
        return 404
    if isinstance(err, UserError):
        return 400
    return 500


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


def _error_response(request: Request, err: ChartvaultError) -> Response:
    status = status_of(err)
    message = str(err) if status < 500 else "internal error"
    if status >= 500:
        log.error("request failed: %s (%s)", type(err).__name__, err.code)
    if _wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse({"error": err.code, "message": message}, status, headers=headers)
    if status == 401:
        target = "/login?next=" + request.url.path if request.method == "GET" else "/login"
        response: Response = RedirectResponse(target, 303)
        security.clear_session(response)
        return response
    from chartvault.web.render import error_page

    return error_page(request, status, message)


def create_app(settings: Settings, service: Service | None = None) -> FastAPI:
    """The web app and API over ``service`` (built from ``settings`` when not given)."""
    from chartvault.web import (
        admin_pages,
        api,
        api_oversight,
        api_work,
        apidocs,
        audit_pages,
        fhir,
        pages,
        records_pages,
        registers,
        release,
        release_pages,
        work,
    )

    if service is None:
        from chartvault.web.wiring import open_service

        service = open_service(settings)
    app = FastAPI(title="chartvault", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="The archive's JSON API. Every call takes `Authorization: "
                  "Bearer <token>` (a session from POST /api/v1/session, or an API token).")
    # access logs would carry query strings (names, MRNs, birth dates): never written,
    # whatever logging configuration uvicorn applies later (a filter outlives dictConfig)
    access = logging.getLogger("uvicorn.access")
    if _DROP_ALL not in access.filters:
        access.addFilter(_DROP_ALL)
    app.state.service = service
    app.state.settings = settings
    app.state.csrf_key = security.load_key(settings.ensure_data_dir())

    @app.exception_handler(ChartvaultError)
    async def _chartvault_error(request: Request, err: ChartvaultError) -> Response:
        return _error_response(request, err)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, err: Exception) -> Response:
        log.error("request failed: %s", type(err).__name__)  # the message may hold PHI
        if _wants_json(request):
            return JSONResponse({"error": "internal_error", "message": "internal error"}, 500)
        from chartvault.web.render import error_page

        return error_page(request, 500, "internal error")

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        response.headers.setdefault("Cache-Control", "no-store")  # charts stay off disks
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'")
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.state.prefect_upstream = None  # ``chartvault serve`` sets these (admin_pages)
    app.state.prefect_auth = None
    for router in (*api.ROUTERS, *api_work.ROUTERS, *api_oversight.ROUTERS, *release.ROUTERS,
                   *fhir.ROUTERS, *apidocs.ROUTERS, *pages.ROUTERS, *work.ROUTERS,
                   *registers.ROUTERS, *release_pages.ROUTERS, *records_pages.ROUTERS,
                   *audit_pages.ROUTERS, *admin_pages.ROUTERS):
        app.include_router(router)
    return app
