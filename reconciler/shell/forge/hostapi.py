"""What one Git host's REST API looks like, as data: paths, headers, field names and limits.

Each host module (`github`, `gitlab`, `gitea`) holds one `HostApi`; `client.ForgeClient` reads
nothing else about a host, so no path or field name is spelled anywhere but there. The API
description each value follows is excerpted, with its source, under `docs/forge-api/`.

Path templates take `{repo}` (the repository as the host names it in paths: `owner/name`, or
URL-encoded for GitLab), `{sha}`, `{number}` (a pull request's number, GitLab's `iid`) and
`{id}` (a comment's id). Pure module (values only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

from reconciler.decide.forge import State


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    paged: bool = True
    """Whether the listing takes a page number (Gitea's comments come in one answer)."""


@dataclass(frozen=True, slots=True)
class HostApi:
    """One host's API, as the adapter uses it."""

    name: str
    default_url: str
    """The public instance's API base (`--forge-url` replaces it for a self-hosted one)."""
    web_of_api: Mapping[str, str]
    """API base suffix (or whole public API URL) -> what replaces it to make the web base."""
    web_file: str
    """A file on a branch in the web interface: `{web}`, `{repo}`, `{branch}`, `{path}`."""
    auth_header: str
    auth_value: str
    """`{token}` in it is the token (only ever put in this header)."""
    headers: Mapping[str, str]
    encode_repo: bool
    """Whether `{repo}` is URL-encoded in paths (GitLab's `:id`), or `owner/name` as it is."""
    status: Endpoint
    status_context: str
    """The body field naming the status (`context`; GitLab says `name`)."""
    states: Mapping[State, str]
    pulls: Endpoint
    pull_number: str
    pull_sha: tuple[str, ...]
    """Where a listed pull request's head commit is, as a path of keys."""
    files: Endpoint
    file_paths: tuple[str, ...]
    """The fields of a changed file that name its paths (old and new)."""
    user: Endpoint
    """Who the token is: only comments by that user are the reconciler's."""
    user_name: str
    comments: Endpoint
    comment_author: tuple[str, ...]
    comment_create: Endpoint
    comment_edit: Endpoint
    page_param: str
    pull_ref: str
    """Where the origin keeps a pull request's head: `refs/pull/{number}/head`."""
    comment_limit: int
    """The most characters a comment's body may hold."""
    description_limit: int
    """The most characters a commit status's description may hold."""
    rate_remaining: str
    rate_reset: str
    """Header names: requests left, and when the window resets (epoch seconds)."""

    def repo_in_path(self, repo: str) -> str:
        return quote(repo, safe="") if self.encode_repo else repo

    def web_base(self, api_url: str) -> str:
        """The web interface's base URL for an API base URL."""
        url = api_url.rstrip("/")
        for api, web in self.web_of_api.items():
            if url == api or url.endswith(api):
                return url[: len(url) - len(api)] + web if url != api else web
        return url
