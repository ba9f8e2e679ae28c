"""The assessment report over a synthetic month with known outages (tests/report/monthdata.py), read back from
each format it writes: CSV rows, HTML table cells, PDF text (pdftotext) and pages as PNG (pdftoppm).

The expected figures are worked out by hand below from monthdata's outage list, not with netops' code.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from netops.inventory.loader import load_inventory
from netops.lab.testing import free_port, service_process
from netops.report.collect import collect
from netops.report.job import write_reports
from netops.report.labels import Format, Lang
from netops.report.period import parse_period
from netops.report.render import render
from netops.store.db import open_store
from tests.conftest import REPO, run_netops
from tests.report.monthdata import MONTH_END, write_month

INVENTORY = Path(__file__).with_name("inventory")

# --- the hand calculation ------------------------------------------------------------------------------------
# November has 30 days = 43,200 minutes. No poll cycle starts between 00:00 and 06:00 on the 20th; the cycle at
# 23:59 on the 19th covers two intervals (to 00:01), so 00:01-06:00 (359 min) is unobserved.
OBSERVED_MIN = 43_200 - 359
DOWN_MIN = {
    "centre": 0,
    "kashgar": 20
    + 39,  # incident 2: 08:00-08:20 and 08:21-09:00 (the minute between was a recorded recovery)
    # incident 1 (150) + incidents 2 and 2b together: 08:00-08:20 and 08:21-09:30 (20 + 69) + incident 9 (45)
    "kashgar-shufu": 150 + 89 + 45,
    "kashgar-shule": 59 + 60,  # incident 2, and incident 5 open from 23:00 on the 30th to the month's end
    "hotan": 60,  # incident 4, 05:00-07:00 on the 20th, of which only 06:00-07:00 was observed
    "hotan-lop": 120 + 60,  # incident 3's part in November (00:00-02:00) + incident 4 (60)
}
GROUPS = {
    "centre": ["centre"],
    "kashgar": ["kashgar", "kashgar-shufu", "kashgar-shule"],
    "hotan": ["hotan", "hotan-lop"],
}


def expected_pct(nodes: list[str]) -> float:
    down = sum(DOWN_MIN[n] for n in nodes)
    return 100.0 * (1.0 - down / (OBSERVED_MIN * len(nodes)))


EXPECTED_NODES = {n: expected_pct([n]) for n in DOWN_MIN}
EXPECTED_GROUPS = {g: expected_pct(nodes) for g, nodes in GROUPS.items()}
EXPECTED_REGION = expected_pct(list(DOWN_MIN))
NAMES = {
    "centre": "自治区人民政府办公厅",
    "kashgar": "喀什地区",
    "kashgar-shufu": "疏附县",
    "kashgar-shule": "疏勒县",
    "hotan": "和田地区",
    "hotan-lop": "洛浦县",
}
TOLERANCE = 0.01  # percentage points


@dataclass
class Month:
    state: Path
    files: dict[str, Path]


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Month]:
    state = tmp_path_factory.mktemp("report-state")
    store = open_store(f"sqlite:///{state / 'netops.db'}")
    try:
        write_month(store)
        inv = load_inventory(INVENTORY)
        now = MONTH_END + 10 * 86400.0
        # the monthly job's files (Chinese HTML, PDF, CSV), then the English page and JSON
        written = write_reports(
            inv, store, parse_period("2026-11"), state / "reports", backup_max_age_s=12 * 3600.0, now=now
        )
        files = {f"zh.{path.suffix[1:]}": path for path in written}
        assert sorted(files) == ["zh.csv", "zh.html", "zh.pdf"]
        report = collect(inv, store, parse_period("2026-11"), now=now)
        for name, fmt, lang in (("en.html", Format.HTML, Lang.EN), ("zh.json", Format.JSON, Lang.ZH)):
            files[name] = state / f"report-2026-11.{name}"
            files[name].write_bytes(render(report, fmt, lang))
    finally:
        store.close()
    yield Month(state, files)


# --- CSV -----------------------------------------------------------------------------------------------------


def csv_rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["level"], r["id"]): r for r in csv.DictReader(io.StringIO(text))}


def test_csv_availability_matches_the_hand_calculation(month: Month) -> None:
    rows = csv_rows(month.files["zh.csv"].read_text(encoding="utf-8"))
    for node, pct in EXPECTED_NODES.items():
        assert float(rows["node", node]["availability_pct"]) == pytest.approx(pct, abs=TOLERANCE), node
        assert float(rows["node", node]["observed_h"]) == pytest.approx(OBSERVED_MIN / 60.0, abs=0.01)
        assert float(rows["node", node]["down_min"]) == pytest.approx(DOWN_MIN[node], abs=0.01), node
    for group, pct in EXPECTED_GROUPS.items():
        assert float(rows["group", group]["availability_pct"]) == pytest.approx(pct, abs=TOLERANCE), group
    assert float(rows["region", "region"]["availability_pct"]) == pytest.approx(
        EXPECTED_REGION, abs=TOLERANCE
    )
    # the planned county is not assessed; nothing else is there
    assert {k[1] for k in rows if k[0] == "node"} == set(DOWN_MIN)


def test_csv_incidents_mttr_conferences_changes_backups(month: Month) -> None:
    rows = csv_rows(month.files["zh.csv"].read_text(encoding="utf-8"))
    shufu = rows["node", "kashgar-shufu"]
    # incidents 1, 2, 2b, 9 (October's and the unmanaged one do not count); repairs 150, 60, 60, 45 min
    assert int(shufu["incidents"]) == 4
    assert float(shufu["mttr_min"]) == pytest.approx((150 + 60 + 60 + 45) / 4, abs=0.1)
    assert (shufu["changes_ok"], shufu["changes"]) == ("1", "2")  # confirmed + reverted; dry run, October out
    assert (shufu["backups_current"], shufu["backups_total"]) == ("0", "1")  # three days old
    assert (shufu["t5_green"], shufu["t5_total"]) == ("1", "2")  # RED in c1's T-5, GREEN in c2's
    kashgar = rows["group", "kashgar"]
    assert int(kashgar["incidents"]) == 5  # 1, 2, 2b, 9 and the open one at Shule (no repair yet)
    assert float(kashgar["mttr_min"]) == pytest.approx(78.75, abs=0.1)
    assert (kashgar["conferences_clean"], kashgar["conferences"]) == ("1", "2")  # c1 had Shufu RED
    assert (kashgar["t5_green"], kashgar["t5_total"]) == ("3", "4")
    assert (kashgar["backups_current"], kashgar["backups_total"]) == ("1", "3")
    hotan = rows["group", "hotan"]
    assert int(hotan["incidents"]) == 2
    assert float(hotan["mttr_min"]) == pytest.approx((360 + 120) / 2, abs=0.1)  # Lop from 31 Oct 20:00: 6 h
    assert (hotan["conferences_clean"], hotan["conferences"]) == ("1", "1")  # the T-15 RED does not count
    region = rows["region", "region"]
    assert (region["conferences_clean"], region["conferences"], region["incidents"]) == ("1", "2", "7")
    if shufu["services_pct"]:  # the service_checks table exists (docs/services.md)
        assert float(shufu["services_pct"]) == pytest.approx(90.0)
    # ranked: the best availability first
    nodes = sorted((int(r["rank"]), k[1]) for k, r in rows.items() if k[0] == "node")
    assert [n for _, n in nodes] == sorted(EXPECTED_NODES, key=lambda n: (-EXPECTED_NODES[n], n))


def test_json_has_the_rollout_and_the_late_planned_county(month: Month) -> None:
    data = json.loads(month.files["zh.json"].read_text(encoding="utf-8"))
    kashgar = next(r for r in data["rollout"]["prefectures"] if r["id"] == "kashgar")
    assert (kashgar["planned"], kashgar["late"]) == (1, 1)
    assert kashgar["late_sites"][0]["id"] == "kashgar-yopurga"


# --- HTML ----------------------------------------------------------------------------------------------------


class Tables(HTMLParser):
    """Every <table id=...>: its rows as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or "?"
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def html_availability(path: Path, table: str, header: str) -> dict[str, float]:
    parser = Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    head, *rows = parser.tables[table]
    col, name_col = head.index(header), 1
    return {row[name_col]: float(row[col].rstrip(" %")) for row in rows}


