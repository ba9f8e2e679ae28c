"""The NOC web board in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright), over the
running demo (`netops demo`: the lab region of tests/web/inventory in the background, the service over it).

One service and one browser for the whole module (browser tests are expensive), one test running three flows
in order (pytest-xdist's default scheduler would otherwise start the service on both workers): the
board's cards (planned/staging counties shown as such, links to the conferences, times in the region's zone,
readable colours); a step with inputs approved from the board (its prompt and evidence shown, a viewer's
approval refused on the form, a pattern the browser refuses, then the operator's answer reaching the run); a
prefecture cut off by a lab fault: the board lists its counties, the topology map colours its links, the
conference page shows the room RED and "running since", the device page marks its interface data stale.

Screenshots go to ``$NETOPS_BOARD_SHOTS`` when set, else to a ``board-shots`` folder under pytest's temp
folder; the path is printed (``pytest -s``). docs/board.md says what each shows.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from netops.lab.testing import service_process, wait_until
from tests.conftest import REPO, free_port, run_netops

HERE = Path(__file__).parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]  # fmt: skip
AA = 4.5  # WCAG 2 AA, normal text


@dataclass
class Service:
    base: str
    env: dict[str, str]
    viewer: str
    operator: str
    engineer: str
    shots: Path

    def get(self, path: str, token: str | None = None) -> Any:
        resp = httpx.get(f"{self.base}{path}", headers={"Authorization": f"Bearer {token or self.viewer}"})
        resp.raise_for_status()
        return resp.json()


def _token(env: dict[str, str], name: str, role: str) -> str:
    made = run_netops("token", "create", "--name", name, "--role", role, "--json", env=env)
    assert made.returncode == 0, made.stderr
    return str(json.loads(made.stdout)["token"])


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp("web")
    shots = (
        Path(os.environ["NETOPS_BOARD_SHOTS"])
        if os.environ.get("NETOPS_BOARD_SHOTS")
        else tmp / "board-shots"
    )
    shots.mkdir(parents=True, exist_ok=True)
    env = {
        "NETOPS_SECRETS_FILE": str(tmp / "secrets.yaml"),
        "NETOPS_STATE_DIR": str(tmp / "state"),
        "NETOPS_POLL_FAST_S": "2",
        "NETOPS_POLL_NORMAL_S": "2",
        "NETOPS_POLL_THRESHOLD": "1",
        "NETOPS_PLAYBOOKS": str(HERE / "playbooks"),
    }
    port = free_port()
    args = [
        "demo",
        "--inventory",
        str(HERE / "inventory"),
        "--port",
        str(port),
        "--control-port",
        str(free_port()),
    ]
    try:
        with service_process(
            args, tmp / "demo.log", port, env=env, cwd=REPO, stop_signal=signal.SIGINT
        ) as svc:
            yield Service(svc.base_url, env, _token(env, "wall", "viewer"), _token(env, "on-call", "operator"),
                          _token(env, "duty-engineer", "engineer"), shots)  # fmt: skip
    finally:
        run = tmp / "state" / "lab.json"
        if run.exists():  # never leave a lab holding the test addresses
            with contextlib.suppress(ProcessLookupError):
                os.kill(json.loads(run.read_text())["pid"], signal.SIGKILL)
    print(f"\nboard screenshots: {shots}")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def visit(browser: Browser, url: str, token: str | None, *, width: int = 1400, height: int = 900) -> Page:
    """A fresh tab (its own sessionStorage) on ``url``, the token in the fragment; waits for the data."""
    page = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB",
                               timezone_id="Europe/Berlin").new_page()  # fmt: skip
    page.goto(url + (f"#token={token}" if token else ""))
    if token:
        page.wait_for_selector("body[data-loaded]", timeout=30_000)
    return page


def reload_until(page: Page, what: str, script: str) -> None:
    """Reload ``page`` until ``script`` (a JS expression) is true: the page refreshes on its own too slowly."""

    def holds() -> bool:
        page.reload()
        page.wait_for_selector("body[data-loaded]", timeout=30_000)
        return bool(page.evaluate(script))

    wait_until(what, holds, every=1.0)


def wait_polled(svc: Service, want: dict[str, str]) -> None:
    wait_until(f"status {want}", lambda: all(svc.get("/status")["sites"].get(k) == v for k, v in want.items()),
               every=0.5)  # fmt: skip


# --- WCAG contrast of what the browser renders --------------------------------------------------------

_TEXT_COLOURS = """() => {
  const rgba = s => { const m = /rgba?\\(([^)]+)\\)/.exec(s || ""); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const background = e => { for (let n = e; n; n = n.parentElement) {
      if (n instanceof SVGElement && n.tagName !== "svg") continue;
      const c = rgba(getComputedStyle(n).backgroundColor); if (c && c[3] > 0) return c; } return [255, 255, 255, 1]; };
  const out = [], seen = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const t = walk.currentNode, e = t.parentElement;
    if (!t.textContent.trim() || !e || seen.has(e) || e.closest("[hidden], script, style, title, option")) continue;
    seen.add(e);
    const box = e.getBoundingClientRect(), cs = getComputedStyle(e);
    if (!box.width || !box.height || cs.visibility === "hidden" || cs.display === "none") continue;
    out.push({text: t.textContent.trim().slice(0, 50), tag: e.tagName,
              fg: e instanceof SVGElement ? rgba(cs.fill) : rgba(cs.color), bg: background(e)});
  }
  return out;
}"""


def _luminance(rgb: list[float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: list[float], bg: list[float]) -> float:
    """WCAG 2 contrast ratio; a translucent text colour is blended over its background first."""
    alpha = fg[3]
    mixed = [fg[i] * alpha + bg[i] * (1 - alpha) for i in range(3)]
    hi, lo = sorted((_luminance(mixed), _luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def assert_readable(page: Page) -> int:
    """Every visible text of ``page`` has at least AA contrast against the background it sits on."""
    texts = page.evaluate(_TEXT_COLOURS)
    assert texts, "no text found on the page"
    poor = [
        (round(contrast(t["fg"], t["bg"]), 2), t)
        for t in texts
        if t["fg"] and contrast(t["fg"], t["bg"]) < AA
    ]
    assert not poor, f"text below WCAG AA {AA}:1: {poor[:8]}"
    return len(texts)


def test_known_contrast_values() -> None:  # the checker itself, on WCAG's own reference points
    assert round(contrast([0, 0, 0, 1], [255, 255, 255, 1]), 1) == 21.0
    assert round(contrast([118, 118, 118, 1], [255, 255, 255, 1]), 2) == 4.54  # #767676: the AA grey on white
    assert (
        contrast([0, 0, 238, 1], [16, 20, 24, 1]) < 2.5
    )  # the browser's default link blue on the board: unreadable


# --- the board ------------------------------------------------------------------------------------------


def board_cards_planned_counties_conferences_and_region_time(service: Service, browser: Browser) -> None:
    wait_polled(service, {"kashgar": "up", "hami": "up", "dept-audit": "up"})
    page = visit(browser, f"{service.base}/board", service.viewer)
    page.wait_for_selector('[data-site="kashgar"][data-status="up"]')
    # planned and staging counties are listed as such, not as "unknown" faults
    assert (
        page.get_attribute('[data-site="hotan"] li[data-county="hotan-lop"]', "data-county-status")
        == "planned"
    )
    assert (
        page.get_attribute('[data-site="aksu"] li[data-county="aksu-kuqa"]', "data-county-status")
        == "staging"
    )
    assert page.locator('[data-site="hotan"] ul.bad').count() == 0
    assert "1 planned" in page.inner_text('[data-site="hotan"] .counties')
    assert page.inner_text('[data-site="hotan"] .counties').startswith("区县 counties 2/2 up")
    # a link to each conference (the demo's)
    [demo] = [c for c in service.get("/conferences") if c["id"].startswith("demo-")]
    link = page.locator(f'[data-conference="{demo["id"]}"] a')
    assert link.get_attribute("href") == f"/board/conference/{demo['id']}"
    # times in the region's zone (Asia/Urumqi, +06), not the browser's (Europe/Berlin)
    assert "Asia/Urumqi (GMT+6)" in page.inner_text("#zone")
    start = datetime.fromisoformat(demo["start"]).astimezone(ZoneInfo("Asia/Urumqi"))
    assert start.strftime("%m-%d %H:%M") in page.inner_text(f'[data-conference="{demo["id"]}"]')
    assert assert_readable(page) > 30
    page.screenshot(path=str(service.shots / "board.png"), full_page=True)

    bare = visit(browser, f"{service.base}/board", None)  # no token: the login form, no data
    bare.wait_for_selector("#login:not([hidden])")
    assert bare.locator("[data-site]").count() == 0

    # a zone this browser refuses (the page's meta rewritten on its way in: the loader refuses such a zone,
    # a browser's own tz list can still lag): the cards still render, in Asia/Shanghai, under a warning banner
    odd = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB",
                              timezone_id="Europe/Berlin").new_page()  # fmt: skip

    def bad_zone(route: Any) -> None:
        resp = route.fetch()
        route.fulfill(
            response=resp, body=resp.text().replace('content="Asia/Urumqi"', 'content="posix/Asia/Urumqi"')
        )

    odd.route("**/board", bad_zone)
    odd.goto(f"{service.base}/board#token={service.viewer}")
    odd.wait_for_selector('[data-site="kashgar"][data-status="up"]', timeout=30_000)
    banner = odd.inner_text("#tz-warning")
    assert '"posix/Asia/Urumqi" is not one this browser knows' in banner and "Asia/Shanghai" in banner
    assert "Asia/Shanghai (GMT+8)" in odd.inner_text("#zone")
    assert start.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M") in odd.inner_text(
        f'[data-conference="{demo["id"]}"]'
    )
    odd.screenshot(path=str(service.shots / "board-bad-zone.png"), full_page=True)
    odd.context.close()


def a_step_with_inputs_is_approved_from_the_board(service: Service, browser: Browser) -> None:
    op = {"Authorization": f"Bearer {service.operator}"}
    made = httpx.post(
        f"{service.base}/runbooks/uplink-triage/runs", headers=op, json={"params": {"site": "hami"}}
    )
    assert made.status_code == 202, made.text
    run_id = made.json()["id"]
    wait_until(
        "the run to wait at its approval", lambda: service.get(f"/runs/{run_id}")["state"] == "waiting"
    )

    viewer = visit(browser, f"{service.base}/board/runs", service.viewer, height=1100)
    form = f'form[data-approve-form="{run_id}"]'
    viewer.wait_for_selector(form)
    # the prompt as the engine rendered it, the role it needs and the evidence (the command outputs)
    assert viewer.inner_text(f'[data-run="{run_id}"] .prompt') == (
        "Read the outputs of hami-ce1, then name the cause and the carrier ticket"
    )
    assert "needs role operator" in viewer.inner_text(f'[data-run="{run_id}"]')
    evidence = viewer.inner_text(f'[data-run="{run_id}"] [data-evidence="display cpu-usage"] pre')
    assert "CPU" in evidence and len(evidence.splitlines()) >= 3
    assert viewer.locator(f'{form} select[name="cause"] option').all_inner_texts() == [
        "— choose —", "carrier", "power", "config"]  # fmt: skip
    assert viewer.get_attribute(f'{form} input[name="ticket"]', "pattern") == "CT-[0-9]+"
    assert viewer.get_attribute(f'{form} input[name="minutes"]', "type") == "number"
    # a viewer's approval: the API refuses, the form says why (the problem's title and detail)
    viewer.select_option(f'{form} select[name="cause"]', "carrier")
    viewer.fill(f'{form} input[name="ticket"]', "CT-4711")
    viewer.click(f'{form} button[data-approve="{run_id}"]')
    viewer.wait_for_selector(f'{form} .result[data-outcome="error"]')
    refusal = viewer.inner_text(f"{form} .result")
    assert " 403 " in refusal and "operator" in refusal, refusal
    assert_readable(viewer)
    viewer.screenshot(path=str(service.shots / "runs-refused.png"), full_page=True)

    page = visit(browser, f"{service.base}/board/runs", service.operator, height=1100)
    page.wait_for_selector(form)
    page.select_option(f'{form} select[name="cause"]', "carrier")
    page.fill(f'{form} input[name="ticket"]', "ticket 42")  # the pattern refuses it in the browser
    page.fill(f'{form} input[name="minutes"]', "15")
    page.click(f'{form} button[data-approve="{run_id}"]')
    assert page.evaluate(f"document.querySelector('{form} input[name=ticket]').validity.patternMismatch")
    assert service.get(f"/runs/{run_id}")["state"] == "waiting"  # nothing was sent
    page.fill(f'{form} input[name="ticket"]', "CT-4711")
    page.screenshot(path=str(service.shots / "runs-approval-form.png"), full_page=True)
    page.click(f'{form} button[data-approve="{run_id}"]')
    page.wait_for_selector(f'{form} .result[data-outcome="ok"]')
    wait_until("the run to finish", lambda: service.get(f"/runs/{run_id}")["state"] == "succeeded")
    decided = next(s for s in service.get(f"/runs/{run_id}")["steps"] if s["step"] == "decide")
    assert decided["output"]["inputs"] == {"cause": "carrier", "ticket": "CT-4711", "minutes": 15}
    assert decided["output"]["by"] in ("on-call", "token:on-call")  # actor naming of issue 17, item 5


def a_cut_prefecture_on_the_board_the_map_the_conference_and_the_device(
    service: Service, browser: Browser
) -> None:
    eng = {"Authorization": f"Bearer {service.engineer}"}
    running = (datetime.now(UTC) - timedelta(minutes=5)).isoformat(timespec="seconds")
    # briefing: T-20, so no scheduled round in the next 5 minutes: any round of it is the incident's
    soon = (datetime.now(UTC) + timedelta(minutes=20)).isoformat(timespec="seconds")
    for spec in ({"id": "drill", "title": "应急演练", "start": running, "duration_min": 60, "rooms": "all"},
                 {"id": "briefing", "title": "调度会", "start": soon, "duration_min": 30, "rooms": "all"}):  # fmt: skip
        made = httpx.post(f"{service.base}/conferences", headers=eng, json=spec)
        assert made.status_code == 201, made.text
    # Kashgar cut off (primary and backup), Hami on its backup (primary only)
    for link in ("kashgar-ce1--centre-core1", "kashgar-ce1--centre-core2-backup", "hami-ce1--centre-core1"):
        fault = run_netops("lab", "fault", "add", "link-down", link, env=service.env)
        assert fault.returncode == 0, fault.stderr
    wait_polled(service, {"kashgar": "down", "kashgar-shufu": "unreachable", "hami": "up"})
    wait_until("Hami on its backup", lambda: "hami" in service.get("/status")["on_backup"], every=0.5)

    seen: list[object] = []

    def rechecked() -> bool:  # the incidents re-check the rooms on their paths at once: no precheck asked for
        board = service.get("/conferences/briefing/readiness")
        rooms = {r["room"]: r["colour"] for p in board["prefectures"] for r in p["rooms"]}
        seen[:] = [board]  # shown if the wait fails
        # both Kashgar rooms: a round started by the first link fault (Kashgar still on its backup) can leave
        # kashgar-shufu-vc AMBER until the round of the grown incident re-checks it (seen under load); that
        # round comes right after the one in flight (one event round at a time per conference, never skipped)
        return bool(
            rooms["kashgar-vc"] == "RED"
            and rooms["kashgar-shufu-vc"] == "RED"
            and rooms["hami-vc"] != "NOT-CHECKED"
        )

    try:
        wait_until("the event rounds of the briefing", rechecked, every=0.5)
    except Exception as exc:
        raise AssertionError(
            f"{exc}; last readiness: {seen}; incidents: {service.get('/incidents')}"
        ) from exc
    first = service.get("/conferences/briefing/readiness")
    assert first["last_round"]["kind"] == "event"
    checked = {
        r["room"]: r["colour"]
        for p in first["prefectures"]
        for r in p["rooms"]
        if r["colour"] != "NOT-CHECKED"
    }
    # only the rooms behind the cut and the room whose primary link is down, nothing else of the region
    assert set(checked) == {"kashgar-vc", "kashgar-shufu-vc", "hami-vc"}, checked
    assert checked["kashgar-shufu-vc"] == "RED" and checked["hami-vc"] != "RED"

    board = visit(browser, f"{service.base}/board", service.viewer)
    reload_until(board, "the cut prefecture on the board",
                 "document.querySelector('[data-site=kashgar]').dataset.status === 'down'")  # fmt: skip
    counties = board.locator('[data-site="kashgar"] ul.bad li')
    assert counties.count() == 3  # one line each, not one run-on line
    assert [c.get_attribute("data-county-status") for c in counties.all()] == ["unreachable"] * 3
    assert board.locator("[data-incident]").count() >= 1
    assert_readable(board)
    board.screenshot(path=str(service.shots / "board-fault.png"), full_page=True)

    topo = visit(browser, f"{service.base}/board/topology", service.viewer, width=1500, height=1000)
    primary = "document.querySelector('[data-link=\"kashgar-ce1--centre-core1\"]').dataset.state"
    reload_until(topo, "the cut links on the map", f"{primary} === 'down'")
    state = topo.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('[data-link]')]"
        ".map(e => [e.dataset.link, e.dataset.state]))"
    )
    assert state["kashgar-ce1--centre-core2-backup"] == "down"
    assert state["hami-ce1--centre-core1"] == "down" and state["hami-ce1--centre-core2-backup"] == "carrying"
    assert state["altay-ce1--centre-core1"] == "up" and state["altay-ce1--centre-core2-backup"] == "standby"
    assert topo.get_attribute('[data-node="kashgar"]', "data-status") == "down"
    assert topo.get_attribute('[data-node="hotan-lop"]', "data-lifecycle") == "planned"
    assert topo.get_attribute('[data-room="kashgar-shufu-vc"]', "data-path") == "down"
    assert topo.get_attribute('[data-room="hami-vc"]', "data-path") == "backup"
    assert topo.get_attribute('[data-room="altay-vc"]', "data-path") == "up"
    assert topo.locator("[data-mcu='centre-mcu']").count() == 1
    topo.click('li[data-room-item="hami-vc"]')  # draw the room's path to the MCU: over the backup now
    assert [e.get_attribute("data-link") for e in topo.locator("path.link.path").all()] == [
        "hami-ce1--centre-core2-backup"]  # fmt: skip
    assert_readable(topo)
    topo.screenshot(path=str(service.shots / "topology-fault.png"))

    precheck = httpx.post(f"{service.base}/conferences/drill/precheck", headers=eng, timeout=90)
    assert precheck.status_code == 200, precheck.text
    conf = visit(browser, f"{service.base}/board/conference/drill", service.viewer, height=1100)
    conf.wait_for_selector('[data-room="kashgar-vc"]')
    summary = conf.inner_text("#summary")
    assert summary.startswith("running since ") and "starts in" not in summary and "undefined" not in summary
    assert "not checked 0" in summary
    assert conf.get_attribute('[data-room="kashgar-vc"]', "data-colour") == "RED"
    assert conf.get_attribute('[data-room="hami-vc"]', "data-colour") in ("GREEN", "AMBER")
    assert "undefined" not in conf.inner_text("main") and " 0 s ago" not in conf.inner_text("main")
    assert_readable(conf)
    conf.screenshot(path=str(service.shots / "conference-fault.png"), full_page=True)

    dev = visit(browser, f"{service.base}/board/device/kashgar-ce1", service.viewer)
    dev.wait_for_selector("#freshness[data-stale='1']")
    assert dev.inner_text("#freshness").startswith("STALE: last known values from ")
    assert (
        dev.locator("tr[data-interface][data-stale='1']").count()
        == dev.locator("tr[data-interface]").count()
        > 0
    )
    assert_readable(dev)
    dev.screenshot(path=str(service.shots / "device-stale.png"), full_page=True)
    for shot in service.shots.glob("*.png"):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000, shot


def test_the_board_in_a_browser(service: Service, browser: Browser) -> None:
    """The three flows in one test, in this order, so that pytest-xdist never starts the demo twice (its
    default scheduler hands the tests of one module to both workers)."""
    board_cards_planned_counties_conferences_and_region_time(service, browser)
    a_step_with_inputs_is_approved_from_the_board(service, browser)
    a_cut_prefecture_on_the_board_the_map_the_conference_and_the_device(service, browser)
