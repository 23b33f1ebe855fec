"""Where the client finds a Core's token, what happens when it cannot, and that it stays secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.decide.model import ComponentKind, SecretRef
from reconciler.decide.observed import Reason
from reconciler.errors import CoreCallError
from reconciler.shell.core.client import CoreClient
from tests.integration.client.conftest import FAST, TOKEN_VARIABLE, core_of, environ_of
from tests.support.access import AccessLog, set_faults
from tests.support.cores import CoreProcess
from tests.support.fixtures import CoreFactory

pytestmark = pytest.mark.anyio
STREAM = ComponentKind.STREAM


@pytest.fixture(scope="module")
def process(module_core_factory: CoreFactory) -> CoreProcess:
    return module_core_factory("tokens", extra_args=["--lockout-threshold", "1000"])


async def health_of(process: CoreProcess, ref: SecretRef, environ: dict[str, str]) -> bool:
    async with CoreClient(core_of(process, token=ref), environ, FAST) as client:
        return (await client.readback()).reachable


async def test_a_token_from_the_environment_mapping(process: CoreProcess) -> None:
    """`{env: VAR}` is looked up in the mapping the program passes in."""
    assert await health_of(process, SecretRef(env="MY_TOKEN"), {"MY_TOKEN": process.token})


async def test_a_token_from_a_plain_text_file(process: CoreProcess, tmp_path: Path) -> None:
    """A file holding the token and a newline works."""
    path = tmp_path / "token"
    path.write_text(f"{process.token}\n", encoding="utf-8")
    assert await health_of(process, SecretRef(file=str(path)), {})


async def test_a_token_from_padas_json_form(process: CoreProcess, tmp_path: Path) -> None:
    """A file in PADAS's JSON form with a future expiry works."""
    path = tmp_path / "service-account.token"
    expires = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    path.write_text(json.dumps({"token": process.token, "expires_at": expires}), encoding="utf-8")
    assert await health_of(process, SecretRef(file=str(path)), {})


@pytest.mark.parametrize(
    ("contents", "ref", "expected"),
    [
        pytest.param(None, SecretRef(env="ABSENT"), "environment variable ABSENT is not set",
                     id="unset-variable"),
        pytest.param(None, SecretRef(file="{dir}/missing"),
                     "token file {dir}/missing cannot be read", id="missing-file"),
        pytest.param('{"token": "abc", "expires_at": "2001-01-01T00:00:00Z"}',
                     SecretRef(file="{dir}/old"), "the token in file {dir}/old expired at 2001",
                     id="expired-json"),
    ],
)  # fmt: skip
async def test_an_unavailable_token_names_its_source_and_sends_nothing(
    process: CoreProcess, tmp_path: Path, contents: str | None, ref: SecretRef, expected: str
) -> None:
    """No usable token: TOKEN_UNAVAILABLE naming the variable or file, and no request at all."""
    file = ref.file.format(dir=tmp_path) if ref.file else None
    if contents is not None and file is not None:
        Path(file).write_text(contents, encoding="utf-8")
    log = AccessLog(process)
    core = core_of(process, token=SecretRef(env=ref.env, file=file))
    async with CoreClient(core, {}, FAST) as client:
        with pytest.raises(CoreCallError) as raised:
            await client.get(STREAM, "anything")
        observation = await client.readback()
    error = raised.value
    assert (error.reason, error.transient) == (Reason.TOKEN_UNAVAILABLE, False)
    assert error.message.startswith(f"no token for core tokens: {expected.format(dir=tmp_path)}")
    assert (observation.reachable, observation.reason) == (False, Reason.TOKEN_UNAVAILABLE)
    assert log.lines() == []


async def test_a_rotated_token_file_is_picked_up(
    core_factory: CoreFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """When the token file changes, the next call gets through with the new token, without a
    restart: sent with the token read less than a second ago, it meets a 401, and is sent again
    at once with the file's new token. No warning, no hold-off."""
    process = core_factory("rotating", admin=False)
    ref = SecretRef(file=str(process.token_file))
    log = AccessLog(process)
    async with CoreClient(core_of(process, token=ref), {}, FAST) as client:
        assert (await client.readback()).reachable
        process.token_file.write_text("a-new-and-longer-token-value-0123456789\n", encoding="utf-8")
        assert (await client.put(STREAM, "after-rotation", {})).name == "after-rotation"
        assert (await client.readback()).reachable
    assert log.count("PUT", "streams/after-rotation", 401) == 1
    assert log.count("PUT", "streams/after-rotation") == 2  # the 401, then the one that landed
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_token_never_appears_in_logs_errors_or_values(
    process: CoreProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """Successes, refusals, server errors, cut answers and bad tokens: the token shows nowhere."""
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-that-must-not-leak-either"
    errors: list[BaseException] = []
    core = core_of(process)
    async with CoreClient(core, environ_of(process), FAST) as client:
        seen = [repr(client), repr(await client.readback())]
        seen.append(repr(await client.put(STREAM, "secret-s", {})))
        for call in (
            client.put(STREAM, "secret-bad", {"colour": "red"}),
            _with_faults(process, {"error_rate": 1.0}, client.get(STREAM, "secret-s")),
            _with_faults(process, {"reset_rate": 1.0}, client.put(STREAM, "secret-s", {})),
        ):
            errors.append(await _raised(call))
    async with CoreClient(core, {TOKEN_VARIABLE: wrong}, FAST) as client:
        errors.append(await _raised(client.get(STREAM, "secret-s")))
        errors.append(await _raised(client.get(STREAM, "secret-s")))
        seen.append(repr(await client.readback()))
    texts = [caplog.text, *seen, *(text for error in errors for text in _chain_texts(error))]
    assert [error.reason for error in errors if isinstance(error, CoreCallError)] == [
        Reason.REJECTED, Reason.SERVER_ERROR, Reason.UNREACHABLE, Reason.UNAUTHORIZED,
        Reason.BACKING_OFF,
    ]  # fmt: skip
    assert "HTTP Request: PUT" in caplog.text  # the libraries' own debug logging was captured
    for text in texts:
        assert process.token not in text
        assert wrong not in text


async def _with_faults(
    process: CoreProcess, rule: dict[str, object], call: Coroutine[Any, Any, object]
) -> None:
    set_faults(process, rule)
    try:
        await call
    finally:
        set_faults(process)


async def _raised(call: Coroutine[Any, Any, object]) -> BaseException:
    try:
        await call
    except CoreCallError as error:
        return error
    raise AssertionError("the call was expected to fail")


def _chain_texts(error: BaseException) -> list[str]:
    """str and repr of an exception and of every cause and context behind it."""
    texts: list[str] = []
    seen: BaseException | None = error
    while seen is not None:
        texts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return texts
