"""The live pages in a real browser: Chromium driven by Playwright, against `reconciler run`
as a subprocess with real reference Cores and a real bare origin (and `reconciler demo`)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import Watched, launched
from tests.support.cores import free_port, wait_until
from tests.support.daemon import DaemonProcess
from tests.support.demo import Demo
from tests.support.fixtures import CoreFactory, DaemonFactory
from tests.support.fleet import Fleet

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
WAIT = 30_000
PAGES = [
    "/",
    "/pipelines/web",
    "/pipelines/alerts",
    "/cores",
    "/cores/edge-1",
    "/requests",
    "/plan",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with launched() as started:
        yield started


@pytest.fixture
def tab(browser: Browser) -> Iterator[list[Watched]]:
    opened: list[Watched] = []
    yield opened
    for watched in opened:
        watched.close()


def world(
    tmp_path: Path, cores: CoreFactory, daemons: DaemonFactory, *args: str
) -> tuple[Fleet, DaemonProcess]:
    fleet = Fleet.create(tmp_path, cores, ["edge-1", "edge-2"])
    daemon = daemons(str(fleet.origin), fleet.state, "--readback-interval", "1s", *args)
    daemon.start()
    daemon.wait_ready()
    return fleet, daemon


def deployed(fleet: Fleet) -> None:
    fleet.deploy_all("first rollout")
    wait_until(lambda: fleet.row("web")["status"] == "Ready to start", 30, what="the deploy")


def opened(browser: Browser, tabs: list[Watched], daemon: DaemonProcess, path: str) -> Page:
    assert daemon.url is not None
    watched = Watched.open(browser, daemon.url)
    tabs.append(watched)
    page = watched.goto(path)
    expect(page.locator("#link-state")).to_have_text("live", timeout=WAIT)
    return page


def status_of(page: Page, pipeline: str) -> Any:
    return page.locator(f'tr[data-pipeline="{pipeline}"] .col-status')


def table_rows(page: Page) -> list[dict[str, Any]]:
    found = []
    for row in page.locator("tbody tr[data-pipeline]").all():
        found.append(
            {
                "pipeline": row.get_attribute("data-pipeline"),
                "status": row.locator(".col-status").inner_text(),
                "tags": row.locator(".col-tags code").all_inner_texts(),
                "cores": row.locator(".col-cores a").all_inner_texts(),
                "revision": row.locator(".col-revision").inner_text(),
            }
        )
    return found


def report_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for row in report["pipelines"]:
        revisions = {c["deployed_revision"][:12] for c in row["cores"] if c["deployed_revision"]}
        found.append(
            {
                "pipeline": row["pipeline"],
                "status": row["status"],
                "tags": row["tags"],
                "cores": [c["core"] for c in row["cores"]],
                "revision": revisions.pop() if len(revisions) == 1 else "—",
            }
        )
    return found


# --- one deployed world for the tests that only read -----------------------------------------


@pytest.fixture(scope="module")
def calm(
    tmp_path_factory: pytest.TempPathFactory, module_core_factory: CoreFactory
) -> Iterator[tuple[Fleet, DaemonProcess]]:
    root = tmp_path_factory.mktemp("calm")
    fleet = Fleet.create(root, module_core_factory, ["edge-1", "edge-2"])
    daemon = DaemonProcess.create(
        root / "daemon", str(fleet.origin), fleet.state, ["--readback-interval", "1s"]
    )
    daemon.start()
    try:
        daemon.wait_ready()
        deployed(fleet)
        yield fleet, daemon
    finally:
        daemon.stop()


def test_the_rows_equal_pipelines_json_row_for_row(
    browser: Browser, tab: list[Watched], calm: tuple[Fleet, DaemonProcess]
) -> None:
    """Sorted by name, the page's rows are the report's: status, tags, Cores, revision."""
    fleet, daemon = calm
    page = opened(browser, tab, daemon, "/?sort=pipeline")
    assert table_rows(page) == report_rows(fleet.report())


def test_filters_live_in_the_url(
    browser: Browser, tab: list[Watched], calm: tuple[Fleet, DaemonProcess]
) -> None:
    """A filter in the URL narrows the rows; a summary link and the form make such URLs."""
    _fleet, daemon = calm
    page = opened(browser, tab, daemon, "/?status=no-assigned-cores")
    assert [row["pipeline"] for row in table_rows(page)] == ["alerts"]
    expect(page.locator('input[name="status"][value="no-assigned-cores"]')).to_be_checked()
    page.locator("#summary a.count", has_text="Ready to start").click()
    expect(page).to_have_url(re.compile(r"/\?status=ready-to-start$"))
    assert [row["pipeline"] for row in table_rows(page)] == ["web"]
    page.locator('input[name="core"][value="edge-2"]').check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"\?status=ready-to-start&core=edge-2&q=$"))
    expect(page.locator(".callout")).to_contain_text("No pipeline matches these filters")


@pytest.mark.parametrize("path", PAGES)
def test_the_keyboard_reaches_every_link(
    browser: Browser, tab: list[Watched], calm: tuple[Fleet, DaemonProcess], path: str
) -> None:
    """Tab alone reaches every link on the page, in order, from the top."""
    _fleet, daemon = calm
    page = opened(browser, tab, daemon, path)
    links = page.locator("a[href]").evaluate_all("all => all.map(a => a.getAttribute('href'))")
    focused = []
    for _ in range(len(links) + 40):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.getAttribute('href')"))
    assert set(links) <= set(focused)


def test_no_console_error_and_no_request_beyond_the_daemon(
    browser: Browser, tab: list[Watched], calm: tuple[Fleet, DaemonProcess]
) -> None:
    """Every page loads with no console error, and nothing asks any host but the daemon."""
    _fleet, daemon = calm
    page = opened(browser, tab, daemon, "/")
    for path in [*PAGES, "/requests/first-rollout", "/pipelines/nope"]:
        assert daemon.url is not None
        page.goto(daemon.url + path)
        expect(page.locator("#link-state")).to_have_text("live", timeout=WAIT)
    watched = tab[-1]
    errors = [e for e in watched.errors if "/pipelines/nope" not in e and "404" not in e]
    assert errors == []
    assert watched.foreign() == []
    assert len(watched.requested) >= 3 * len(PAGES)


def test_without_javascript_the_pages_are_plain_pages(
    browser: Browser, tab: list[Watched], calm: tuple[Fleet, DaemonProcess]
) -> None:
    """No script: the table, the links and the filter form all work as plain pages."""
    _fleet, daemon = calm
    assert daemon.url is not None
    watched = Watched.open(browser, daemon.url, javascript=False)
    tab.append(watched)
    page = watched.goto("/")
    expect(page.locator("#link-state")).to_have_text("static page: reload for newer data")
    page.locator('input[name="status"][value="no-assigned-cores"]').check()
    page.get_by_role("button", name="Apply filters").click()
    assert [row["pipeline"] for row in table_rows(page)] == ["alerts"]
    page.get_by_role("link", name="alerts", exact=True).click()
    expect(page.locator("h1")).to_contain_text("alerts")


# --- worlds of their own, for the tests that change something ----------------------------------


def test_a_pushed_deploy_all_turns_the_rows_ready_without_a_reload(
    browser: Browser,
    tab: list[Watched],
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
) -> None:
    """The open page goes from Pending deployment to Ready to start by itself."""
    fleet, daemon = world(tmp_path, core_factory, daemon_factory)
    page = opened(browser, tab, daemon, "/")
    expect(status_of(page, "web")).to_have_text("Pending deployment")
    page.evaluate("window.stayed = 'the same document'")
    fleet.deploy_all("first rollout")
    expect(status_of(page, "web")).to_have_text("Ready to start", timeout=WAIT)
    assert page.evaluate("window.stayed") == "the same document"


def test_a_component_deleted_on_a_core_shows_drift_on_the_pipeline_page(
    browser: Browser,
    tab: list[Watched],
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
) -> None:
    """Deleting a connector by hand turns the open page to Drift detected, naming it missing."""
    fleet, daemon = world(tmp_path, core_factory, daemon_factory)
    deployed(fleet)
    page = opened(browser, tab, daemon, "/pipelines/web")
    expect(page.locator("h1 .status")).to_have_text("Ready to start")
    with fleet.cores["edge-1"].client() as client:
        client.delete("connectors/web-out").raise_for_status()
    expect(page.locator("h1 .status")).to_have_text("Drift detected", timeout=WAIT)
    missing = page.locator('.drift[data-core="edge-1"] [data-component="connector/web-out"] h4')
    expect(missing).to_have_text("connector/web-out: missing on the Core")
    expect(page.locator('tr[data-core="edge-1"] .deployment')).to_have_text("drift")


HOSTILE = '<script>window.pwned = "git"</script>'
FROM_CORE = '<img src="x" onerror="window.pwned = \'core\'">'


def test_a_hostile_value_in_a_connectors_config_is_shown_as_text(
    browser: Browser,
    tab: list[Watched],
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
) -> None:
    """Markup in a connector's config, from Git and from a Core, reads as text and never runs."""
    fleet = Fleet.create(tmp_path, core_factory, ["edge-1"])
    connectors = fleet.work / "registry" / "connectors" / "connectors.yaml"
    connectors.write_text(
        connectors.read_text().replace(
            "  path: out/web-errors.jsonl\n",
            f"  path: out/web-errors.jsonl\n  label: '{HOSTILE}'\n",
        )
    )
    fleet.push("a label nobody vetted")
    daemon = daemon_factory(str(fleet.origin), fleet.state, "--readback-interval", "1s")
    daemon.start()
    daemon.wait_ready()
    page = opened(browser, tab, daemon, "/plan")
    page.locator('tr:has(code:text-is("connector/web-out")) summary').click()
    written = page.locator('tr:has(code:text-is("connector/web-out")) details pre')
    expect(written).to_contain_text('"label": "<script>window.pwned = \\"git\\"</script>"')
    deployed(fleet)
    with fleet.cores["edge-1"].client() as client:
        body = client.get("connectors/web-out").json()
        config = {**body["config"], "label": FROM_CORE}
        spec = {k: body[k] for k in ("name", "type", "class", "stream")}
        client.put("connectors/web-out", json={**spec, "config": config}).raise_for_status()
    page.goto(f"{daemon.url}/pipelines/web")
    observed = page.locator('[data-component="connector/web-out"] td.observed')
    expect(observed).to_have_text(json.dumps(FROM_CORE), timeout=WAIT)
    expect(page.locator('[data-component="connector/web-out"] td.deployed')).to_have_text(
        json.dumps(HOSTILE)
    )
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("script").count() == 1
    assert page.locator("main img").count() == 0


