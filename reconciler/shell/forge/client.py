"""`ForgeClient`: the `Forge` protocol over httpx, for any host described by a `HostApi`.

One request at a time per call, with a timeout; what the host answers becomes a value or a
`ForgeError` (see `api`). Rate limits: a 429, or a 403 whose rate-limit header says nothing is
left, is transient and carries how long to wait (`Retry-After` in seconds, else the reset time
of the window); a success that leaves nothing in the window makes the next request wait for its
reset (`pause_until`). Retrying is the outbox's business, not this module's.

The token is only ever put in the host's auth header; no message, log or exception carries it.
Every answer is told to `answered(outcome)`: `ok`, `transient`, `rate-limited`, `refused`.
I/O module (HTTP).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from reconciler.decide.forge import Status
from reconciler.shell.forge.api import Comment, ForgeError, PullRequest
from reconciler.shell.forge.hostapi import Endpoint, HostApi

TIMEOUT = 10.0
MAX_PAGES = 10
MAX_WAIT = 900.0
"""The longest a rate limit is waited for at once (a reset far away is waited for in steps)."""


class ForgeClient:
    """Talks to one repository on one host; see the module docstring."""

    def __init__(
        self,
        api: HostApi,
        base_url: str,
        repo: str,
        token: str,
        answered: Callable[[str], None] = lambda _outcome: None,
    ) -> None:
        self.api = api
        self.base_url = base_url.rstrip("/")
        self.repo = repo
        self.answered = answered
        self.pause_until = 0.0
        self._token = token
        self._files_of: dict[tuple[int, str], tuple[str, ...]] = {}
        """Changed files per (pull request, head): a head's files never change."""
        headers = {**api.headers, api.auth_header: api.auth_value.format(token=token)}
        self._http = httpx.AsyncClient(headers=headers, timeout=TIMEOUT, follow_redirects=False)

    async def close(self) -> None:
        await self._http.aclose()

    async def set_status(self, status: Status) -> None:
        body: dict[str, Any] = {
            "state": self.api.states[status.state],
            self.api.status_context: status.context,
            "description": status.description,
        }
        if status.target_url:
            body["target_url"] = status.target_url
        await self._call(self.api.status, {"sha": status.sha}, body)

    async def open_pulls(self) -> list[PullRequest]:
        found = []
        for item in await self._pages(self.api.pulls, {}):
            number, sha = item.get(self.api.pull_number), _dig(item, self.api.pull_sha)
            if isinstance(number, int) and isinstance(sha, str):
                if (number, sha) not in self._files_of:
                    self._files_of[number, sha] = await self._files(number)
                found.append(PullRequest(number, sha, self._files_of[number, sha]))
        heads = {(pull.number, pull.sha) for pull in found}
        self._files_of = {key: files for key, files in self._files_of.items() if key in heads}
        return found

    async def _files(self, number: int) -> tuple[str, ...]:
        paths = []
        for item in await self._pages(self.api.files, {"number": str(number)}):
            paths += [item[key] for key in self.api.file_paths if isinstance(item.get(key), str)]
        return tuple(dict.fromkeys(paths))

    async def whoami(self) -> str:
        found = await self._call(self.api.user, {})
        name = found.get(self.api.user_name) if isinstance(found, dict) else None
        if not isinstance(name, str):
            raise ForgeError(f"{self.api.name} did not say who the token is", False)
        return name

    async def comments(self, number: int) -> list[Comment]:
        listed = await self._pages(self.api.comments, {"number": str(number)})
        return [
            Comment(item["id"], str(item.get("body") or ""), _text(item, self.api.comment_author))
            for item in listed
            if isinstance(item.get("id"), int)
        ]

    async def create_comment(self, number: int, body: str) -> Comment:
        made = await self._call(self.api.comment_create, {"number": str(number)}, {"body": body})
        if not isinstance(made, dict) or not isinstance(made.get("id"), int):
            raise ForgeError(f"{self.api.name} answered a new comment without its id", False)
        return Comment(made["id"], body)

    async def edit_comment(self, number: int, comment_id: int, body: str) -> None:
        where = {"number": str(number), "id": str(comment_id)}
        await self._call(self.api.comment_edit, where, {"body": body})

    async def _pages(self, endpoint: Endpoint, where: Mapping[str, str]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = await self._call(endpoint, where, page=page if endpoint.paged else None)
            listed = answer if isinstance(answer, list) else []
            items += [item for item in listed if isinstance(item, dict)]
            size = int(endpoint.query.get("per_page") or endpoint.query.get("limit") or 30)
            if len(listed) < size or not endpoint.paged:
                break
        return items

    async def _call(
        self,
        endpoint: Endpoint,
        where: Mapping[str, str],
        body: dict[str, Any] | None = None,
        page: int | None = None,
    ) -> Any:
        path = endpoint.path.format(repo=self.api.repo_in_path(self.repo), **where)
        what = f"{self.api.name} {endpoint.method} {path}"
        query = dict(endpoint.query) | ({self.api.page_param: str(page)} if page else {})
        await self._wait_for_window()
        try:
            response = await self._http.request(
                endpoint.method, self.base_url + path, params=query or None, json=body
            )
        except httpx.HTTPError as error:
            self.answered("transient")
            raise ForgeError(f"{what}: {type(error).__name__}", True) from None
        return self._read(response, what)

    async def _wait_for_window(self) -> None:
        wait = self.pause_until - time.time()
        if wait > 0:
            await asyncio.sleep(min(wait, MAX_WAIT))

    def _read(self, response: httpx.Response, what: str) -> Any:
        code, headers = response.status_code, response.headers
        left = headers.get(self.api.rate_remaining)
        if code < 300:
            if left == "0":
                self.pause_until = max(self.pause_until, self._reset(headers) or 0.0)
            self.answered("ok")
            try:
                return response.json() if response.content else None
            except ValueError:
                raise ForgeError(f"{what}: the answer is not JSON", True, None, code) from None
        if code == 429 or (code == 403 and left == "0"):
            self.answered("rate-limited")
            wait = _retry_after(headers) or max(0.0, (self._reset(headers) or 0.0) - time.time())
            raise ForgeError(f"{what}: rate limited ({code})", True, wait or None, code)
        transient = code >= 500
        self.answered("transient" if transient else "refused")
        said = _message(response).replace(self._token, "***") if self._token else ""
        raise ForgeError(f"{what}: {code} {said}".rstrip(), transient, None, code)

    def _reset(self, headers: httpx.Headers) -> float | None:
        value = headers.get(self.api.rate_reset, "")
        if not value.isdigit():
            return None
        number = float(value)
        return number if number > 1e9 else time.time() + number  # GitLab may send seconds


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _text(item: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    found = _dig(item, keys)
    return found if isinstance(found, str) else None


def _dig(item: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    value: Any = item
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def _message(response: httpx.Response) -> str:
    """The host's own message, on one short line (it never echoes the token)."""
    try:
        found = response.json()
    except ValueError:
        return ""
    message = found.get("message") if isinstance(found, dict) else None
    return " ".join(str(message).split())[:200] if message else ""
