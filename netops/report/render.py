"""The report's figures (``collect.Report``) as HTML, PDF, CSV or JSON: the last step of the report.

HTML is one self-contained page (charts as PNG data, matplotlib); the PDF is the same page laid out by
WeasyPrint, which embeds the CJK font it uses (Noto Sans CJK SC, Debian's ``fonts-noto-cjk``) as a subset with
its Unicode map, so the Chinese both shows and can be extracted (``pdftotext``). CSV is one table with a
``level`` column (region, group, node), machine-readable headers in English, availability in percent with 4
decimals.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from netops.report.collect import Figures, Report, Row
from netops.report.labels import TEXT, Format, Lang
from netops.report.period import local_text

CJK_FAMILY = "Noto Sans CJK SC"
_FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
CSV_COLUMNS = (
    "level",
    "rank",
    "id",
    "name",
    "name_en",
    "tier",
    "group",
    "availability_pct",
    "observed_h",
    "down_min",
    "incidents",
    "mttr_min",
    "t5_green",
    "t5_total",
    "conferences",
    "conferences_clean",
    "changes",
    "changes_ok",
    "backups_current",
    "backups_total",
    "services_pct",
)


@cache
def cjk_font_file() -> str | None:
    """The CJK font file the charts use (fontconfig's answer first, then Debian's usual paths)."""
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", f"{CJK_FAMILY}:style=Regular"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if "CJK" in found and Path(found).is_file():
            return found
    return next((p for p in _FONT_CANDIDATES if Path(p).is_file()), None)


def pct(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value * 100.0:.{digits}f} %"


def render(report: Report, fmt: Format, lang: Lang = Lang.ZH) -> bytes:
    if fmt is Format.CSV:
        return to_csv(report).encode("utf-8")
    if fmt is Format.JSON:
        return json.dumps(report.to_dict(), ensure_ascii=False, indent=1).encode("utf-8")
    page = to_html(report, lang)
    if fmt is Format.HTML:
        return page.encode("utf-8")
    return to_pdf(page)


def media_type(fmt: Format) -> str:
    return {
        Format.HTML: "text/html; charset=utf-8",
        Format.PDF: "application/pdf",
        Format.CSV: "text/csv; charset=utf-8",
        Format.JSON: "application/json",
    }[fmt]


# --- CSV ---------------------------------------------------------------------------------------------------


def _csv_row(
    level: str, rank: int, ident: str, name: str, name_en: str, tier: str, group: str, f: Figures
) -> list[Any]:
    s = f.summary()
    avail = f.availability
    return [
        level,
        rank,
        ident,
        name,
        name_en,
        tier,
        group,
        "" if avail is None else f"{avail * 100.0:.4f}",
        f"{s['observed_h']:.2f}",
        f"{s['down_min']:.2f}",
        s["incidents"],
        "" if s["mttr_min"] is None else f"{s['mttr_min']:.1f}",
        s["t5_green"],
        s["t5_total"],
        s["conferences"],
        s["conferences_clean"],
        s["changes"],
        s["changes_ok"],
        s["backups_current"],
        s["backups_total"],
        "" if s["services_pct"] is None else f"{s['services_pct']:.2f}",
    ]


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    scope = report.scope or "region"
    w.writerow(_csv_row("region", 0, scope, scope, scope, "region", "", report.region))
    for level, rows in (("group", report.groups), ("node", report.nodes)):
        for r in rows:
            w.writerow(_csv_row(level, r.rank, r.id, r.name, r.name_en, r.tier, r.group, r.figures))
    return buf.getvalue()


# --- charts ------------------------------------------------------------------------------------------------


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def charts(report: Report, lang: Lang) -> list[tuple[str, str]]:
    """(caption, PNG data URL) per chart: availability per group, incidents and MTTR per group."""
    import matplotlib  # heavy: only when a report is drawn

    matplotlib.use("Agg", force=False)
    from matplotlib import font_manager, rc_context
    from matplotlib.figure import Figure

    font = cjk_font_file()
    if font is not None and not any(f.name == CJK_FAMILY for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(font)
    t = TEXT[lang]
    groups = [g for g in report.groups if g.figures.availability is not None]
    names = [_name(g, lang) for g in groups]
    out: list[tuple[str, str]] = []
    with rc_context({"font.family": [CJK_FAMILY, "DejaVu Sans"], "axes.unicode_minus": False}):
        if groups:
            height = max(2.5, 0.32 * len(groups) + 1.0)
            fig = Figure(figsize=(7.5, height))
            ax = fig.subplots()
            values = [(g.figures.availability or 0.0) * 100.0 for g in groups]
            ax.barh(names[::-1], values[::-1], color="#2f6f9f")
            low = min(values)
            ax.set_xlim(max(0.0, min(99.0, low - 0.5)), 100.0)
            for y, v in enumerate(values[::-1]):
                ax.text(v, y, f" {v:.2f}", va="center", fontsize=8)
            ax.set_title(t["chart_availability"])
            out.append((t["chart_availability"], _png(fig)))

            fig = Figure(figsize=(7.5, 3.6))
            ax = fig.subplots()
            xs = range(len(groups))
            ax.bar(xs, [len(g.figures.incidents) for g in groups], color="#c0504d")
            ax.set_ylabel(t["incidents"])
            ax.set_xticks(list(xs), names, rotation=45, ha="right", fontsize=8)
            ax2 = ax.twinx()
            mttr = [float("nan") if g.figures.mttr_s is None else g.figures.mttr_s / 60.0 for g in groups]
            ax2.plot(list(xs), mttr, "o", color="#333333")  # no point where nothing was repaired
            ax2.set_ylabel(t["chart_mttr"])
            ax.set_title(t["chart_incidents"])
            out.append((t["chart_incidents"], _png(fig)))
    return out


# --- HTML / PDF --------------------------------------------------------------------------------------------


def _name(row: Row, lang: Lang) -> str:
    return row.name if lang is Lang.ZH else row.name_en


def _cells(f: Figures, t: dict[str, str]) -> dict[str, str]:
    s = f.summary()
    none = t["none"]
    return {
        "availability": pct(f.availability) or none,
        "observed": f"{s['observed_h']:.1f}",
        "down": f"{s['down_min']:.1f}",
        "incidents": str(s["incidents"]),
        "mttr": none if s["mttr_min"] is None else f"{s['mttr_min']:.1f}",
        "t5": f"{s['t5_green']}/{s['t5_total']}" if s["t5_total"] else none,
        "conferences": f"{s['conferences_clean']}/{s['conferences']}" if s["conferences"] else none,
        "changes": f"{s['changes_ok']}/{s['changes']}" if s["changes"] else none,
        "backups": f"{s['backups_current']}/{s['backups_total']}" if s["backups_total"] else none,
        "services": none if s["services_pct"] is None else f"{s['services_pct']:.2f} %",
    }


_COLUMNS = (
    "availability",
    "observed",
    "down",
    "incidents",
    "mttr",
    "t5",
    "conferences",
    "changes",
    "backups",
    "services",
)

_PAGE = jinja2.Template(
    """<!DOCTYPE html>