def test_html_cells_match_the_hand_calculation(month: Month) -> None:
    nodes = html_availability(month.files["zh.html"], "nodes", "节点可用率")
    for node, pct in EXPECTED_NODES.items():
        assert nodes[NAMES[node]] == pytest.approx(pct, abs=TOLERANCE), node
    groups = html_availability(month.files["zh.html"], "groups", "节点可用率")
    for group, pct in EXPECTED_GROUPS.items():
        assert groups[NAMES[group]] == pytest.approx(pct, abs=TOLERANCE), group
    summary = html_availability(month.files["zh.html"], "summary", "节点可用率")
    page = month.files["zh.html"].read_text(encoding="utf-8")
    assert "计算方法" in page and "cause_gone_at" in page  # the formula is explained in the report itself
    assert summary  # the summary row is there (its first cell is the availability)


def test_english_variant(month: Month) -> None:
    nodes = html_availability(month.files["en.html"], "nodes", "Node availability")
    assert nodes["Shufu"] == pytest.approx(EXPECTED_NODES["kashgar-shufu"], abs=TOLERANCE)
    page = month.files["en.html"].read_text(encoding="utf-8")
    assert "How the figures are computed" in page and 'lang="en"' in page


# --- PDF -----------------------------------------------------------------------------------------------------

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils missing: scripts/install-system-deps.sh installs it",
)


