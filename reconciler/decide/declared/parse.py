"""From the files of a repository to a `DeclaredState`, or every problem with it at once.

The story: place each file in the layout, parse its YAML within the limits, check each document's
kind and schema, build the model values, find duplicates, then run the cross-document rules.
A file the reader could not read (too large, a symlink leaving the repository) arrives with the
reason instead of bytes and is reported like any other problem.

The per-file part (`parse_file`) depends on nothing but the file's path and bytes, so a caller
that reads many revisions of one repository may remember its results by Git blob id and hand them
back through `parse_repository(..., parse_one=...)`: only the assembly and the cross-document
rules then run again. Pure module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from reconciler.decide.declared import construct, layout, validation
from reconciler.decide.declared.construct import Declared
from reconciler.decide.declared.documents import CEILINGS, Document, Limits, parse_yaml
from reconciler.decide.declared.schemas import schema_problems
from reconciler.decide.model import (
    NAME_PATTERN,
    Assignment,
    Connector,
    Core,
    CoreAction,
    DeclaredState,
    DeployAll,
    Kind,
    Origin,
    Pipeline,
    Query,
    SecretRef,
    Settings,
    Stream,
    Task,
)
from reconciler.decide.trust import TokenPolicy
from reconciler.errors import DeclarationError, Problem

_NAME = re.compile(NAME_PATTERN)
_T = TypeVar("_T", bound=Any)

StateAt = DeclaredState | DeclarationError
"""The declared state at a revision, or why it is invalid (every problem, sorted)."""


@dataclass(frozen=True, slots=True)
class RepoFile:
    """One candidate file as a reader found it: its bytes, or why it could not be read."""

    path: str
    data: bytes = b""
    refused: str | None = None
    blob: str | None = None
    """The Git blob id the bytes were read from (a plain file in a Git tree), else None."""


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """What one file yields on its own: model values, names it broke, and its problems."""

    path: str
    objects: tuple[tuple[Kind, Declared], ...] = ()
    broken: tuple[tuple[Kind, str], ...] = ()
    located: tuple[tuple[tuple[Kind, str], Document], ...] = ()
    problems: tuple[Problem, ...] = ()


@dataclass(slots=True)
class _Found:
    """What the documents of a repository yielded so far (private accumulator)."""

    objects: dict[Kind, list[Declared]] = field(default_factory=dict)
    broken: dict[Kind, set[str]] = field(default_factory=dict)
    located: dict[tuple[Kind, str], Document] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def parse_repository(
    files: Iterable[RepoFile],
    limits: Limits = Limits(),
    parse_one: Callable[[RepoFile], ParsedFile] | None = None,
    tokens: TokenPolicy = TokenPolicy(),
) -> DeclaredState:
    """The declared state of a repository; raises DeclarationError listing every problem.

    `parse_one` stands in for `parse_file` with these limits (a cache of earlier results).
    `tokens` is what the operator allows Core files to name (`reconciler.decide.trust`); token
    and CA file paths come back resolved as they will be read.
    """
    wanted = (f for f in files if f.refused is not None or layout.is_candidate(f.path))
    candidates = sorted(wanted, key=lambda f: f.path)
    found = _Found()
    report_dir, limits = _read_ahead(candidates, limits)
    too_many = _too_many(candidates, limits)
    if too_many:
        found.problems.append(Problem(".", 1, too_many))
        raise DeclarationError(found.problems)
    one = parse_one or (lambda repo_file: parse_file(repo_file, limits))
    for repo_file in candidates:
        if not layout.is_report(repo_file.path, report_dir):
            _merge(one(repo_file), found)
    state = _confined(_assemble(found), found, tokens)
    found.problems.extend(validation.cross_check(state, found.located, found.broken))
    if found.problems:
        raise DeclarationError(found.problems)
    return state


def parse_file(repo_file: RepoFile, limits: Limits = Limits()) -> ParsedFile:
    """One file on its own: its documents checked and built, before any cross-document rule."""
    found = _Found()
    _read_file(repo_file, limits, found)
    return ParsedFile(
        path=repo_file.path,
        objects=tuple((kind, value) for kind, values in found.objects.items() for value in values),
        broken=tuple((kind, name) for kind, names in found.broken.items() for name in names),
        located=tuple(found.located.items()),
        problems=tuple(found.problems),
    )


def _merge(parsed: ParsedFile, found: _Found) -> None:
    for kind, value in parsed.objects:
        found.objects.setdefault(kind, []).append(value)
    for kind, name in parsed.broken:
        found.broken.setdefault(kind, set()).add(name)
    for key, document in parsed.located:
        found.located.setdefault(key, document)
    found.problems.extend(parsed.problems)


def report_dir(candidates: Iterable[RepoFile], limits: Limits = Limits()) -> str:
    """The configured report folder (`reconciler.yaml`'s `report_dir`, else `status`)."""
    return _read_ahead(list(candidates), limits)[0]


def _read_ahead(candidates: list[RepoFile], limits: Limits) -> tuple[str, Limits]:
    """The report folder (skipped as input) and the limits `reconciler.yaml` sets, read first."""
    for repo_file in candidates:
        if repo_file.path == layout.SETTINGS_FILE and repo_file.refused is None:
            documents, _problems = parse_yaml(repo_file.path, repo_file.data, limits)
            for document in documents:
                body = document.body if isinstance(document.body, dict) else {}
                value = body.get("report_dir")
                report_dir = value if isinstance(value, str) and _NAME.match(value) else None
                return report_dir or layout.DEFAULT_REPORT_DIR, limits.raised(body)
    return layout.DEFAULT_REPORT_DIR, limits


def _too_many(candidates: list[RepoFile], limits: Limits) -> str | None:
    """Why the repository as a whole is refused unread, or None."""
    hint = f"(`limits` in {layout.SETTINGS_FILE} can raise it up to {{}})"
    if len(candidates) > limits.max_files:
        ceiling = CEILINGS["max_files"]
        return f"more than {limits.max_files} YAML files {hint.format(ceiling)}"
    if sum(len(f.data) for f in candidates) > limits.max_total_bytes:
        ceiling = CEILINGS["max_total_bytes"]
        return f"more than {limits.max_total_bytes} bytes of YAML {hint.format(ceiling)}"
    return None


def _read_file(repo_file: RepoFile, limits: Limits, found: _Found) -> None:
    expected = layout.kind_for(repo_file.path)
    if expected is None:
        found.problems.append(Problem(repo_file.path, 1, layout.stray_message()))
        return
    if repo_file.refused is not None:
        found.problems.append(Problem(repo_file.path, 1, repo_file.refused))
        found.broken.setdefault(expected, set()).add(validation.UNKNOWN_NAMES)
        return
    documents, problems = parse_yaml(repo_file.path, repo_file.data, limits)
    found.problems.extend(problems)
    if problems:
        found.broken.setdefault(expected, set()).add(validation.UNKNOWN_NAMES)
    for document in documents:
        if document.body is not None:
            _read_document(document, expected, found)


def _read_document(document: Document, expected: Kind, found: _Found) -> None:
    problem = _kind_problem(document, expected)
    if problem is not None:
        found.problems.append(problem)
        return
    problems = schema_problems(document, expected) + validation.literal_secrets(document, expected)
    if problems:
        found.problems.extend(problems)
        name = document.body.get("name", document.body.get("pipeline"))
        if isinstance(name, str):
            found.broken.setdefault(expected, set()).add(name)
        return
    value = construct.BUILDERS[expected](document.body, document.origin)
    found.objects.setdefault(expected, []).append(value)
    found.located.setdefault((expected, _key_of(value)), document)


def _key_of(value: Declared) -> str:
    if isinstance(value, Settings):
        return layout.SETTINGS_FILE
    if isinstance(value, Assignment):
        return value.pipeline
    if isinstance(value, DeployAll | CoreAction):
        return value.id
    return value.name


def _kind_problem(document: Document, expected: Kind) -> Problem | None:
    path, line = document.origin.path, document.origin.line
    if not isinstance(document.body, dict):
        return Problem(path, line, "a document must be a mapping with 'apiVersion' and 'kind'")
    kind = document.body.get("kind")
    if kind is None:
        return Problem(path, line, f"missing 'kind' (this folder holds {expected.value})")
    if kind == expected.value:
        return None
    line = document.line_at(["kind"])
    if kind not in {known.value for known in Kind}:
        return Problem(path, line, f"unknown kind {kind!r} (this folder holds {expected.value})")
    home = _home_of(Kind(kind))
    return Problem(path, line, f"a {kind} document does not belong here; it goes in {home}")


def _home_of(kind: Kind) -> str:
    if kind is Kind.SETTINGS:
        return layout.SETTINGS_FILE
    return next(f"{folder}/" for folder, held in layout.FOLDERS.items() if held is kind)


def _assemble(found: _Found) -> DeclaredState:
    """Key every kind by name (markers by id, assignments by pipeline), reporting duplicates."""
    settings_list = _of(found, Kind.SETTINGS, Settings)
    for extra in settings_list[1:]:
        assert extra.origin is not None
        found.problems.append(
            Problem(extra.origin.path, extra.origin.line, "only one Settings document is allowed")
        )
    markers = _keyed(found, _of(found, Kind.DEPLOY_ALL, DeployAll), "id")
    actions = _keyed(found, _of(found, Kind.CORE_ACTION, CoreAction), "id")
    origins = [(m.id, m.origin) for m in markers.values()]
    origins += [(a.id, a.origin) for a in actions.values()]
    for marker_id, origin in origins:
        if not _NAME.fullmatch(marker_id):
            found.problems.append(_bad_marker_id(origin))
    return DeclaredState(
        settings=settings_list[0] if settings_list else Settings(),
        cores=_keyed(found, _of(found, Kind.CORE, Core)),
        streams=_keyed(found, _of(found, Kind.STREAM, Stream)),
        connectors=_keyed(found, _of(found, Kind.CONNECTOR, Connector)),
        tasks=_keyed(found, _of(found, Kind.TASK, Task)),
        queries=_keyed(found, _of(found, Kind.QUERY, Query)),
        pipelines=_keyed(found, _of(found, Kind.PIPELINE, Pipeline)),
        assignments=_keyed(found, _of(found, Kind.ASSIGNMENT, Assignment), "pipeline"),
        deploy_markers=markers,
        actions=actions,
    )


def _confined(state: DeclaredState, found: _Found, tokens: TokenPolicy) -> DeclaredState:
    """Every Core's token reference checked against `tokens`; file paths resolved as read."""
    cores = {}
    for name, core in state.cores.items():
        token = core.token
        if token.file is not None:
            token = SecretRef(file=tokens.resolve(token.file))
        problem = (
            tokens.env_problem(token.env) if token.env else tokens.file_problem(token.file or "")
        )
        if problem is not None:
            document = found.located.get((Kind.CORE, name))
            line = document.line_at(["token"]) if document else core.origin.line
            found.problems.append(Problem(core.origin.path, line, f"core {name}: token {problem}"))
        cores[name] = replace(core, token=token)
    return replace(state, cores=cores)


def _of(found: _Found, kind: Kind, cls: type[_T]) -> list[_T]:
    return [value for value in found.objects.get(kind, []) if isinstance(value, cls)]


def _keyed(found: _Found, values: list[_T], key: str = "name") -> dict[str, _T]:
    table: dict[str, _T] = {}
    for value in values:
        name = str(getattr(value, key))
        first = table.setdefault(name, value)
        if first is not value:
            kind = type(value).__name__
            found.problems.append(_duplicate(kind, key, name, value.origin, first.origin))
    return table


def _duplicate(kind: str, key: str, name: str, origin: Origin, first: Origin) -> Problem:
    if key == "pipeline":
        what = f"second Assignment for pipeline {name!r}"
    else:
        what = f"duplicate {kind} {key} {name!r}"
    return Problem(origin.path, origin.line, f"{what} (first at {first})")


def _bad_marker_id(origin: Origin) -> Problem:
    return Problem(
        origin.path,
        origin.line,
        "the file name is not a valid marker id; rename the file or set 'id' "
        "(lowercase letters, digits, '_', '.', '-')",
    )
