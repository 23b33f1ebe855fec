"""Safe, bounded YAML parsing: the bytes of one file become located documents or problems.

YAML is composed into a node graph first (libyaml's C parser when present), and the graph is
checked before anything is constructed: document count, alias count, nesting depth, the size the
graph would have with every alias expanded (so an alias bomb fails in microseconds instead of
eating memory), duplicate keys, and JSON-only values. Only then is the document built, with the
line of every key kept so that later messages can point at the exact line.

Timestamps stay strings (YAML 1.1 would turn `2024-01-01` into a date). Pure module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from reconciler.decide.model import Origin
from reconciler.errors import Problem

_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_KEY_TAGS = frozenset({"tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"})

KeyPath = tuple[str | int, ...]


class _Loader(_BaseLoader):  # type: ignore[misc]
    """The safe loader, without the implicit timestamp type."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one repository may make the parser do."""

    max_file_bytes: int = 1 << 20
    """A larger file is refused unread."""
    max_documents: int = 200
    """Documents in one file."""
    max_aliases: int = 100
    """Alias uses in one document."""
    max_nodes: int = 200_000
    """Nodes in one document with every alias expanded: what an alias bomb inflates."""
    max_depth: int = 64
    """Nesting of mappings and sequences."""
    max_files: int = 20_000
    """YAML files in one repository."""


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document: where it starts, its plain-data body, and the line of every key."""

    origin: Origin
    body: Any
    lines: Mapping[KeyPath, int] = field(default_factory=dict)

    def line_at(self, path: Sequence[str | int]) -> int:
        """The line of the deepest key on `path` that the document records."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return self.origin.line


def format_path(path: Sequence[str | int]) -> str:
    """A key path as a person writes it: `config.authentication.password`, `sinks[1]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Refused(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def parse_yaml(
    path: str, data: bytes, limits: Limits = Limits()
) -> tuple[list[Document], list[Problem]]:
    """Parse every document of one file; on any problem the file yields no documents."""
    try:
        text = _decode(data, limits)
        return _documents(path, text, limits), []
    except _Refused as refused:
        return [], [Problem(path, refused.line, refused.message)]


def _decode(data: bytes, limits: Limits) -> str:
    if len(data) > limits.max_file_bytes:
        raise _Refused(1, f"file is larger than the {limits.max_file_bytes} byte limit")
    if b"\x00" in data:
        raise _Refused(1, "file is binary (it contains NUL bytes), not YAML")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise _Refused(line, f"file is not valid UTF-8 (byte {data[error.start]:#04x})") from error


def _documents(path: str, text: str, limits: Limits) -> list[Document]:
    loader = _Loader(text)
    documents: list[Document] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if len(documents) == limits.max_documents:
                raise _Refused(_line(node), f"file has more than {limits.max_documents} documents")
            lines = _check(node, limits)
            body = _plain(loader.construct_document(node), _line(node))
            documents.append(Document(Origin(path, _line(node)), body, lines))
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise _Refused(line, f"unsupported YAML value: {error.problem}") from error
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise _Refused(line, f"YAML syntax error: {error.problem or error.context}") from error
    except yaml.YAMLError as error:
        raise _Refused(1, f"YAML error: {error}") from error
    finally:
        loader.dispose()
    return documents


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _check(root: yaml.Node, limits: Limits) -> dict[KeyPath, int]:
    """Walk the node graph once, enforcing the limits; returns the line of every key path."""
    lines: dict[KeyPath, int] = {}
    seen: set[int] = set()
    aliases = 0
    for node, path, depth, line in _walk(root, seen):
        if node is None:
            aliases += 1
            if aliases > limits.max_aliases:
                raise _Refused(_line(root), f"document uses more than {limits.max_aliases} aliases")
            continue
        if depth > limits.max_depth:
            raise _Refused(line, f"document nests deeper than {limits.max_depth} levels")
        lines[path] = line
    if _expanded_size(root, {}, set(), 0, limits) > limits.max_nodes:
        raise _Refused(
            _line(root), f"document expands to more than {limits.max_nodes} nodes (alias bomb?)"
        )
    return lines


def _walk(root: yaml.Node, seen: set[int]) -> Iterator[tuple[yaml.Node | None, KeyPath, int, int]]:
    """Yield (node, key path, depth, line) once per node; a node met again is an alias (None).

    The line of a mapping value is its key's line: that is where a person looks.
    """
    stack: list[tuple[yaml.Node, KeyPath, int, int]] = [(root, (), 0, _line(root))]
    while stack:
        node, path, depth, line = stack.pop()
        if id(node) in seen:
            yield None, path, depth, line
            continue
        seen.add(id(node))
        yield node, path, depth, line
        stack.extend(_children(node, path, depth))


def _children(
    node: yaml.Node, path: KeyPath, depth: int
) -> list[tuple[yaml.Node, KeyPath, int, int]]:
    if isinstance(node, yaml.SequenceNode):
        return [
            (item, (*path, index), depth + 1, _line(item)) for index, item in enumerate(node.value)
        ]
    if not isinstance(node, yaml.MappingNode):
        return []
    children: list[tuple[yaml.Node, KeyPath, int, int]] = []
    keys: set[str] = set()
    for key_node, value_node in node.value:
        if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag in _KEY_TAGS):
            raise _Refused(_line(key_node), "mapping keys must be plain strings")
        key = str(key_node.value)
        if key in keys:
            raise _Refused(_line(key_node), f"duplicate key {key!r}")
        keys.add(key)
        children.append((value_node, (*path, key), depth + 1, _line(key_node)))
    return children


def _expanded_size(
    node: yaml.Node, memo: dict[int, int], active: set[int], depth: int, limits: Limits
) -> int:
    """The node count with aliases expanded, memoised per node; refuses cycles and deep nesting."""
    known = memo.get(id(node))
    if known is not None:
        return known
    if id(node) in active:
        raise _Refused(_line(node), "document refers to itself through an alias")
    if depth > limits.max_depth:
        raise _Refused(_line(node), f"document nests deeper than {limits.max_depth} levels")
    active.add(id(node))
    total = 1
    for child in _child_nodes(node):
        total += _expanded_size(child, memo, active, depth + 1, limits)
        if total > limits.max_nodes:
            break
    active.discard(id(node))
    memo[id(node)] = total
    return total


def _child_nodes(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [value for _key, value in node.value]
    return []


def _plain(value: Any, line: int) -> Any:
    """Check that a constructed value is plain JSON data (strings, numbers, booleans, null)."""
    if isinstance(value, dict):
        return {key: _plain(item, line) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item, line) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        raise _Refused(line, "numbers must be finite (no .nan or .inf)")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise _Refused(line, f"value of YAML type {type(value).__name__} is not plain data")
