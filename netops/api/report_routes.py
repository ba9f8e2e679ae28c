"""The assessment report over HTTP: ``GET /reports?period=2026-11&format=pdf`` (docs/report.md), the same
figures and files as ``netops report``. Drawing and PDF layout block: the route is a plain function, which
FastAPI runs in its thread pool."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from netops.api.deps import RuntimeDep
from netops.report.collect import collect
from netops.report.job import backup_max_age
from netops.report.labels import Format, Lang
from netops.report.period import parse_period
from netops.report.render import media_type, render

router = APIRouter(tags=["report"])

_CONTENT = {
    "text/html": {"schema": {"type": "string"}},
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/csv": {"schema": {"type": "string"}},
}  # the JSON form (`netops report --format json`) is the CLI's: the API's figures come as files


@router.get(
    "/reports",
    response_class=Response,
    responses={200: {"content": _CONTENT, "description": "the report in the format asked for"}},
)
def report(
    rt: RuntimeDep,
    period: Annotated[
        str, Query(pattern=r"^\d{4}(-(0[1-9]|1[0-2]))?$", description="YYYY-MM or YYYY (UTC+8)")
    ],
    format: Literal["html", "pdf", "csv"] = "html",
    lang: Literal["zh", "en"] = "zh",
    prefecture: Annotated[str | None, Query(max_length=63)] = None,
) -> Response:
    chosen = parse_period(period)
    fmt = Format(format)
    data = collect(
        rt.inventory,
        rt.store,
        chosen,
        prefecture=prefecture,
        backup_max_age_s=backup_max_age(rt.settings.backup_interval_s),
    )
    name = f"report-{chosen.label}{'-' + prefecture if prefecture else ''}.{fmt.value}"
    return Response(
        render(data, fmt, Lang(lang)),
        media_type=media_type(fmt),
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