@needs_poppler
def test_pdf_text_matches_the_hand_calculation(month: Month) -> None:
    text = subprocess.run(
        ["pdftotext", "-layout", str(month.files["zh.pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "电子政务网络运行考核报告" in text and "计算方法" in text

    def figure(pattern: str) -> float:
        found = re.search(pattern, text, re.MULTILINE)
        assert found is not None, f"{pattern!r} not in the PDF text:\n{text[:3000]}"
        return float(found.group(1))

    for group, pct in EXPECTED_GROUPS.items():
        got = figure(rf"^\s*\d+\s+{NAMES[group]}\s+(\d+\.\d+) %")
        assert got == pytest.approx(pct, abs=TOLERANCE), group
    for node, pct in EXPECTED_NODES.items():
        group = next(g for g, members in GROUPS.items() if node in members)
        got = figure(rf"^\s*\d+\s+{NAMES[node]}\s+{NAMES[group]}\s+(\d+\.\d+) %")
        assert got == pytest.approx(pct, abs=TOLERANCE), node


@needs_poppler
def test_pdf_embeds_a_cjk_font_and_renders_pages(month: Month, tmp_path: Path) -> None:
    fonts = subprocess.run(
        ["pdffonts", str(month.files["zh.pdf"])], capture_output=True, text=True, check=True
    )
    cjk = [line for line in fonts.stdout.splitlines() if "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts.stdout  # embedded (and subset)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(month.files["zh.pdf"]), str(tmp_path / "page")], check=True
    )
    pages = sorted(tmp_path.glob("page-*.png"))
    assert pages
    from matplotlib import image

    first = image.imread(str(pages[0]))
    dark = (first[..., :3].mean(axis=2) < 0.5).mean()
    assert dark > 0.005  # text and charts drawn, not a blank page


# --- the command and the API ---------------------------------------------------------------------------------


def test_cli_one_prefecture_and_refusals(month: Month, tmp_path: Path) -> None:
    out = tmp_path / "kashgar.csv"
    state = ["--inventory", str(INVENTORY), "--state-dir", str(month.state)]
    done = run_netops(
        "report",
        "--period",
        "2026-11",
        "--prefecture",
        "kashgar",
        "--format",
        "csv",
        "--output",
        str(out),
        *state,
    )
    assert done.returncode == 0, done.stderr
    rows = csv_rows(out.read_text(encoding="utf-8"))
    assert {k[1] for k in rows if k[0] == "node"} == set(GROUPS["kashgar"])
    assert float(rows["region", "kashgar"]["availability_pct"]) == pytest.approx(
        EXPECTED_GROUPS["kashgar"], abs=TOLERANCE
    )
    bad = run_netops("report", "--period", "2026-13", "--output", str(out), *state)
    assert bad.returncode == 2 and "2026-13" in bad.stderr
    unknown = run_netops(
        "report", "--period", "2026-11", "--prefecture", "kashgr", "--output", str(out), *state
    )
    assert unknown.returncode == 2 and "kashgar" in unknown.stderr  # did you mean


def test_api_reports(month: Month, tmp_path: Path) -> None:
    port = free_port()
    args = ["serve", "--inventory", str(INVENTORY), "--port", str(port), "--state-dir", str(month.state)]
    env = {"NETOPS_POLL_ENABLED": "false", "NETOPS_BACKUP_INTERVAL_S": "0", "NETOPS_MODE": "lab"}
    with service_process(
        [*args, "--log-level", "warning"], tmp_path / "serve.log", port, env=env, cwd=REPO
    ) as svc:
        made = run_netops(
            "token",
            "create",
            "--name",
            "report",
            "--role",
            "viewer",
            "--state-dir",
            str(month.state),
            "--json",
        )
        assert made.returncode == 0, made.stderr
        headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
        url = f"{svc.base_url}/reports"
        got = httpx.get(url, params={"period": "2026-11", "format": "csv"}, headers=headers, timeout=120)
        assert got.status_code == 200, got.text
        assert got.headers["content-type"].startswith("text/csv")
        rows = csv_rows(got.text)
        assert float(rows["node", "hotan-lop"]["availability_pct"]) == pytest.approx(
            EXPECTED_NODES["hotan-lop"], abs=TOLERANCE
        )
        pdf = httpx.get(url, params={"period": "2026-11", "format": "pdf"}, headers=headers, timeout=120)
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert httpx.get(url, params={"period": "2026-11"}, timeout=30).status_code == 401
        assert httpx.get(url, params={"period": "11-2026"}, headers=headers, timeout=30).status_code == 422
        missing = httpx.get(
            url, params={"period": "2026-11", "prefecture": "nowhere"}, headers=headers, timeout=30
        )
        assert missing.status_code == 404
