"""A fake Git host API on loopback: the one boundary the tests fake (a real host cannot run here).

    host = ForgeHost.start("github", repo="acme/pipelines", token="…")   # on a free port
    host.open_pull(1, sha, ["assignments/web.yaml"])
    ... the daemon posts ...
    host.statuses_for(sha, "reconciler/plan"); host.comments_on(1); host.problems == []

It implements only the endpoints the adapter uses, and checks each request against the excerpt
of the host's published API description in `docs/forge-api/<host>.json`: the method and path
must be one of its operations, the headers must match (the token included), the query may hold
only documented parameters (and documented values), and the JSON body must satisfy the
operation's schema. A request that does not is answered 400 and kept in `problems`, so a test
that ends with `problems == []` proves every request was one the host documents.

Faults: `fail(status, times, headers, path_contains)` answers the next matching requests with
that status (401, 403, 404, 422, 5xx, or a rate limit with its headers); `delay` slows every
answer. Everything is recorded in `requests`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import jsonschema

DOCS = Path(__file__).resolve().parents[2] / "docs" / "forge-api"
PREFIX = {"github": "", "gitlab": "/api/v4", "gitea": "/api/v1"}
BOT = "reconciler-bot"
"""Who the token is, on this host."""
ROLES = {
    "users/get-authenticated": "user",
    "users/current": "user",
    "userGetCurrent": "user",
    "repos/create-commit-status": "status",
    "commits/set-status": "status",
    "repoCreateStatus": "status",
    "pulls/list": "pulls",
    "merge_requests/list": "pulls",
    "repoListPullRequests": "pulls",
    "pulls/list-files": "files",
    "merge_requests/list-diffs": "files",
    "repoGetPullRequestFiles": "files",
    "issues/list-comments": "comments",
    "notes/list-merge-request-notes": "comments",
    "issueGetComments": "comments",
    "issues/create-comment": "create",
    "notes/create-merge-request-note": "create",
    "issueCreateComment": "create",
    "issues/update-comment": "edit",
    "notes/modify-merge-request-note": "edit",
    "issueEditComment": "edit",
}


@dataclass
class Fault:
    status: int
    times: int | None
    headers: dict[str, str]
    path_contains: str


@dataclass
class ForgeHost:
    kind: str
    repo: str
    token: str
    spec: dict[str, Any]
    server: ThreadingHTTPServer | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def start(cls, kind: str, repo: str, token: str) -> ForgeHost:
        spec = json.loads((DOCS / f"{kind}.json").read_text())
        host = cls(kind, repo, token, spec)
        handler = type("Handler", (_Handler,), {"host": host})
        host.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=host.server.serve_forever, args=(0.05,), daemon=True).start()
        return host

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}{PREFIX[self.kind]}"

    # --- what a test sets up and reads -----------------------------------------------------------

    def open_pull(self, number: int, sha: str, files: list[str]) -> None:
        with self.lock:
            self.pulls[number] = {"sha": sha, "files": list(files), "state": "open"}

    def add_comment(self, number: int, body: str, author: str) -> int:
        """A comment someone else wrote (it may carry the reconciler's marker)."""
        with self.lock:
            made = {"id": 1000 + len(self.comments), "number": number, "body": body}
            self.comments[made["id"]] = {**made, "author": author}
            return int(made["id"])

    def close_pull(self, number: int) -> None:
        with self.lock:
            self.pulls[number]["state"] = "closed"

    def fail(
        self,
        status: int,
        times: int | None = 1,
        headers: dict[str, str] | None = None,
        path_contains: str = "",
    ) -> None:
        """Answer the next `times` requests (None: all, until `recover`) with `status`."""
        with self.lock:
            self.faults.append(Fault(status, times, headers or {}, path_contains))

    def recover(self) -> None:
        with self.lock:
            self.faults.clear()

    def statuses_for(self, sha: str, context: str) -> list[dict[str, Any]]:
        key = "name" if self.kind == "gitlab" else "context"
        with self.lock:
            return [s for s in self.statuses if s["sha"] == sha and s.get(key) == context]

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        with self.lock:
            return [c for c in self.comments.values() if c["number"] == number]

    def edits(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r for r in self.requests if r["role"] == "edit" and r["answered"] < 300]

    # --- answering ---------------------------------------------------------------------------

    def answer(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        if self.delay:
            time.sleep(self.delay)
        split = urlsplit(target)
        record: dict[str, Any] = {"method": method, "path": split.path, "role": None}
        with self.lock:
            self.requests.append(record)
        problem, operation, params = self.check(method, split.path, split.query, headers, raw)
        record["role"] = ROLES.get(operation["operationId"]) if operation else None
        if problem is not None:
            with self.lock:
                self.problems.append(f"{method} {split.path}: {problem}")
            record["answered"] = 400
            return 400, {"message": problem}, {}
        fault = self._fault(split.path)
        if fault is not None:
            record["answered"] = fault.status
            return fault.status, {"message": "injected"}, fault.headers
        body = json.loads(raw) if raw else None
        status, answer = self._serve(str(record["role"]), params, parse_qs(split.query), body)
        record["answered"] = status
        record["body"] = body
        return status, answer, {}

    def _fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path_contains in path:
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self.faults.remove(fault)
                    return fault
        return None

    def check(
        self, method: str, path: str, query: str, headers: dict[str, str], raw: bytes
    ) -> tuple[str | None, dict[str, Any] | None, dict[str, str]]:
        """Why a request is not one the host documents (None when it is)."""
        prefix = PREFIX[self.kind]
        if not path.startswith(prefix):
            return f"not under {prefix}", None, {}
        found = self._operation(method, path[len(prefix) :])
        if found is None:
            return "no documented operation has this method and path", None, {}
        operation, params = found
        return self._fits(operation, query, headers, raw), operation, params

    def _fits(
        self, operation: dict[str, Any], query: str, headers: dict[str, str], raw: bytes
    ) -> str | None:
        """Why a request to a documented operation breaks its description (None: it fits)."""
        for name, pattern in self.spec["headers"].items():
            if not re.fullmatch(pattern, headers.get(name.lower(), "")):
                return f"header {name} missing or malformed"
        sent = headers.get("authorization") or headers.get("private-token") or ""
        if sent.split()[-1:] != [self.token]:
            return "wrong token"
        for name, values in parse_qs(query).items():
            if name not in operation.get("query", []):
                return f"query parameter {name} is not documented"
            allowed = operation.get("query_enums", {}).get(name)
            if allowed and any(value not in allowed for value in values):
                return f"query {name}={values} is not one of {allowed}"
        schema = operation.get("body")
        if schema is None:
            return "this operation takes no body" if raw else None
        try:
            jsonschema.validate(json.loads(raw or b"null"), schema)
        except (ValueError, jsonschema.ValidationError) as error:
            return f"body: {getattr(error, 'message', error)}"
        return None

    def _operation(self, method: str, path: str) -> tuple[dict[str, Any], dict[str, str]] | None:
        for operation in self.spec["operations"]:
            if operation["method"] != method:
                continue
            pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(operation["path"]))
            matched = re.fullmatch(pattern, path)
            if matched and self._our_repo(matched.groupdict()):
                return operation, matched.groupdict()
        return None

    def _our_repo(self, params: dict[str, str]) -> bool:
        if "id" in params and self.kind == "gitlab":
            return params["id"] == quote(self.repo, safe="")
        if "owner" in params:
            return f"{params['owner']}/{params['repo']}" == self.repo
        return True

    def _serve(
        self, role: str, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        number_key = {"github": "pull_number", "gitlab": "merge_request_iid", "gitea": "index"}
        with self.lock:
            if role == "status":
                status = {"sha": params["sha"], **body, "id": len(self.statuses) + 1}
                self.statuses.append(status)
                return 201, status
            if role == "pulls":
                return 200, self._pull_list(query)
            if role == "user":
                return 200, {"id": 1, ("username" if self.kind == "gitlab" else "login"): BOT}
            number = int(params.get(number_key[self.kind]) or params.get("issue_number") or 0)
            return self._serve_pull(role, number, params, query, body)

    def _serve_pull(
        self,
        role: str,
        number: int,
        params: dict[str, str],
        query: dict[str, list[str]],
        body: Any,
    ) -> tuple[int, Any]:
        """Files and comments of one pull request (the lock is held)."""
        if role in ("files", "comments", "create") and number not in self.pulls:
            return 404, {"message": "Not Found"}
        if role == "files":
            return 200, self._files(number, query)
        if role == "comments":
            listed = [c for c in self.comments.values() if c["number"] == number]
            return 200, [self._comment(c) for c in listed]
        if role == "create":
            made = {"id": 1000 + len(self.comments), "number": number, "body": body["body"]}
            self.comments[made["id"]] = {**made, "author": BOT}
            return 201, made
        comment_id = int(params.get("comment_id") or params.get("note_id") or params["id"])
        if comment_id not in self.comments:
            return 404, {"message": "Not Found"}
        if self.comments[comment_id]["author"] != BOT:
            return 403, {"message": "Must have admin rights to Repository."}
        self.comments[comment_id]["body"] = body["body"]
        return 200, {"id": comment_id, "body": body["body"]}

    def _comment(self, comment: dict[str, Any]) -> dict[str, Any]:
        if self.kind == "gitlab":
            return {
                "id": comment["id"],
                "body": comment["body"],
                "author": {"username": comment["author"]},
            }
        return {"id": comment["id"], "body": comment["body"], "user": {"login": comment["author"]}}

    def _pull_list(self, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        wanted = query.get("state", ["open"])[0]
        opened = {"open", "opened"}
        listed = [
            (number, pull)
            for number, pull in sorted(self.pulls.items())
            if wanted == "all" or (pull["state"] == "open") == (wanted in opened)
        ]
        if self.kind == "gitlab":
            return [{"iid": n, "sha": p["sha"], "state": "opened"} for n, p in listed]
        return [{"number": n, "state": "open", "head": {"sha": p["sha"]}} for n, p in listed]

    def _files(self, number: int, query: dict[str, list[str]]) -> list[dict[str, Any]]:
        page = int(query.get("page", ["1"])[0])
        files = self.pulls[number]["files"] if page == 1 else []
        if self.kind == "gitlab":
            return [{"old_path": f, "new_path": f} for f in files]
        return [{"filename": f, "status": "modified"} for f in files]


class _Handler(BaseHTTPRequestHandler):
    host: ForgeHost

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, answer, extra = self.host.answer(self.command, self.path, headers, raw)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = _handle  # noqa: N815 (http.server's names)
