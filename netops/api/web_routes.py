"""The NOC web board: a server-sent page shell (no data, no token needed) whose light JavaScript reads the
API with the viewer's bearer token (kept in the browser tab, never in the URL sent to the server)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["web"])
_WEB = Path(__file__).with_name("web")


@router.get("/board", response_class=HTMLResponse, include_in_schema=False)
def board() -> HTMLResponse:
    """The region as cards of prefectures coloured by status, with open incidents; refreshes every 10 s."""
    return HTMLResponse(
        (_WEB / "board.html").read_text(encoding="utf-8"),
        headers={
            "Cache-Control": "no-store",
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        },
    )