def test_the_page_reconnects_after_a_daemon_restart(
    browser: Browser,
    tab: list[Watched],
    tmp_path: Path,
    core_factory: CoreFactory,
    daemon_factory: DaemonFactory,
) -> None:
    """The daemon stops and starts again on its port: the open page says so, then shows news."""
    listen = f"127.0.0.1:{free_port()}"
    fleet, daemon = world(tmp_path, core_factory, daemon_factory, "--listen", listen)
    page = opened(browser, tab, daemon, "/")
    expect(status_of(page, "alerts")).to_have_text("No assigned Cores")
    assert daemon.stop() == 0
    expect(page.locator("#link-state")).to_have_text("reconnecting…", timeout=WAIT)
    fleet.assign("alerts", ["edge-2"])
    fleet.push("assign alerts while the daemon is down")
    daemon.start()
    expect(status_of(page, "alerts")).to_have_text("Pending deployment", timeout=WAIT)
    expect(page.locator("#link-state")).to_have_text("live")


# --- the demo, and the screenshots of the README ---------------------------------------------


def shot(page: Page, name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A screenshot for the README: into docs/ with --update-goldens, else beside the test."""
    folder = SCREENSHOTS if request.config.getoption("--update-goldens") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_demo_page_follows_the_printed_steps_and_makes_the_screenshots(
    browser: Browser, tab: list[Watched], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The demo prints the page first; it shows six pipelines and follows every step live."""
    demo = Demo(tmp_path)
    try:
        steps = demo.steps()
        first = demo.printed().strip().splitlines()[0]
        url = re.fullmatch(r"Open (http://127\.0\.0\.1:\d+)/ in a browser: .*", first)
        assert url is not None, first
        watched = Watched.open(browser, url.group(1))
        tab.append(watched)
        page = watched.goto("/")
        expect(page.locator("tbody tr[data-pipeline]")).to_have_count(6, timeout=WAIT)
        exports = tuple(line for line in steps[0] if line.startswith("export "))
        for command in steps[2][:-1]:
            demo.sh(command, exports)
        cores = page.locator('tr[data-pipeline="web-errors"] .col-cores')
        expect(cores).to_contain_text("central-1", timeout=WAIT)
        for command in steps[3][:-1]:
            demo.sh(command, exports)
        expect(status_of(page, "fw-drops")).to_have_text("Ready to start", timeout=WAIT)
        demo.sh(steps[4][0], exports)
        expect(status_of(page, "web-errors")).to_have_text("Running", timeout=WAIT)
        demo.sh(steps[6][0], exports)
        expect(status_of(page, "fw-drops")).to_have_text("Drift detected", timeout=WAIT)
        front = shot(page, "pipelines.png", request, tmp_path)
        page.goto(url.group(1) + "/pipelines/fw-drops")
        expect(page.locator('[data-component="connector/fw-drops-out"]')).to_be_visible()
        pipeline = shot(page, "pipeline.png", request, tmp_path)
    finally:
        # SIGINT, as a person stops it: the demo stops its Cores too (SIGKILL would orphan them)
        demo.process.send_signal(signal.SIGINT)
        try:
            demo.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.process.kill()
            demo.process.wait()
    assert watched.errors == []
    assert watched.foreign() == []
    for screenshot in (front, pipeline):
        assert screenshot.read_bytes().startswith(b"\x89PNG")
        assert screenshot.stat().st_size > 20_000


def test_the_readme_shows_the_screenshots() -> None:
    """The quick start shows both screenshots, and both are committed."""
    readme = (ROOT / "README.md").read_text()
    quick_start = readme[readme.index("## Quick start") : readme.index("## The repository format")]
    for name in ("pipelines.png", "pipeline.png"):
        assert f"(docs/screenshots/{name})" in quick_start
        assert (SCREENSHOTS / name).read_bytes().startswith(b"\x89PNG")
