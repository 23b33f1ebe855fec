"""GitHub (github.com and GitHub Enterprise Server): the REST API v3, as data.

Source: github/rest-api-description (api.github.com.json); excerpt in docs/forge-api/github.json.
Pure module (a value).
"""

from __future__ import annotations

from reconciler.decide.forge import State
from reconciler.shell.forge.hostapi import Endpoint, HostApi

API = HostApi(
    name="github",
    default_url="https://api.github.com",
    web_of_api={"https://api.github.com": "https://github.com", "/api/v3": ""},
    web_file="{web}/{repo}/blob/{branch}/{path}",
    auth_header="Authorization",
    auth_value="Bearer {token}",
    headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"},
    encode_repo=False,
    status=Endpoint("POST", "/repos/{repo}/statuses/{sha}"),
    status_context="context",
    states={s: s.value for s in State},
    pulls=Endpoint("GET", "/repos/{repo}/pulls", {"state": "open", "per_page": "100"}),
    pull_number="number",
    pull_sha=("head", "sha"),
    files=Endpoint("GET", "/repos/{repo}/pulls/{number}/files", {"per_page": "100"}),
    file_paths=("filename", "previous_filename"),
    user=Endpoint("GET", "/user"),
    user_name="login",
    comment_author=("user", "login"),
    comments=Endpoint("GET", "/repos/{repo}/issues/{number}/comments", {"per_page": "100"}),
    comment_create=Endpoint("POST", "/repos/{repo}/issues/{number}/comments"),
    comment_edit=Endpoint("PATCH", "/repos/{repo}/issues/comments/{id}"),
    page_param="page",
    pull_ref="refs/pull/{number}/head",
    comment_limit=65536,
    description_limit=140,
    rate_remaining="x-ratelimit-remaining",
    rate_reset="x-ratelimit-reset",
)
