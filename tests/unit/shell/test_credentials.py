"""Splitting a SOURCE into the URL git may keep and the credentials it may only hear."""

from __future__ import annotations

import pytest

from reconciler.shell.repo.credentials import (
    HELPER,
    PASSWORD_VARIABLE,
    USERNAME_VARIABLE,
    Remote,
    remote_of,
)

SECRET = "s3cret"  # noqa: S105 (a made-up credential)


@pytest.mark.parametrize(
    ("source", "url", "username", "password", "origin"),
    [
        (
            f"https://bot:{SECRET}@git.example.net/p.git",
            "https://git.example.net/p.git",
            "bot",
            SECRET,
            "https://git.example.net",
        ),
        (
            f"http://bot:{SECRET}@127.0.0.1:8080/p.git",
            "http://127.0.0.1:8080/p.git",
            "bot",
            SECRET,
            "http://127.0.0.1:8080",
        ),
        (
            "HTTPS://x-access-token:p%40ss%3Aword@host/p.git",
            "HTTPS://host/p.git",
            "x-access-token",
            "p@ss:word",
            "https://host",
        ),
        (f"https://{SECRET}@host/p.git", "https://host/p.git", SECRET, "", "https://host"),
        (f"ftps://u:{SECRET}@host/p.git?x=1", "ftps://host/p.git?x=1", "u", SECRET, "ftps://host"),
    ],
)
def test_credentials_of_an_http_url_move_out_of_it(
    source: str, url: str, username: str, password: str, origin: str
) -> None:
    """User and password (percent-decoded) leave the URL; the origin is scheme, host and port."""
    remote = remote_of(source)
    assert (remote.url, remote.username, remote.password, remote.origin) == (
        url,
        username,
        password,
        origin,
    )


@pytest.mark.parametrize(
    ("source", "url"),
    [
        ("https://git.example.net/p.git", "https://git.example.net/p.git"),
        ("ssh://git@git.example.net/p.git", "ssh://git@git.example.net/p.git"),
        (f"ssh://git:{SECRET}@git.example.net/p.git", "ssh://git@git.example.net/p.git"),
        ("git@git.example.net:platform/p.git", "git@git.example.net:platform/p.git"),
        ("/srv/git/p.git", "/srv/git/p.git"),
        ("file:///srv/git/p.git", "file:///srv/git/p.git"),
        ("https://host/path@with-at", "https://host/path@with-at"),
    ],
)
def test_other_sources_give_git_no_credentials(source: str, url: str) -> None:
    """No credentials, an ssh user name (kept, its password dropped) or a path: nothing to hand."""
    remote = remote_of(source)
    assert (remote.url, remote.has_credentials, remote.options(), remote.environment()) == (
        url,
        False,
        [],
        {},
    )


def test_the_credentials_go_to_the_environment_and_never_into_options() -> None:
    """The `-c` options name variables only; the values are in the child's environment."""
    remote = remote_of(f"https://bot:{SECRET}@host/p.git")
    assert remote.options() == ["-c", "credential.helper=", "-c", f"credential.helper={HELPER}"]
    assert SECRET not in " ".join(remote.options())
    assert remote.environment()[USERNAME_VARIABLE] == "bot"
    assert remote.environment()[PASSWORD_VARIABLE] == SECRET


def test_a_remote_never_prints_its_credentials() -> None:
    """repr() of a Remote, as a traceback or a debugger shows it, leaves them out."""
    assert SECRET not in repr(Remote("https://host/p.git", "bot", SECRET, "https://host"))
