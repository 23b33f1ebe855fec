"""The live pages as an app (reconciler.shell.daemon.pages) behind the daemon's guard, in process.

The feed is the real pass listener, told a real `Rows` event; requests go through
`httpx.ASGITransport`. Streams and the whole daemon are tested end to end
(`tests/e2e/test_pages_*`).
"""

from __future__ import annotations

import asyncio
import base64
import re

import httpx
import pytest
from starlette.applications import Starlette
from starlette.types import ASGIApp

from reconciler.shell.clock import utc_now
from reconciler.shell.daemon.access import POLICY, Guard
from reconciler.shell.daemon.pages.feed import PageFeed
from reconciler.shell.daemon.pages.routes import page_routes
from reconciler.shell.httpauth import HttpAuth
from reconciler.shell.listeners import Rows
from tests.support.pageinputs import HOSTILE, sample

PAGES = [
    "/",
    "/?status=drift-detected",
    "/pipelines/main",
    "/pipelines/detect",
    "/cores",
    "/cores/edge-1",
    "/cores/edge-2",
    "/requests",
    "/requests/first-rollout",
    "/requests/run-4920917068d4504e",
    "/plan",
]
SHOWING = ["/pipelines/main", "/cores", "/cores/edge-2", "/requests/first-rollout"]


class Client:
    """Requests to an ASGI app, each on its own event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str, headers: dict[str, str] | None) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1:9400"
            ) as http:
                return await http.request(method, path, headers=headers)

        return asyncio.run(send())

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return self.request("GET", path, headers)

    def post(self, path: str) -> httpx.Response:
        return self.request("POST", path, None)


def client(
    text: str = "the core said no", auth: HttpAuth | None = None, published: bool = True
) -> Client:
    feed = PageFeed(lambda: None)
    if published:
        feed.heard(Rows(sample(text)))
    return Client(Guard(Starlette(routes=page_routes(feed, utc_now)), auth, on_loopback=True))


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders(path: str) -> None:
    """Each page answers 200 with HTML and the strict policy."""
    answer = client().get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["content-security-policy"] == POLICY
    assert answer.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_a_hostile_value_is_text_on_every_page(path: str) -> None:
    """Markup from a Core or a run is escaped: the page's only script is its own file."""
    body = client(HOSTILE).get(path).text
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/pages.js" defer>']
    assert "<img" not in body
    if path in SHOWING:
        assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in body


def test_the_table_shows_only_rows_the_url_asks_for() -> None:
    """A filter in the URL narrows the rows and is checked in the form."""
    body = client().get("/?status=ready-to-start").text
    assert re.findall(r'<tr data-pipeline="([^"]+)"', body) == ["detect"]
    assert '<input type="checkbox" name="status" value="ready-to-start" checked>' in body


def test_the_pipeline_page_shows_the_field_diff() -> None:
    """The drifted task's field shows its deployed and its observed value."""
    body = client().get("/pipelines/main").text
    assert "<code>task/filter</code>" in body
    assert '<td class="deployed"><code>&#34;level = \\&#34;error\\&#34;&#34;</code></td>' in body


@pytest.mark.parametrize(
    "path", ["/pipelines/nope", "/cores/nope", "/requests/nope", "/requests/Start%20Now.yaml"]
)
def test_an_unknown_name_is_a_404_page(path: str) -> None:
    """A name the report does not know answers 404, still as a page that fills in later."""
    answer = client().get(path)
    assert answer.status_code == 404
    assert 'id="live"' in answer.text


def test_before_the_first_pass_pages_answer_503() -> None:
    """Until a pass publishes, a page says it is waiting for one."""
    answer = client(published=False).get("/plan")
    assert answer.status_code == 503
    assert "Waiting for the first pass" in answer.text


def test_the_pages_never_act() -> None:
    """Only GET and HEAD are routed: a POST to a page is refused."""
    pages = client()
    assert [pages.post(path).status_code for path in ("/", "/pipelines/main", "/plan")] == [405] * 3


@pytest.mark.parametrize(
    ("name", "kind"),
    [("pages.css", "text/css"), ("pages.js", "text/javascript"), ("favicon.svg", "image/svg+xml")],
)
def test_static_files_are_served_from_the_package(name: str, kind: str) -> None:
    """The style sheet, the script and the icon ship with the package."""
    answer = client().get(f"/static/{name}")
    assert (answer.status_code, answer.headers["content-type"].split(";")[0]) == (200, kind)
    assert len(answer.content) > 100


def test_an_unknown_static_file_is_not_found() -> None:
    """Only the shipped files are served: no path reaches the disk."""
    assert client().get("/static/..%2F..%2Froutes.py").status_code == 404


def test_a_foreign_host_is_refused_on_loopback() -> None:
    """On a loopback listener a page answers no `Host` but a loopback one (DNS rebinding)."""
    pages = client()
    assert pages.get("/", headers={"Host": "evil.example:9400"}).status_code == 421
    assert pages.get("/", headers={"Host": "localhost:9400"}).status_code == 200
    assert pages.get("/", headers={"Host": "[::1]:9400"}).status_code == 200


AUTH = HttpAuth(bearer=("t" * 32,), basic=(("oncall", "correct horse"),))


def test_without_credentials_a_page_asks_for_them() -> None:
    """With an auth file, a request without credentials gets 401 and a basic challenge."""
    answer = client(auth=AUTH).get("/")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Basic realm="reconciler", charset="UTF-8"'


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("Bearer " + "t" * 32, 200),
        ("Basic " + base64.b64encode(b"oncall:correct horse").decode(), 200),
        ("Bearer " + "t" * 31, 401),
        ("Basic " + base64.b64encode(b"oncall:wrong").decode(), 401),
        ("Basic !!!", 401),
        ("Digest x", 401),
    ],
    ids=["bearer", "basic", "short-token", "bad-password", "garbage", "other-scheme"],
)
def test_only_the_files_credentials_open_a_page(header: str, status: int) -> None:
    """A bearer token or a user and password of the file opens a page; nothing else does."""
    assert client(auth=AUTH).get("/", headers={"Authorization": header}).status_code == status
