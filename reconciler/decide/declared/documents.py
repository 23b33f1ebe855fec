"""Safe, bounded YAML parsing: the bytes of one file become located documents or problems.

YAML is composed into a node graph first (libyaml's C parser when present), and the graph is
checked before anything is constructed: document count, alias count, nesting depth, the size the
graph would have with every alias expanded (so an alias bomb fails in microseconds instead of
eating memory), duplicate keys, plain string keys. Then the document is built, and a value that
is not plain JSON data (a binary, a set, a non-finite number) is refused as it is met.

The line of every key is found only when a message needs one (`Document.line_at`): the file's
text is kept with each document and composed again then. A valid repository, the common case,
never pays for lines.

Timestamps stay strings (YAML 1.1 would turn `2024-01-01` into a date). Pure module.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
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
    max_files: int = 200_000
    """YAML files in one repository (10,000 pipelines one file per object are 51,501)."""
    max_total_bytes: int = 256 << 20
    """Bytes of YAML in one repository."""

    def raised(self, settings: object) -> Limits:
        """These limits with the `limits` of a `reconciler.yaml` body, each within its ceiling.

        Only the caps that grow with the fleet are settable; a value that is not a whole number
        between 1 and its ceiling is ignored here (the settings schema names it as a problem).
        """
        wanted = settings.get("limits") if isinstance(settings, Mapping) else None
        if not isinstance(wanted, Mapping):
            return self
        changes = {
            name: value
            for name, ceiling in CEILINGS.items()
            if isinstance(value := wanted.get(name), int)
            and not isinstance(value, bool)
            and 1 <= value <= ceiling
        }
        return replace(self, **changes) if changes else self


CEILINGS: Mapping[str, int] = {"max_files": 1_000_000, "max_total_bytes": 1 << 30}
"""How far `reconciler.yaml` may raise each settable limit: the reader's own bound."""


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document: where it starts, its plain-data body, and where its keys are.

    `source` is the file's text and the document's index in it: the lines of its keys are read
    from there the first time a message needs one, and kept.
    """

    origin: Origin
    body: Any
    source: tuple[str, int] | None = field(default=None, compare=False, repr=False)
    _lines: dict[KeyPath, int] = field(default_factory=dict, compare=False, repr=False)

    def line_at(self, path: Sequence[str | int]) -> int:
        """The line of the deepest key on `path` in the document (its first line if none)."""
        if not self._lines and self.source is not None:
            self._lines.update(_lines_of(*self.source))
        for end in range(len(path), 0, -1):
            line = self._lines.get(tuple(path[:end]))
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
            _check(node, limits)
            body = loader.construct_document(node)
            documents.append(Document(Origin(path, _line(node)), body, (text, len(documents))))
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


def _check(root: yaml.Node, limits: Limits) -> None:
    """Walk the node graph once, enforcing the limits, before anything is constructed.

    Without an alias the walk has met every node once, so the expanded size is bounded by the
    file size limit already and is not counted again.
    """
    seen: set[int] = set()
    aliases = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            aliases += 1
            if aliases > limits.max_aliases:
                raise _Refused(_line(root), f"document uses more than {limits.max_aliases} aliases")
            continue
        seen.add(id(node))
        if depth > limits.max_depth:
            raise _Refused(_line(node), f"document nests deeper than {limits.max_depth} levels")
        if isinstance(node, yaml.MappingNode):
            _check_keys(node)
            stack.extend((value, depth + 1) for _key, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
    if aliases and _expanded_size(root, {}, set(), 0, limits) > limits.max_nodes:
        raise _Refused(
            _line(root), f"document expands to more than {limits.max_nodes} nodes (alias bomb?)"
        )


def _check_keys(node: yaml.MappingNode) -> None:
    keys: set[str] = set()
    for key_node, _value in node.value:
        if not (isinstance(key_node, yaml.ScalarNode) and key_node.tag in _KEY_TAGS):
            raise _Refused(_line(key_node), "mapping keys must be plain strings")
        if key_node.value in keys:
            raise _Refused(_line(key_node), f"duplicate key {key_node.value!r}")
        keys.add(key_node.value)


def _lines_of(text: str, index: int) -> dict[KeyPath, int]:
    """The line of every key path of the `index`-th document of `text` (composed again)."""
    loader = _Loader(text)
    try:
        for _document in range(index + 1):
            loader.check_node()  # the C parser needs it before each get_node
            root = loader.get_node()
    finally:
        loader.dispose()
    return {path: line for node, path, _depth, line in _walk(root, set()) if node is not None}


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
    return [
        (value_node, (*path, str(key_node.value)), depth + 1, _line(key_node))
        for key_node, value_node in node.value
    ]


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


def _not_plain(loader: Any, node: yaml.Node) -> Any:
    """A YAML value that is not plain JSON data (a binary, a set, pairs, a date)."""
    kind = node.tag.rsplit(":", 1)[-1]
    raise _Refused(_line(node), f"value of YAML type {kind} is not plain data")


def _finite_float(loader: Any, node: yaml.Node) -> float:
    value: float = _BaseLoader.construct_yaml_float(loader, node)
    if not math.isfinite(value):
        raise _Refused(_line(node), "numbers must be finite (no .nan or .inf)")
    return value


for _tag in ("binary", "set", "omap", "pairs", "timestamp"):
    _Loader.add_constructor(f"tag:yaml.org,2002:{_tag}", _not_plain)
_Loader.add_constructor("tag:yaml.org,2002:float", _finite_float)
