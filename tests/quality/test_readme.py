"""The README's commands are the ones the project really runs."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from reconciler.cli.main import build_parser

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    """The commands of the first shell block of the README, without their comments."""
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.DOTALL)
    assert block is not None
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_install_run_and_test_commands() -> None:
    """The README opens with one line to install and run, and one to install and test."""
    install_and_run, install_and_test = readme_commands()
    assert install_and_run.startswith("pip install -e . && reconciler ")
    assert install_and_test == "bash .ci/packages && pip install -e '.[test]' && pytest"


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """`.ci/run` ends with the README's test command, verbatim."""
    ci_lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci_lines[-1] == readme_commands()[1]


def test_every_flag_says_what_it_does() -> None:
    """Every argument of every command has help text, and no help cites a path the wheel lacks."""
    missing, citing = [], []

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        texts = [parser.description or ""]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub_name, sub in action.choices.items():
                    walk(sub, f"{name} {sub_name}")
            elif not isinstance(action, argparse._HelpAction | argparse._VersionAction):
                if not action.help:
                    missing.append(f"{name} {'/'.join(action.option_strings) or action.dest}")
                texts.append(action.help or "")
        citing.extend(f"{name}: {text}" for text in texts if "SPEC" in text)

    walk(build_parser(), "reconciler")
    assert (missing, citing) == ([], [])
