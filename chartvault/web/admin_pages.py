"""The administrators' dashboard, and the Prefect UI behind their sign-in.

``chartvault serve`` binds Prefect to 127.0.0.1 with an API auth string only this
process knows; ``/prefect/`` forwards a signed-in administrator's requests
(``schedule_admin``) with that secret added, so nobody reaches Prefect without an
account, and the secret never reaches a browser.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from chartvault.auth.roles import Action
from chartvault.prefect_status import auth_headers
from chartvault.service import Dashboard
from chartvault.web.render import NAV, NavItem, Viewer, error_page, page, viewer

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
PREFIX = "/prefect"
# Prefect's UI is a single-page app with inline styles: a looser policy for it alone.
PREFECT_CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
               "script-src 'self' 'unsafe-inline' 'unsafe-eval'; connect-src 'self'; "
               "font-src 'self' data:; frame-ancestors 'none'")
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-authenticate", "content-length", "content-encoding",
        "host", "cookie", "authorization", "set-cookie"}

NAV.append(NavItem("Dashboard", "/admin", Action.SCHEDULE_ADMIN))


@dataclass(frozen=True)
class Bar:
    """One day's bar of the chart (SVG coordinates)."""

    day: str
    docs: int
    pages: int
    x: float
    y: float
    w: float
    h: float
    label: str


def chart(d: Dashboard, width: int = 900, height: int = 220) -> dict[str, Any]:
    """Bars of documents per day, scaled to the busiest day, a date label every week."""
    left, top, bottom = 40, 10, 24
    base = height - bottom
    peak = max((n for _, n, _ in d.per_day), default=0)
    slot = (width - left) / max(len(d.per_day), 1)
    bars = []
    for i, (day, docs, pages) in enumerate(d.per_day):
        h = (base - top) * docs / peak if peak else 0
        bars.append(Bar(day.isoformat(), docs, pages, left + i * slot + slot * 0.1, base - h,
                        slot * 0.8, h, day.strftime("%b %d") if i % 7 == 0 else ""))
    peak_day = next((b.day for b in bars if b.docs == peak), "-") if peak else "no day"
    return {"width": width, "height": height, "left": left, "top": top, "base": base,
            "peak": peak, "peak_day": peak_day, "bars": bars}


@router.get("/admin", response_class=HTMLResponse)
def dashboard(request: Request, v: Annotated[Viewer, Depends(viewer)]) -> HTMLResponse:
    """Documents and pages per day, backlogs, the last fixity check, the next runs."""
    d = request.app.state.service.dashboard(v.bearer)
    return page(request, "dashboard.html", v, title="Dashboard", d=d, chart=chart(d),
                prefect_ui=getattr(request.app.state, "prefect_upstream", None) is not None)


async def _forward(request: Request, upstream: str, secret: str | None, path: str
                   ) -> Response:
    target = "/api/" + path[4:] if path.startswith("api/") else f"{PREFIX}/{path}"
    headers = {k: val for k, val in request.headers.items() if k.lower() not in _HOP}
    headers.update(auth_headers(secret))
    async with httpx.AsyncClient(base_url=upstream, timeout=30) as client:
        got = await client.request(request.method, target, params=request.query_params,
                                   headers=headers, content=await request.body())
    body = got.content
    if target == f"{PREFIX}/ui-settings" and got.status_code == 200:
        settings = json.loads(body)
        settings["auth"] = None  # this proxy authenticates: the UI must not ask for it
        body = json.dumps(settings).encode()
    out = {k: val for k, val in got.headers.items() if k.lower() not in _HOP}
    out["Content-Security-Policy"] = PREFECT_CSP
    return Response(body, got.status_code, headers=out)


@router.api_route(PREFIX + "/{path:path}",
                  methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])
async def prefect_ui(request: Request, path: str) -> Response:
    """The Prefect UI and API, for signed-in administrators only."""
    from starlette.concurrency import run_in_threadpool

    v = await run_in_threadpool(viewer, request)
    await run_in_threadpool(request.app.state.service.authorize, v.bearer,
                            Action.SCHEDULE_ADMIN)
    upstream = getattr(request.app.state, "prefect_upstream", None)
    if upstream is None:
        return error_page(request, 404, "The Prefect UI runs with chartvault serve only.")
    try:
        return await _forward(request, upstream, request.app.state.prefect_auth, path)
    except httpx.HTTPError as err:
        log.warning("prefect proxy: %s", type(err).__name__)
        return error_page(request, 502, "Prefect not reachable.")


ROUTERS = [router]
