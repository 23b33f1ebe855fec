"""Gitea and Forgejo: the REST API v1, as data.

Source: Gitea's swagger description (templates/swagger/v1_json.tmpl); excerpt in
docs/forge-api/gitea.json. Gitea documents no comment size limit; GitHub's is used, so a plan
that fits one fits the other. Pure module (a value).
"""

from __future__ import annotations

from reconciler.decide.forge import State
from reconciler.shell.forge.hostapi import Endpoint, HostApi

API = HostApi(
    name="gitea",
    default_url="https://gitea.com/api/v1",
    web_of_api={"/api/v1": ""},
    web_file="{web}/{repo}/src/branch/{branch}/{path}",
    auth_header="Authorization",
    auth_value="token {token}",
    headers={"Accept": "application/json"},
    encode_repo=False,
    status=Endpoint("POST", "/repos/{repo}/statuses/{sha}"),
    status_context="context",
    states={s: s.value for s in State},
    pulls=Endpoint("GET", "/repos/{repo}/pulls", {"state": "open", "limit": "50"}),
    pull_number="number",
    pull_sha=("head", "sha"),
    files=Endpoint("GET", "/repos/{repo}/pulls/{number}/files", {"limit": "50"}),
    file_paths=("filename", "previous_filename"),
    user=Endpoint("GET", "/user"),
    user_name="login",
    comment_author=("user", "login"),
    comments=Endpoint("GET", "/repos/{repo}/issues/{number}/comments", paged=False),
    comment_create=Endpoint("POST", "/repos/{repo}/issues/{number}/comments"),
    comment_edit=Endpoint("PATCH", "/repos/{repo}/issues/comments/{id}"),
    page_param="page",
    pull_ref="refs/pull/{number}/head",
    comment_limit=65536,
    description_limit=255,
    rate_remaining="x-ratelimit-remaining",
    rate_reset="x-ratelimit-reset",
)
