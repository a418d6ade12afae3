"""``/api/docs``: the OpenAPI description as a plain page (no CDN, no script)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from chartvault.web.render import page

router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Every operation of the API with its summary; the schema is at /api/openapi.json."""
    schema = request.app.openapi()
    ops = [{"method": method.upper(), "path": path, "summary": op.get("summary", ""),
            "doc": op.get("description", ""), "tag": (op.get("tags") or [""])[0]}
           for path, methods in schema.get("paths", {}).items()
           for method, op in methods.items()]
    return page(request, "apidocs.html", None, title="chartvault API", ops=ops,
                description=schema.get("info", {}).get("description", ""))


ROUTERS = [router]
