"""Credentials written into a SOURCE URL never reach a message, a log, a file or a command line.

The Git server is git's own `http-backend` behind Basic auth on loopback (tests/support/githttp).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.errors import SourceUnavailable
from reconciler.shell.config import default_state_dir
from reconciler.shell.repo.naming import Identity
from reconciler.shell.repo.source import GitSource
from tests.support.cores import free_port
from tests.support.githttp import GitHttpServer, Seen
from tests.support.repos import git, init_repo

SECRET = "s3cret-token-in-url"  # noqa: S105 (a made-up credential the test hunts for)
USER = "reconciler"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[GitHttpServer]:
    """`pipelines.git` (one commit on main) served over HTTP to `reconciler:SECRET` only."""
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "README.md").write_text("pipelines\n")
    init_repo(seed)
    root = tmp_path / "served"
    root.mkdir()
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(root / "pipelines.git"))
    with GitHttpServer(root, USER, SECRET) as server:
        yield server


def command_lines() -> list[bytes]:
    """Every process's command line, as `ps -eo args` shows them (from /proc)."""
    found = []
    for path in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found.append(path.read_bytes().replace(b"\0", b" "))
        except OSError:
            continue  # the process ended between the listing and the read
    return found


def files_holding(root: Path, text: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


def clone_of(server: GitHttpServer, tmp_path: Path, password: str = SECRET) -> GitSource:
    return GitSource(server.url("pipelines.git", USER, password), tmp_path / "state" / "source.git")


def test_fetch_and_push_authenticate_with_the_password_from_the_url(
    served: GitHttpServer, tmp_path: Path
) -> None:
    """The server demands Basic auth; the fetch and the report push both get through."""
    source = clone_of(served, tmp_path)
    head = source.fetch()
    commit = source.commit_files(head, {"status/README.md": "ok\n"}, "report", Identity(), NOW)

    assert source.push(commit)
    assert git(served.root / "pipelines.git", "rev-parse", "main") == commit
    assert any(seen.authorized for seen in served.requests)
    assert any(not seen.authorized for seen in served.requests), "the server never challenged"


def test_the_clone_keeps_the_url_without_its_credentials(
    served: GitHttpServer, tmp_path: Path
) -> None:
    """After a fetch and a push, no file under the state directory holds the password."""
    source = clone_of(served, tmp_path)
    head = source.fetch()
    source.push(source.commit_files(head, {"status/x.md": "x\n"}, "report", Identity(), NOW))

    url = git(tmp_path / "state" / "source.git", "config", "remote.origin.url")
    assert url == f"http://{served.address}/pipelines.git"
    assert files_holding(tmp_path / "state", SECRET) == []


def test_no_command_line_holds_the_password_while_git_talks_to_the_server(
    served: GitHttpServer, tmp_path: Path
) -> None:
    """Sampled while git waits on each request, no process's arguments carry the password."""
    sampled: list[bytes] = []

    def sample(_seen: Seen) -> None:
        sampled.extend(command_lines())

    served.on_request = sample
    source = clone_of(served, tmp_path)
    head = source.fetch()
    source.push(source.commit_files(head, {"status/x.md": "x\n"}, "report", Identity(), NOW))

    assert any(b"remote-http" in line for line in sampled), "git's remote helper was not seen"
    assert [line for line in sampled if SECRET.encode() in line] == []


def test_no_log_record_holds_the_password(
    served: GitHttpServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every record logged at any level during a fetch, a push and a failure leaves it out."""
    caplog.set_level(logging.DEBUG)
    source = clone_of(served, tmp_path)
    head = source.fetch()
    source.push(source.commit_files(head, {"status/x.md": "x\n"}, "report", Identity(), NOW))
    with pytest.raises(SourceUnavailable):
        GitSource(source.source, tmp_path / "other" / "source.git", "no-such-branch").fetch()

    assert caplog.records, "nothing was logged, so nothing was checked"
    assert SECRET not in caplog.text


def test_a_clone_that_stored_the_password_loses_it_when_opened(
    served: GitHttpServer, tmp_path: Path
) -> None:
    """A clone made by an older version, the URL with its password in config, is rewritten."""
    url = served.url("pipelines.git", USER, SECRET)
    old = tmp_path / "state" / "source.git"
    git(tmp_path, "init", "-q", "--bare", str(old))
    git(old, "remote", "add", "origin", url)

    head = GitSource(url, old).fetch()

    assert git(old, "config", "remote.origin.url") == f"http://{served.address}/pipelines.git"
    assert files_holding(tmp_path / "state", SECRET) == []
    assert git(served.root / "pipelines.git", "rev-parse", "main") == head


def test_a_wrong_password_fails_without_a_prompt_and_without_showing_it(
    served: GitHttpServer, tmp_path: Path
) -> None:
    """The server refuses a wrong password; the error names the source, never the password."""
    source = clone_of(served, tmp_path, password="wrong-" + SECRET)

    with pytest.raises(SourceUnavailable) as caught:
        source.fetch()

    assert SECRET not in str(caught.value)
    assert f"http://***@{served.address}/pipelines.git" in str(caught.value)
    assert not any(seen.authorized for seen in served.requests)


def test_a_redirect_to_another_host_never_receives_the_password(
    served: GitHttpServer, tmp_path: Path
) -> None:
    """A server that sends git elsewhere: the other end is asked, but never told the password."""
    elsewhere = f"http://localhost:{served.address.split(':')[1]}"
    with GitHttpServer(tmp_path / "redirector", USER, SECRET, redirect_to=elsewhere) as redirector:
        source = clone_of(redirector, tmp_path)

        with pytest.raises(SourceUnavailable):
            source.fetch()

    assert served.requests, "the redirect was not followed"
    assert not any(seen.authorized for seen in served.requests)
    assert all(SECRET not in str(seen.authorization) for seen in served.requests)


def test_the_password_never_reaches_the_users_own_credential_store(
    served: GitHttpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `store` helper in the user's git config is not asked to save what SOURCE holds."""
    store = tmp_path / "home" / ".git-credentials"
    store.parent.mkdir()
    global_config = tmp_path / "home" / ".gitconfig"
    global_config.write_text(f"[credential]\n\thelper = store --file={store}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(global_config))

    clone_of(served, tmp_path).fetch()

    assert any(seen.authorized for seen in served.requests)
    assert not store.exists()


def test_a_failed_fetch_names_the_source_without_its_credentials(tmp_path: Path) -> None:
    """git fails to connect; the error names the host and path, never the token."""
    url = f"http://reconciler:{SECRET}@127.0.0.1:{free_port()}/pipelines.git"
    source = GitSource(url, tmp_path / "source.git")

    with pytest.raises(SourceUnavailable) as caught:
        source.fetch()

    assert SECRET not in str(caught.value)
    assert "http://***@127.0.0.1" in str(caught.value)


def test_the_default_state_dir_of_such_a_source_has_no_credentials() -> None:
    """The per-SOURCE folder name is made from the URL without its credentials."""
    url = f"https://x:{SECRET}@git.example.net/a.git"
    assert SECRET not in str(default_state_dir(url, {"HOME": "/home/someone"}))
