"""The repository layout of SPEC §2: which files are input, and which kind each folder holds.

Paths are relative to the repository root with POSIX separators. Folders may nest below their
known folder (`cores/eu/edge-1.yaml` is a Core file). Pure module.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.decide.model import Kind

SETTINGS_FILE = "reconciler.yaml"
YAML_SUFFIXES = (".yaml", ".yml")
FOLDERS: dict[str, Kind] = {
    "cores": Kind.CORE,
    "registry/streams": Kind.STREAM,
    "registry/connectors": Kind.CONNECTOR,
    "registry/tasks": Kind.TASK,
    "registry/queries": Kind.QUERY,
    "registry/pipelines": Kind.PIPELINE,
    "assignments": Kind.ASSIGNMENT,
    "deploy": Kind.DEPLOY_ALL,
    "actions": Kind.CORE_ACTION,
}
DEFAULT_REPORT_DIR = "status"


def looks_like_repository(paths: Iterable[str]) -> bool:
    """Whether a tree is a reconciler repository at all: it has a Core file or the settings.

    A folder with neither is most likely a wrong path (an empty result would hide that).
    """
    return any(path == SETTINGS_FILE or path.startswith("cores/") for path in paths)


def not_a_repository(where: str) -> str:
    """The sentence for a tree that does not look like a reconciler repository."""
    return (
        f"{where} does not look like a reconciler repository: it has no cores/ folder and no "
        f"{SETTINGS_FILE}"
    )


def is_candidate(path: str) -> bool:
    """Whether a reader should read this file at all: YAML, and not under a dot-folder."""
    parts = _parts(path)
    return path.endswith(YAML_SUFFIXES) and not any(part.startswith(".") for part in parts)


def is_report(path: str, report_dir: str) -> bool:
    """Whether the file lies in a generated report folder, which is never input."""
    parts = _parts(path)
    return bool(parts) and parts[0] in (report_dir, DEFAULT_REPORT_DIR)


def _parts(path: str) -> list[str]:
    """A relative POSIX path's parts, as `PurePosixPath(path).parts` has them (fast: a pass
    touches every path of the repository)."""
    return [part for part in path.split("/") if part and part != "."]


def kind_for(path: str) -> Kind | None:
    """The kind a candidate file holds, or None when the file lies outside the known folders."""
    if path == SETTINGS_FILE:
        return Kind.SETTINGS
    for folder, kind in FOLDERS.items():
        if path.startswith(folder + "/"):
            return kind
    return None


def stray_message() -> str:
    """What to say about a YAML file outside the known folders."""
    known = ", ".join(f"{folder}/" for folder in FOLDERS)
    return f"YAML file outside the known folders ({SETTINGS_FILE}, {known})"
