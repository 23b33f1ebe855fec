"""Every validation rule, one small repository per rule, through the `validate` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli.main import main
from tests.support.repos import CASES, VALIDATE_BASE, overlay

INVALID = sorted((CASES / "validate" / "invalid").iterdir())
VALID = sorted((CASES / "validate" / "valid").iterdir())
LITERAL_SECRETS = ("s3cr3t-core-token-value", "s3cr3t-hec-token-value", "s3cr3t-password-value")


def test_base_case_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    """The base repository every case starts from is valid, so each case breaks one rule only."""
    assert main(["validate", str(VALIDATE_BASE)]) == 0
    assert "valid: 2 Core(s), 2 pipeline(s) (2 assigned)" in capsys.readouterr().out


@pytest.mark.parametrize("case", VALID, ids=[case.name for case in VALID])
def test_valid_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Legitimate variations of the format (nesting, anchors, pins, references) validate."""
    repo = overlay(VALIDATE_BASE, case, tmp_path / "repo")
    code = main(["validate", str(repo)])
    assert (code, capsys.readouterr().err) == (0, "")


@pytest.mark.parametrize("case", INVALID, ids=[case.name for case in INVALID])
def test_invalid_case(case: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The case exits 1 and prints exactly its expected `path:line: message` lines."""
    repo = overlay(VALIDATE_BASE, case, tmp_path / "repo")
    expected = (case / "expected.txt").read_text().splitlines()

    code = main(["validate", str(repo)])

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.splitlines() == expected
    assert f"invalid: {len(expected)} problem(s)" in captured.err
    for secret in LITERAL_SECRETS:
        assert secret not in captured.out + captured.err


def test_every_rule_has_a_case() -> None:
    """The table holds at least thirty cases, each with one expected problem."""
    assert len(INVALID) >= 30
    for case in INVALID:
        assert len((case / "expected.txt").read_text().splitlines()) == 1, case.name


def test_problems_are_all_reported_and_sorted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Several broken files at once: every problem is printed, sorted by file and line."""
    repo = overlay(VALIDATE_BASE, CASES / "validate" / "invalid" / "unknown-key", tmp_path / "r")
    for name in ("dangling-pipeline-task", "literal-core-token", "stray-yaml-file"):
        overlay_into(CASES / "validate" / "invalid" / name, repo)

    assert main(["validate", str(repo)]) == 1

    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4
    assert lines == sorted(lines, key=sort_key)


def overlay_into(case: Path, repo: Path) -> None:
    for source in case.rglob("*.yaml"):
        destination = repo / source.relative_to(case)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(source.read_bytes())


def sort_key(line: str) -> tuple[str, int]:
    path, line_number, _rest = line.split(":", 2)
    return path, int(line_number)


def test_missing_repository_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder that does not exist exits 2 with one sentence naming it."""
    assert main(["validate", str(tmp_path / "nowhere")]) == 2
    assert f"repository folder {tmp_path / 'nowhere'} does not exist" in capsys.readouterr().err
