"""The declared state of SPEC §2 as frozen values: one dataclass per kind, plus the whole state.

Every declared object remembers where it came from (`Origin`), so that any later message can name
the file and line a person has to open. Field names match the YAML keys (`class_` stands for the
YAML key `class`, a Python keyword).

Pure module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

API_VERSION = "reconciler/v1"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}(?!\n)$"


class Kind(StrEnum):
    """The document kinds of SPEC §2."""

    SETTINGS = "Settings"
    CORE = "Core"
    STREAM = "Stream"
    CONNECTOR = "Connector"
    TASK = "Task"
    QUERY = "Query"
    PIPELINE = "Pipeline"
    ASSIGNMENT = "Assignment"
    DEPLOY_ALL = "DeployAll"
    CORE_ACTION = "CoreAction"


class ComponentKind(StrEnum):
    """The registry resources a Core holds; the value is the API collection name."""

    STREAM = "streams"
    QUERY = "queries"
    CONNECTOR = "connectors"
    TASK = "tasks"

    @property
    def singular(self) -> str:
        """One of them, as messages name it: `stream`, `query`, `connector`, `task`."""
        return "query" if self is ComponentKind.QUERY else self.value.removesuffix("s")


class ConnectorType(StrEnum):
    SOURCE = "source"
    SINK = "sink"


class TaskMode(StrEnum):
    PROCESSING = "processing"
    DETECTION = "detection"


class ActionVerb(StrEnum):
    START = "start"
    STOP = "stop"
    RESTART = "restart"


@dataclass(frozen=True, slots=True, order=True)
class Origin:
    """A document's file (relative to the repository root, POSIX separators) and 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret lives: an environment variable or a file on the daemon's host."""

    env: str | None = None
    file: str | None = None

    def __str__(self) -> str:
        return f"env {self.env}" if self.env is not None else f"file {self.file}"


@dataclass(frozen=True, slots=True)
class Tls:
    """How to verify a Core's certificate; verification is on unless a Core's file turns it off."""

    verify: bool = True
    ca_file: str | None = None


@dataclass(frozen=True, slots=True)
class Core:
    name: str
    url: str
    token: SecretRef
    origin: Origin
    tls: Tls = Tls()
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stream:
    name: str
    origin: Origin
    wal: bool | None = None
    retention: str | None = None
    backpressure: str | None = None


@dataclass(frozen=True, slots=True)
class Connector:
    name: str
    type: ConnectorType
    class_: str
    stream: str
    origin: Origin
    enabled: bool = True
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    mode: TaskMode
    source_stream: str
    sink_streams: tuple[str, ...]
    origin: Origin
    query: str | None = None
    query_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    name: str
    pdl: str
    origin: Origin
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Pipeline:
    name: str
    source: str
    task_ids: tuple[str, ...]
    sinks: tuple[str, ...]
    origin: Origin


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where a pipeline should run: named Cores and/or every Core whose labels match a selector."""

    pipeline: str
    origin: Origin
    cores: tuple[str, ...] = ()
    selector: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeployAll:
    """A Deploy All marker document (SPEC §4); the id defaults to the file name."""

    id: str
    reason: str
    origin: Origin
    expect_plan: str | None = None
    revision: str | None = None
    """A rollback: deploy the declared state at this commit (an ancestor of the marker's own
    commit) instead of the marker commit's."""


@dataclass(frozen=True, slots=True)
class CoreAction:
    """A Core Action marker document (SPEC §5)."""

    id: str
    action: ActionVerb
    pipeline: str
    origin: Origin
    cores: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rollout:
    max_failed_cores: int | None = None
    """Stop deploying to the remaining Cores once more than this many have failed (None: never)."""
    parallelism: int = 16
    """How many Cores one Deploy All works on at once."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Repository-level options from `reconciler.yaml`."""

    report_dir: str = "status"
    """The folder the daemon writes its reports to; never read as input."""
    rollout: Rollout = Rollout()
    allowed_signers: tuple[str, ...] = ()
    """Allowed-signers lines for `git verify-commit`; when set, markers must be signed."""
    origin: Origin | None = None


@dataclass(frozen=True, slots=True)
class DeclaredState:
    """Everything a repository declares at one revision, keyed by name (markers by id)."""

    settings: Settings = Settings()
    cores: Mapping[str, Core] = field(default_factory=dict)
    streams: Mapping[str, Stream] = field(default_factory=dict)
    connectors: Mapping[str, Connector] = field(default_factory=dict)
    tasks: Mapping[str, Task] = field(default_factory=dict)
    queries: Mapping[str, Query] = field(default_factory=dict)
    pipelines: Mapping[str, Pipeline] = field(default_factory=dict)
    assignments: Mapping[str, Assignment] = field(default_factory=dict)
    """Keyed by pipeline name: one Assignment per pipeline."""
    deploy_markers: Mapping[str, DeployAll] = field(default_factory=dict)
    actions: Mapping[str, CoreAction] = field(default_factory=dict)
