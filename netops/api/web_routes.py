"""The NOC web board: a server-sent page shell (no data, no token needed) whose light JavaScript reads the
API with the viewer's bearer token (kept in the browser tab, never in the URL sent to the server)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

router = APIRouter(tags=["web"])
_WEB = Path(__file__).with_name("web")


_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'",
}
_STATIC = {"app.js": "text/javascript", "common.css": "text/css"}


def _page(name: str) -> HTMLResponse:
    return HTMLResponse((_WEB / f"{name}.html").read_text(encoding="utf-8"), headers=_HEADERS)


@router.get("/board", response_class=HTMLResponse, include_in_schema=False)
def board() -> HTMLResponse:
    """The region as cards of prefectures coloured by status, with open incidents; refreshes every 10 s."""
    return _page("board")


@router.get("/board/device/{device_id}", response_class=HTMLResponse, include_in_schema=False)
def device_page(device_id: str) -> HTMLResponse:
    """One device: health, interfaces, neighbours, recent changes, configuration backups."""
    return _page("device")


@router.get("/board/conference/{conf_id}", response_class=HTMLResponse, include_in_schema=False)
def conference_page(conf_id: str) -> HTMLResponse:
    """A conference's readiness board, prefectures worst first; refreshes every 15 s."""
    return _page("conference")


@router.get("/board/runs", response_class=HTMLResponse, include_in_schema=False)
def runs_page() -> HTMLResponse:
    """Runbook runs; those waiting for approval with approve/reject buttons (the API checks the role)."""
    return _page("runs")


@router.get("/board/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    if name not in _STATIC:
        return Response(status_code=404)
    return Response(
        (_WEB / name).read_text(encoding="utf-8"),
        media_type=_STATIC[name],
        headers={"Cache-Control": "max-age=300"},
    )