<html lang="{{ 'zh-CN' if zh else 'en' }}"><head><meta charset="utf-8">
<title>{{ t.title }} {{ period }}</title>
<style>
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "{{ family }}", sans-serif; font-size: 10pt; color: #222; }
h1 { font-size: 16pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 14pt 0 4pt; }
table { border-collapse: collapse; margin: 4pt 0; } th, td { border: 1px solid #bbb; padding: 2pt 5pt; }
th { background: #eef2f6; } td { white-space: nowrap; } td.n { text-align: right; } td.wrap { white-space: normal; }
img { max-width: 100%; }
p.method { font-size: 9pt; max-width: 60em; } .meta td { border: none; padding: 0 8pt 0 0; }
</style></head><body>
<h1>{{ t.title }}</h1>
<table class="meta">
<tr><td>{{ t.period }}</td><td>{{ period }}</td></tr>
<tr><td>{{ t.scope }}</td><td>{{ scope }}</td></tr>
<tr><td>{{ t.generated }}</td><td>{{ generated }}</td></tr>
</table>
<h2>{{ t.summary }}</h2>
<table id="summary"><tr>{% for c in columns %}<th>{{ t[c] }}</th>{% endfor %}</tr>
<tr>{% for c in columns %}<td class="n">{{ region[c] }}</td>{% endfor %}</tr></table>
{% for caption, src in charts %}<figure><img src="{{ src }}" alt="{{ caption }}"></figure>{% endfor %}
<h2>{{ t.groups }}</h2>
<table id="groups"><tr><th>{{ t.rank }}</th><th>{{ t.name }}</th>
{% for c in columns %}<th>{{ t[c] }}</th>{% endfor %}</tr>
{% for r in groups %}<tr data-id="{{ r.id }}"><td class="n">{{ r.rank }}</td><td>{{ r.name }}</td>
{% for c in columns %}<td class="n">{{ r.cells[c] }}</td>{% endfor %}</tr>
{% endfor %}</table>
<h2>{{ t.nodes }}</h2>
<table id="nodes"><tr><th>{{ t.rank }}</th><th>{{ t.name }}</th><th>{{ t.group }}</th>
{% for c in columns %}<th>{{ t[c] }}</th>{% endfor %}</tr>
{% for r in nodes %}<tr data-id="{{ r.id }}"><td class="n">{{ r.rank }}</td><td>{{ r.name }}</td><td>{{ r.group }}</td>
{% for c in columns %}<td class="n">{{ r.cells[c] }}</td>{% endfor %}</tr>
{% endfor %}</table>
<h2>{{ t.service_table }}</h2>
{% if services is none %}<p>{{ t.no_services }}</p>{% else %}
<table id="services"><tr><th>{{ t.name }}</th>{% for s in service_names %}<th>{{ s }}</th>{% endfor %}</tr>
{% for g, per in services %}<tr><td>{{ g }}</td>
{% for s in service_names %}<td class="n">{{ per.get(s, t.none) }}</td>{% endfor %}</tr>
{% endfor %}</table>{% endif %}
<h2>{{ t.rollout }}</h2>
<table id="rollout"><tr><th>{{ t.name }}</th><th>{{ t.nodes_total }}</th><th>{{ t.active }}</th><th>{{ t.planned }}</th>
<th>{{ t.staging }}</th><th>{{ t.late }}</th><th>{{ t.late_sites }}</th></tr>
{% for r in rollout %}<tr><td>{{ r.name }}</td><td class="n">{{ r.nodes }}</td><td class="n">{{ r.active }}</td>
<td class="n">{{ r.planned }}</td><td class="n">{{ r.staging }}</td><td class="n">{{ r.late }}</td>
<td class="wrap">{% for s in r.late_sites %}
{{ s.name }} ({{ s.target_date }}){% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
<h2>{{ t.method }}</h2>
<p class="method">{{ t.method_text }}</p>
<p class="method">{{ t.backups_note }} {{ backup_hours }} {{ t.hours }}.</p>
{% for note in notes %}<p class="method">{{ note }}</p>{% endfor %}
</body></html>
""",
    autoescape=True,
)


def to_html(report: Report, lang: Lang = Lang.ZH) -> str:
    t = TEXT[lang]
    zh = lang is Lang.ZH

    def row(r: Row) -> dict[str, Any]:
        return {
            "id": r.id,
            "rank": r.rank,
            "name": _name(r, lang),
            "group": r.group,
            "cells": _cells(r.figures, t),
        }

    group_names = {g.id: _name(g, lang) for g in report.groups}
    nodes = [row(n) | {"group": group_names.get(n.group, n.group)} for n in report.nodes]
    services = None
    names: list[str] = []
    if report.services is not None:
        names = sorted({s for per in report.services.values() for s in per})
        services = [
            (
                group_names.get(g, g),
                {s: f"{100.0 * ok / total:.2f} %" for s, (ok, total) in per.items() if total},
            )
            for g, per in report.services.items()
        ]
    rollout = [r | {"name": r["name"] if zh else r["id"]} for r in report.rollout.get("prefectures", [])]
    scope = t["region"]
    if report.scope is not None:
        scope = group_names.get(report.scope, report.scope)
    return str(
        _PAGE.render(
            t=t,
            zh=zh,
            family=CJK_FAMILY,
            period=report.period.label,
            scope=scope,
            generated=local_text(report.generated_at) + " (UTC+8)",
            columns=_COLUMNS,
            region=_cells(report.region, t),
            charts=charts(report, lang),
            groups=[row(g) for g in report.groups],
            nodes=nodes,
            services=services,
            service_names=names,
            rollout=rollout,
            backup_hours=f"{report.backup_max_age_s / 3600.0:g}",
            notes=report.notes,
        )
    )


def to_pdf(page: str) -> bytes:
    import weasyprint  # heavy: only for PDF

    pdf = weasyprint.HTML(string=page).write_pdf()
    assert pdf is not None  # no target given: the bytes
    return bytes(pdf)
