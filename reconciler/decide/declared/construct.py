"""Turn one schema-valid document body into its model value (SPEC §2 kinds).

Bodies reaching here have passed their JSON Schema, so shapes are trusted; defaults of §2 are
filled in here and nowhere else. Pure module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import Any

from reconciler.decide.model import (
    ActionVerb,
    Assignment,
    Connector,
    ConnectorType,
    Core,
    CoreAction,
    DeployAll,
    Kind,
    Origin,
    Pipeline,
    Query,
    Rollout,
    SecretRef,
    Settings,
    Stream,
    Task,
    TaskMode,
    Tls,
)

Body = Mapping[str, Any]
Declared = (
    Settings
    | Core
    | Stream
    | Connector
    | Task
    | Query
    | Pipeline
    | Assignment
    | DeployAll
    | CoreAction
)


def secret_ref(value: Mapping[str, str]) -> SecretRef:
    return SecretRef(env=value.get("env"), file=value.get("file"))


def marker_id(body: Body, origin: Origin) -> str:
    """A marker's id: its `id` key, else the file name without its suffix."""
    explicit = body.get("id")
    return str(explicit) if explicit is not None else PurePosixPath(origin.path).stem


def settings(body: Body, origin: Origin) -> Settings:
    rollout = body.get("rollout", {})
    return Settings(
        report_dir=body.get("report_dir", "status"),
        rollout=Rollout(
            max_failed_cores=rollout.get("max_failed_cores"),
            parallelism=rollout.get("parallelism", 16),
        ),
        allowed_signers=tuple(body.get("deploy", {}).get("allowed_signers", ())),
        origin=origin,
    )


def core(body: Body, origin: Origin) -> Core:
    tls = body.get("tls", {})
    return Core(
        name=body["name"],
        url=body["url"].rstrip("/"),
        token=secret_ref(body["token"]),
        origin=origin,
        tls=Tls(verify=tls.get("verify", True), ca_file=tls.get("ca_file")),
        labels=dict(body.get("labels", {})),
    )


def stream(body: Body, origin: Origin) -> Stream:
    return Stream(
        name=body["name"],
        origin=origin,
        wal=body.get("wal"),
        retention=body.get("retention"),
        backpressure=body.get("backpressure"),
    )


def connector(body: Body, origin: Origin) -> Connector:
    return Connector(
        name=body["name"],
        type=ConnectorType(body["type"]),
        class_=body["class"],
        stream=body["stream"],
        origin=origin,
        enabled=body.get("enabled", True),
        config=body["config"],
    )


def task(body: Body, origin: Origin) -> Task:
    return Task(
        name=body["name"],
        mode=TaskMode(body["mode"]),
        source_stream=body["source_stream"],
        sink_streams=tuple(body["sink_streams"]),
        origin=origin,
        query=body.get("query"),
        query_ids=tuple(body.get("query_ids", ())),
    )


def query(body: Body, origin: Origin) -> Query:
    return Query(body["name"], body["pdl"], origin, body.get("description"))


def pipeline(body: Body, origin: Origin) -> Pipeline:
    return Pipeline(
        name=body["name"],
        source=body["source"],
        task_ids=tuple(body.get("task_ids", ())),
        sinks=tuple(body["sinks"]),
        origin=origin,
    )


def assignment(body: Body, origin: Origin) -> Assignment:
    return Assignment(
        pipeline=body["pipeline"],
        origin=origin,
        cores=tuple(body.get("cores", ())),
        selector=dict(body.get("selector", {})),
    )


def deploy_all(body: Body, origin: Origin) -> DeployAll:
    return DeployAll(
        marker_id(body, origin),
        body["reason"],
        origin,
        body.get("expect_plan"),
        body.get("revision"),
    )


def core_action(body: Body, origin: Origin) -> CoreAction:
    return CoreAction(
        id=marker_id(body, origin),
        action=ActionVerb(body["action"]),
        pipeline=body["pipeline"],
        origin=origin,
        cores=tuple(body.get("cores", ())),
    )


BUILDERS: dict[Kind, Callable[[Body, Origin], Declared]] = {
    Kind.SETTINGS: settings,
    Kind.CORE: core,
    Kind.STREAM: stream,
    Kind.CONNECTOR: connector,
    Kind.TASK: task,
    Kind.QUERY: query,
    Kind.PIPELINE: pipeline,
    Kind.ASSIGNMENT: assignment,
    Kind.DEPLOY_ALL: deploy_all,
    Kind.CORE_ACTION: core_action,
}
