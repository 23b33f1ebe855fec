"""Credentials written into a SOURCE URL never reach a message, a log or a folder name."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import SourceUnavailable
from reconciler.shell.config import default_state_dir
from reconciler.shell.repo.source import GitSource
from tests.support.cores import free_port

SECRET = "s3cret-token-in-url"  # noqa: S105 (a made-up credential the test hunts for)


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
