"""GitLab (gitlab.com and self-managed): the REST API v4, as data.

Source: GitLab's API documentation (doc/api/commits.md, merge_requests.md, notes.md); excerpt
in docs/forge-api/gitlab.json. GitLab has no `error` commit status: a superseded run is shown as
`canceled`, which is what it is. Pure module (a value).
"""

from __future__ import annotations

from reconciler.decide.forge import State
from reconciler.shell.forge.hostapi import Endpoint, HostApi

API = HostApi(
    name="gitlab",
    default_url="https://gitlab.com/api/v4",
    web_of_api={"/api/v4": ""},
    web_file="{web}/{repo}/-/blob/{branch}/{path}",
    auth_header="PRIVATE-TOKEN",
    auth_value="{token}",
    headers={"Accept": "application/json"},
    encode_repo=True,
    status=Endpoint("POST", "/projects/{repo}/statuses/{sha}"),
    status_context="name",
    states={
        State.PENDING: "pending",
        State.SUCCESS: "success",
        State.FAILURE: "failed",
        State.ERROR: "canceled",
    },
    pulls=Endpoint(
        "GET", "/projects/{repo}/merge_requests", {"state": "opened", "per_page": "100"}
    ),
    pull_number="iid",
    pull_sha=("sha",),
    files=Endpoint("GET", "/projects/{repo}/merge_requests/{number}/diffs", {"per_page": "100"}),
    file_paths=("new_path", "old_path"),
    user=Endpoint("GET", "/user"),
    user_name="username",
    comment_author=("author", "username"),
    comments=Endpoint("GET", "/projects/{repo}/merge_requests/{number}/notes", {"per_page": "100"}),
    comment_create=Endpoint("POST", "/projects/{repo}/merge_requests/{number}/notes"),
    comment_edit=Endpoint("PUT", "/projects/{repo}/merge_requests/{number}/notes/{id}"),
    page_param="page",
    pull_ref="refs/merge-requests/{number}/head",
    comment_limit=1_000_000,
    description_limit=255,
    rate_remaining="ratelimit-remaining",
    rate_reset="ratelimit-reset",
)
