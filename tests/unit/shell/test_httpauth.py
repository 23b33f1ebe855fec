"""The http auth file (reconciler.shell.httpauth): its two forms, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigurationError
from reconciler.shell.httpauth import HttpAuth, http_auth, read_auth_file


def test_both_forms_comments_and_blank_lines(tmp_path: Path) -> None:
    """`bearer TOKEN` and `basic USER:PASSWORD` lines; blank lines and comments are skipped."""
    path = tmp_path / "auth"
    path.write_text("# for the proxy\nbearer abc123\n\nBASIC oncall:pass:word\n")
    assert read_auth_file(str(path), "--http-auth-file") == HttpAuth(
        ("abc123",), (("oncall", "pass:word"),)
    )


@pytest.mark.parametrize(
    "text", ["s3cr3t-alone\n", "basic s3cr3t\n", "basic :s3cr3t\n", "bearer\n", "bearer s3cr3t b\n"]
)
def test_a_bad_line_names_the_file_and_line_never_its_content(tmp_path: Path, text: str) -> None:
    """A line that is neither form stops the start; the message never echoes the line."""
    path = tmp_path / "auth"
    path.write_text("bearer fine-token\n" + text)
    with pytest.raises(ConfigurationError) as raised:
        read_auth_file(str(path), "--http-auth-file")
    message = str(raised.value)
    assert message.startswith(f"http auth file {path} (--http-auth-file) line 2: expected")
    assert "s3cr3t" not in message


def test_a_file_without_credentials_is_refused(tmp_path: Path) -> None:
    """A file of comments alone is a mistake, never "no credentials needed"."""
    path = tmp_path / "auth"
    path.write_text("# nothing\n")
    with pytest.raises(ConfigurationError, match="holds no credentials"):
        read_auth_file(str(path), "--http-auth-file")


def test_a_missing_file_names_how_it_was_given(tmp_path: Path) -> None:
    """The variable's name is in the message when the variable named the file."""
    missing = str(tmp_path / "nope")
    with pytest.raises(ConfigurationError, match="RECONCILER_HTTP_AUTH_FILE"):
        http_auth(None, {"RECONCILER_HTTP_AUTH_FILE": missing})


def test_no_file_means_no_credentials() -> None:
    """Without the flag and the variable, nothing is asked for."""
    assert http_auth(None, {}) is None


def test_credentials_are_never_printed() -> None:
    """The object's repr holds no credential."""
    assert "secret" not in repr(HttpAuth(("secret",), (("u", "secret"),)))
