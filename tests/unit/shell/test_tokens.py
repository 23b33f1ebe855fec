"""Reading token files and variables: the forms that work, and refusals that never quote them."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reconciler.decide.model import SecretRef
from reconciler.shell.core.tokens import (
    FRESH_SECONDS,
    MAX_TOKEN_FILE_BYTES,
    Secret,
    TokenSource,
    TokenUnavailable,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)
SECRET = "s3cr3t-value-xyz"  # noqa: S105 (a test token)
pytestmark = pytest.mark.anyio


def from_file(tmp_path: Path, content: str | bytes) -> TokenSource:
    path = tmp_path / "token"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return TokenSource(SecretRef(file=str(path)), {}, lambda: NOW)


@pytest.mark.parametrize(
    "content",
    [
        f"{SECRET}",
        f"  {SECRET}\n\n",
        json.dumps({"token": SECRET}),
        json.dumps({"token": SECRET, "expires_at": "2030-01-02T00:00:00Z"}),
        json.dumps({"token": SECRET, "expires_at": "2030-01-02T00:00:00"}),
    ],
    ids=["plain", "padded", "json", "json-expiring", "json-naive-expiry"],
)
async def test_token_file_forms(tmp_path: Path, content: str) -> None:
    """Plain text and PADAS's JSON form both give the token."""
    assert (await from_file(tmp_path, content).current()).reveal() == SECRET


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "is empty"),
        (f"{SECRET} {SECRET}", "holds spaces or characters an HTTP header cannot carry"),
        (f"{SECRET}\r\nX-Injected: 1", "holds spaces or characters an HTTP header cannot carry"),
        (f"{SECRET}é", "holds spaces or characters an HTTP header cannot carry"),
        (b"\xff\xfe" + SECRET.encode(), "is not UTF-8 text"),
        ("{" + SECRET, "starts with '{' but is not valid JSON"),
        (json.dumps({"value": SECRET}), "has no string field 'token'"),
        (json.dumps({"token": SECRET, "expires_at": "soon"}), "'expires_at' that is not an ISO"),
        (json.dumps({"token": SECRET, "expires_at": "2029-12-31T00:00:00Z"}), "expired at 2029"),
        (SECRET * (MAX_TOKEN_FILE_BYTES // len(SECRET) + 1), "is larger than"),
    ],
    ids=["empty", "space", "header-injection", "non-ascii", "not-utf8", "bad-json",
         "no-token-field", "bad-expiry", "expired", "huge"],
)  # fmt: skip
async def test_unusable_token_files_are_refused_without_quoting(
    tmp_path: Path, content: str | bytes, expected: str
) -> None:
    """Each refusal names the file and the problem, never the content, and chains nothing."""
    with pytest.raises(TokenUnavailable) as raised:
        await from_file(tmp_path, content).current()
    message = str(raised.value)
    assert message.startswith(f"token file {tmp_path / 'token'}") or "expired" in message
    assert expected in message
    assert SECRET not in message
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__ or raised.value.__context__ is None


async def test_an_empty_variable_is_refused() -> None:
    """A variable that is set but blank is as good as unset."""
    with pytest.raises(TokenUnavailable, match="environment variable T is empty"):
        await TokenSource(SecretRef(env="T"), {"T": "  "}, lambda: NOW).current()


async def test_the_generation_grows_only_when_the_token_changes(tmp_path: Path) -> None:
    """Re-reading the same token is not a rotation; a new one is."""
    now = [0.0]
    path = tmp_path / "token"
    path.write_text(SECRET, encoding="utf-8")
    source = TokenSource(SecretRef(file=str(path)), {}, lambda: NOW, lambda: now[0])
    await source.current()
    now[0] += FRESH_SECONDS
    await source.current()
    first = source.generation
    path.write_text(SECRET + "-rotated", encoding="utf-8")
    now[0] += FRESH_SECONDS
    await source.current()
    assert source.generation == first + 1


async def test_a_file_is_checked_once_a_second_and_at_once_after_a_refusal(
    tmp_path: Path,
) -> None:
    """Within FRESH_SECONDS the token read is sent again without looking at the file; after
    the Core refused it, every call looks, until the Core accepts one."""
    now = [0.0]
    path = tmp_path / "token"
    path.write_text("first-token", encoding="utf-8")
    source = TokenSource(SecretRef(file=str(path)), {}, lambda: NOW, lambda: now[0])
    assert (await source.current()).reveal() == "first-token"
    path.write_text("second-token", encoding="utf-8")
    now[0] += FRESH_SECONDS / 2
    assert (await source.current()).reveal() == "first-token"
    source.refused()
    assert (await source.current()).reveal() == "second-token"
    path.write_text("third-token", encoding="utf-8")
    assert (await source.current()).reveal() == "third-token"  # still refused: looked again
    source.accepted()
    path.write_text("fourth-token", encoding="utf-8")
    assert (await source.current()).reveal() == "third-token"
    now[0] += FRESH_SECONDS
    assert (await source.current()).reveal() == "fourth-token"


def test_a_secret_never_shows_itself() -> None:
    """str, repr and formatting of a Secret are redacted."""
    secret = Secret(SECRET)
    shown = [str(secret), repr(secret), f"{secret}", f"{secret!r}", str([secret])]
    assert all(SECRET not in text for text in shown)


async def test_redact_blots_out_the_last_token_read() -> None:
    """Text that somehow carries the token comes out with it blotted out."""
    source = TokenSource(SecretRef(env="T"), {"T": SECRET}, lambda: NOW)
    await source.current()
    assert source.redact(f"said Bearer {SECRET}.") == "said Bearer ***."


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
async def test_only_regular_files_are_read(tmp_path: Path, kind: str) -> None:
    """A FIFO, a folder or a device is refused at once, and the read never blocks the loop."""
    path = tmp_path / "token"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path("/dev/zero")
    source = TokenSource(SecretRef(file=str(path)), {}, lambda: NOW)
    with pytest.raises(TokenUnavailable, match="is not a regular file"):
        await source.current()


async def test_redaction_covers_the_json_escaped_token() -> None:
    """A Core echoing the token inside JSON (escaped) is blotted out before anything reads it."""
    token = 'ab"c/d\\e-0123456789'  # noqa: S105 (a test token)
    source = TokenSource(SecretRef(env="T"), {"T": token}, lambda: NOW)
    await source.current()
    raw = json.dumps({"message": f"bad header Bearer {token}"}).encode()
    assert json.loads(source.redact_bytes(raw))["message"] == "bad header Bearer ***"
