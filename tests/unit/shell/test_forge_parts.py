"""The Git host's small parts: each host's webhook proof, its settings, and its web links."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest

from reconciler.decide.trust import TokenPolicy
from reconciler.errors import ConfigurationError
from reconciler.shell.config import forge_settings
from reconciler.shell.daemon.gitforge import HOSTS
from reconciler.shell.daemon.webhook import about_pulls, genuine, signature

SECRET = "s3cret-hook"  # noqa: S105 (a test's secret)
BODY = b'{"action": "opened"}'
HEX = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
TOKEN = "tok-never-shown-4242"  # noqa: S105


@pytest.mark.parametrize(
    ("case", "headers", "accepted"),
    [
        ("github", {"x-hub-signature-256": signature(SECRET, BODY)}, True),
        ("gitea", {"x-gitea-signature": HEX}, True),
        ("gitea upper case", {"x-gitea-signature": HEX.upper()}, True),
        ("gitlab", {"x-gitlab-token": SECRET}, True),
        ("gitlab wrong", {"x-gitlab-token": SECRET + "x"}, False),
        ("gitea wrong", {"x-gitea-signature": "0" * 64}, False),
        ("gitea with github's prefix", {"x-gitea-signature": "sha256=" + HEX}, False),
        ("nothing", {}, False),
        ("an event header alone", {"x-github-event": "pull_request"}, False),
    ],
)
def test_each_hosts_webhook_proof(case: str, headers: dict[str, str], accepted: bool) -> None:
    """A delivery is genuine with any host's own proof under the shared secret, and only then."""
    assert genuine(headers, SECRET, HEX) is accepted, case


@pytest.mark.parametrize(
    ("headers", "pulls"),
    [
        ({"x-github-event": "pull_request"}, True),
        ({"x-gitea-event": "pull_request"}, True),
        ({"x-gitlab-event": "Merge Request Hook"}, True),
        ({"x-github-event": "push"}, False),
        ({"x-gitlab-event": "Push Hook"}, False),
        ({}, False),
    ],
)
def test_pull_request_events(headers: dict[str, str], pulls: bool) -> None:
    """Only a pull (merge) request event asks for a look at the pull requests."""
    assert about_pulls(headers) is pulls


def test_settings_from_flags_and_the_environment(tmp_path: Path) -> None:
    """The host, repository and token come from flags or RECONCILER_FORGE_*; the token hides."""
    found = forge_settings(
        {"forge": "gitlab", "forge_repo": "group/sub/name", "forge_token_env": "MY_FORGE"},
        {"MY_FORGE": TOKEN + "\n", "RECONCILER_FORGE_URL": "https://git.example.net/api/v4"},
        TokenPolicy(),
    )
    assert found is not None
    assert (found.host, found.repo, found.url, found.token) == (
        "gitlab",
        "group/sub/name",
        "https://git.example.net/api/v4",
        TOKEN,
    )
    assert TOKEN not in repr(found)
    token_file = tmp_path / "forge-token"
    token_file.write_text(TOKEN)
    from_file = forge_settings(
        {"forge": "github", "forge_repo": "a/b", "forge_token_file": str(token_file)},
        {},
        TokenPolicy(),
    )
    assert from_file is not None
    assert from_file.token == TOKEN
    assert forge_settings({}, {}, TokenPolicy()) is None


@pytest.mark.parametrize(
    ("flags", "environ", "named"),
    [
        ({"forge": "bitbucket"}, {}, "--forge must be one of"),
        ({"forge": "github", "forge_repo": "noslash"}, {}, "--forge-repo"),
        ({"forge": "github", "forge_repo": "a/../b"}, {}, "--forge-repo"),
        ({"forge": "github", "forge_repo": "a/b"}, {}, "--forge needs a token"),
        (
            {"forge": "github", "forge_repo": "a/b", "forge_token_env": "UNSET"},
            {},
            "--forge-token-env UNSET",
        ),
        (
            {"forge": "github", "forge_repo": "a/b", "forge_token_env": "PADAS_TOKEN_FORGE"},
            {"PADAS_TOKEN_FORGE": TOKEN},
            "Core token prefix",
        ),
        (
            {"forge": "github", "forge_repo": "a/b", "forge_token_file": "/nonexistent/t"},
            {},
            "--forge-token-file /nonexistent/t",
        ),
        (
            {"forge": "gitea", "forge_repo": "a/b", "forge_url": "ftp://x", "forge_token_env": "T"},
            {"T": TOKEN},
            "--forge-url",
        ),
    ],
)
def test_bad_settings_name_their_flag(
    flags: dict[str, str | None], environ: dict[str, str], named: str
) -> None:
    """Each mistake is one sentence naming its flag, never quoting the token."""
    with pytest.raises(ConfigurationError, match=named.replace(".", r"\.")) as caught:
        forge_settings(flags, environ, TokenPolicy())
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("host", "api", "web"),
    [
        ("github", "https://api.github.com", "https://github.com"),
        ("github", "https://ghe.example.net/api/v3", "https://ghe.example.net"),
        ("gitlab", "https://gitlab.com/api/v4", "https://gitlab.com"),
        ("gitlab", "https://git.example.net/gitlab/api/v4/", "https://git.example.net/gitlab"),
        ("gitea", "https://codeberg.org/api/v1", "https://codeberg.org"),
    ],
)
def test_web_base_of_an_api_base(host: str, api: str, web: str) -> None:
    """Statuses link to the host's web pages, found from its API base."""
    assert HOSTS[host].web_base(api) == web
