"""The pages' routes: each one a view model from `reconciler.decide.pages`, laid out by Jinja2.

    GET /                    the table (filters and sorting in the query: `decide.pages.table`)
    GET /pipelines/NAME      one pipeline: cells, drift field by field, Core Action hints
    GET /cores, /cores/NAME  the Cores as last read back
    GET /requests, /requests/ID   Deploy All and Core Action history, per-Core steps
    GET /plan                what a Deploy All at the head would do, with its digest
    GET /events              the live stream (`stream`)
    GET /static/FILE         the one style sheet, the one script, the icon (shipped here)

Templates and static files ship inside this package. Jinja2 escapes every value (autoescape is
on for every template, and an undefined name is an error, never an empty string), so a value
from Git or a Core holding `<script>` shows as text. Before the first pass every page answers
503 with a page that fills in by itself; an unknown name answers 404 the same way (it may
appear with the next pass). Only GET and HEAD are routed: the pages never act.
I/O module (HTTP).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from reconciler.decide.pages.common import Freshness, freshness
from reconciler.decide.pages.cores import core_lines, core_page
from reconciler.decide.pages.pipeline import pipeline_page
from reconciler.decide.pages.plan import plan_page
from reconciler.decide.pages.requests import request_lines, request_page
from reconciler.decide.pages.table import filters_from, table
from reconciler.decide.report import RECORDS_KEPT
from reconciler.decide.rows import STALE_AFTER_INTERVALS
from reconciler.shell.daemon.pages.feed import PageFeed, Snapshot
from reconciler.shell.daemon.pages.stream import EventStream

SECTIONS = (
    ("pipelines", "Pipelines", "/"),
    ("cores", "Cores", "/cores"),
    ("requests", "Requests", "/requests"),
    ("plan", "Plan", "/plan"),
)
STATIC = {
    "pages.css": "text/css; charset=utf-8",
    "pages.js": "text/javascript; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}
_templates = Environment(
    loader=PackageLoader("reconciler.shell.daemon.pages", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=False,
)


def static_files() -> dict[str, bytes]:
    """The shipped static files, read once."""
    folder = resources.files("reconciler.shell.daemon.pages") / "static"
    return {name: (folder / name).read_bytes() for name in STATIC}


class Pages:
    """Renders the pages of the feed's latest snapshot."""

    def __init__(self, feed: PageFeed, clock: Callable[[], datetime]) -> None:
        self.feed = feed
        self.clock = clock
        self.static = static_files()

    def render(
        self, template: str, section: str, title: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        snapshot = self.feed.latest
        body = _templates.get_template(template).render(
            title=title,
            section=section,
            sections=SECTIONS,
            snapshot=snapshot.id if snapshot else "",
            fresh=self.freshness(snapshot),
            stale_after=self.stale_after(snapshot),
            **context,
        )
        return HTMLResponse(body, status, headers={"Cache-Control": "no-store"})

    def freshness(self, snapshot: Snapshot | None) -> Freshness | None:
        if snapshot is None:
            return None
        report = snapshot.report
        return freshness(report.now, self.clock(), report.interval, report.revision)

    def stale_after(self, snapshot: Snapshot | None) -> int:
        if snapshot is None:
            return 0
        return int(STALE_AFTER_INTERVALS * snapshot.report.interval.total_seconds())

    def waiting(self, section: str) -> HTMLResponse:
        return self.render(
            "waiting.html",
            section,
            "Waiting for the first pass",
            503,
            heading="Waiting for the first pass",
            message="The daemon has not finished its first pass yet; this page fills in by "
            "itself when it has (or reload it).",
        )

    def missing(self, section: str, what: str) -> HTMLResponse:
        return self.render(
            "waiting.html",
            section,
            f"No {what}",
            404,
            heading=f"No {what}",
            message=f"The last report has no {what}. If it is new, this page fills in by "
            "itself once a pass has seen it.",
        )

    async def index(self, request: Request) -> Response:
        snapshot = self.feed.latest
        if snapshot is None:
            return self.waiting("pipelines")
        report = snapshot.report
        view = table(report.rows, report.cores, filters_from(request.query_params.multi_items()))
        return self.render("table.html", "pipelines", "Management → Pipelines", table=view)

    async def pipeline(self, request: Request) -> Response:
        snapshot = self.feed.latest
        if snapshot is None:
            return self.waiting("pipelines")
        name = request.path_params["name"]
        row = next((r for r in snapshot.report.rows if r.pipeline == name), None)
        if row is None:
            return self.missing("pipelines", f"pipeline {name}")
        page = pipeline_page(row, self.clock())
        return self.render("pipeline.html", "pipelines", name, page=page)

    async def cores(self, _request: Request) -> Response:
        snapshot = self.feed.latest
        if snapshot is None:
            return self.waiting("cores")
        return self.render("cores.html", "cores", "Cores", cores=core_lines(snapshot.report))

    async def core(self, request: Request) -> Response:
        snapshot = self.feed.latest
        if snapshot is None:
            return self.waiting("cores")
        name = request.path_params["name"]
        page = core_page(snapshot.report, name)
        if page is None:
            return self.missing("cores", f"Core {name}")
        return self.render("core.html", "cores", name, page=page)

    async def requests(self, _request: Request) -> Response:
        snapshot = self.feed.latest
        if snapshot is None:
            return self.waiting("requests")
        runs = request_lines(snapshot.report.runs)
        return self.render("requests.html", "requests", "Requests", runs=runs, kept=RECORDS_KEPT)

    async def request(self, request: Request) -> Response:
        snapshot = self.feed.latest
        if snapshot is None:
            return self.waiting("requests")
        record = request.path_params["record"]
        page = request_page(snapshot.report.runs, record)
        if page is None:
            return self.missing("requests", f"request {record}")
        return self.render("request.html", "requests", page.line.id, page=page)

    async def plan(self, _request: Request) -> Response:
        snapshot = self.feed.latest
        if snapshot is None:
            return self.waiting("plan")
        page = plan_page(snapshot.report, snapshot.state, snapshot.head, snapshot.refusal)
        return self.render("plan.html", "plan", "Plan for the head", page=page)

    async def asset(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return Response("not found\n", 404, media_type="text/plain")
        headers = {"Cache-Control": "no-cache"}
        return Response(self.static[name], media_type=STATIC[name], headers=headers)

    async def icon(self, _request: Request) -> Response:
        return Response(self.static["favicon.svg"], media_type=STATIC["favicon.svg"])


def page_routes(feed: PageFeed, clock: Callable[[], datetime]) -> list[BaseRoute]:
    """The routes of the pages, to add to the daemon's app."""
    pages = Pages(feed, clock)
    return [
        Route("/", pages.index, methods=["GET"]),
        Route("/pipelines/{name}", pages.pipeline, methods=["GET"]),
        Route("/cores", pages.cores, methods=["GET"]),
        Route("/cores/{name}", pages.core, methods=["GET"]),
        Route("/requests", pages.requests, methods=["GET"]),
        Route("/requests/{record}", pages.request, methods=["GET"]),
        Route("/plan", pages.plan, methods=["GET"]),
        Route("/events", EventStream(feed, clock), methods=["GET"]),
        Route("/static/{name}", pages.asset, methods=["GET"]),
        Route("/favicon.ico", pages.icon, methods=["GET"]),
    ]
