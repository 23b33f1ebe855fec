"""Settings read from flags and the environment: the webhook secret, the local probe URL, shards."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import ConfigurationError
from reconciler.shell.config import local_url, shard_count, webhook_secret

VARIABLE = "RECONCILER_WEBHOOK_SECRET"
FILE_VARIABLE = "RECONCILER_WEBHOOK_SECRET_FILE"


def test_the_secret_file_is_read_without_its_final_newline(tmp_path: Path) -> None:
    """`--webhook-secret-file` wins over the variable, and surrounding whitespace is dropped."""
    secret_file = tmp_path / "hook"
    secret_file.write_text("from-the-file\n")
    assert webhook_secret({VARIABLE: "from-env"}, str(secret_file)) == "from-the-file"


def test_no_secret_anywhere_turns_the_webhook_off() -> None:
    """Neither the flag nor a variable: no secret, and the route answers 404."""
    assert webhook_secret({}, None) is None


def test_the_variable_is_used_without_a_file() -> None:
    """`RECONCILER_WEBHOOK_SECRET` alone gives the secret."""
    assert webhook_secret({VARIABLE: " from-env "}, None) == "from-env"


@pytest.mark.parametrize("content", ["", "\n", "  \t \n"])
def test_an_empty_secret_file_names_the_file_and_the_flag(tmp_path: Path, content: str) -> None:
    """An empty or blank file is a configuration error naming it and `--webhook-secret-file`."""
    secret_file = tmp_path / "hook"
    secret_file.write_text(content)
    with pytest.raises(ConfigurationError) as caught:
        webhook_secret({}, str(secret_file))
    assert str(caught.value).startswith(
        f"webhook secret file {secret_file} (--webhook-secret-file) is empty"
    )


def test_an_empty_secret_file_named_by_the_variable_names_the_variable(tmp_path: Path) -> None:
    """A blank file given through `RECONCILER_WEBHOOK_SECRET_FILE` names that variable."""
    secret_file = tmp_path / "hook"
    secret_file.write_text(" \n")
    with pytest.raises(ConfigurationError, match=f"{secret_file} \\({FILE_VARIABLE}\\) is empty"):
        webhook_secret({FILE_VARIABLE: str(secret_file)}, None)


@pytest.mark.parametrize("value", ["", " ", "\n"])
def test_an_empty_secret_variable_names_the_variable(value: str) -> None:
    """`RECONCILER_WEBHOOK_SECRET` set but blank is an error, not a webhook that is off."""
    with pytest.raises(ConfigurationError, match=f"^{VARIABLE} is empty"):
        webhook_secret({VARIABLE: value}, None)


def test_an_empty_file_name_is_an_error() -> None:
    """`--webhook-secret-file ''` names the flag instead of reading the current folder."""
    with pytest.raises(ConfigurationError, match=r"^--webhook-secret-file is empty"):
        webhook_secret({}, "")


def test_an_unreadable_secret_file_names_the_file(tmp_path: Path) -> None:
    """A missing file is an error naming it and the flag, with the system's reason."""
    missing = tmp_path / "missing"
    with pytest.raises(ConfigurationError, match="No such file"):
        webhook_secret({}, str(missing))


@pytest.mark.parametrize(
    ("listen", "url"),
    [
        ("127.0.0.1:9400", "http://127.0.0.1:9400"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        (":8080", "http://127.0.0.1:8080"),
        ("[::]:9400", "http://[::1]:9400"),
        ("[fd00::5]:9400", "http://[fd00::5]:9400"),
        ("reconciler.internal:80", "http://reconciler.internal:80"),
    ],
)
def test_the_local_url_of_a_listen_address(listen: str, url: str) -> None:
    """A wildcard host is reached on loopback; any other host as it is."""
    assert local_url(listen) == url


@pytest.mark.parametrize(
    ("value", "ledger", "shards"),
    [
        (None, None, 1),
        ("1", None, 1),
        ("3", "postgresql://r@db/r", 3),
        (" 2", "postgresql://r@db/r", 2),
    ],
)
def test_the_shard_count(value: str | None, ledger: str | None, shards: int) -> None:
    """No `--shards` is one shard; N shards need a PostgreSQL ledger."""
    assert shard_count(value, ledger) == shards


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", ""])
def test_a_bad_shard_count_names_the_flag(value: str) -> None:
    """A count that is not a whole number of at least 1 is one sentence naming `--shards`."""
    with pytest.raises(ConfigurationError, match="--shards must be a whole number"):
        shard_count(value, "postgresql://r@db/r")


def test_shards_without_a_shared_ledger_are_refused() -> None:
    """`--shards 3` on SQLite is refused: shards need a ledger the replicas share."""
    with pytest.raises(ConfigurationError, match="--shards needs a PostgreSQL ledger"):
        shard_count("3", None)
