"""A real browser for end-to-end tests: Debian's Chromium, headless, driven by Playwright.

    with launched() as browser:
        watched = Watched.open(browser, daemon.url)     # a tab that records what it did
        watched.page.goto(daemon.url + "/")
        watched.problems()                              # console errors, foreign requests

No browser is downloaded: Playwright starts `/usr/bin/chromium` (`.ci/packages` installs it)
with the flags that keep it off the network (no background networking, component updates,
sync or first-run work). Waiting goes through Playwright's `expect`, which polls with a deadline.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


@contextmanager
def launched() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """One tab, with every console error, page error and request it made."""

    page: Page
    origin: str
    errors: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, origin: str, javascript: bool = True) -> Watched:
        context = browser.new_context(viewport=VIEWPORT, java_script_enabled=javascript)
        watched = cls(context.new_page(), origin)
        watched.page.on("console", watched._console)
        watched.page.on("pageerror", lambda error: watched.errors.append(f"page: {error}"))
        watched.page.on("request", watched._request)
        return watched

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def _request(self, request: Request) -> None:
        self.requested.append(request.url)

    def goto(self, path: str) -> Page:
        self.page.goto(self.origin + path)
        return self.page

    def foreign(self) -> list[str]:
        """Requests to anything but the daemon."""
        return [url for url in self.requested if not url.startswith(self.origin + "/")]

    def close(self) -> None:
        self.page.context.close()
