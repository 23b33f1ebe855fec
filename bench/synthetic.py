"""A synthetic repository of any size, for benchmarks: N pipelines of three steps over C Cores."""

from __future__ import annotations

from reconciler.decide.declared.parse import RepoFile

HEADER = "apiVersion: reconciler/v1\n"


def core(index: int) -> str:
    return (
        f"{HEADER}kind: Core\nname: core-{index}\nurl: https://core-{index}.example.net:8999\n"
        f"token: {{env: PADAS_TOKEN_CORE_{index}}}\nlabels: {{tier: edge, shard: s{index % 4}}}\n"
    )


def pipeline(index: int) -> str:
    """One file holding a pipeline's streams, connectors, task, pipeline and assignment."""
    name = f"p{index}"
    return "---\n".join(
        [
            f"{HEADER}kind: Stream\nname: {name}-raw\nbackpressure: block\n",
            f"{HEADER}kind: Stream\nname: {name}-out\n",
            f"{HEADER}kind: Connector\nname: {name}-in\ntype: source\nclass: file\n"
            f"stream: {name}-raw\nconfig:\n  path: in/{name}.log\n",
            f"{HEADER}kind: Connector\nname: {name}-sink\ntype: sink\nclass: file\n"
            f"stream: {name}-out\nconfig:\n  path: out/{name}.jsonl\n",
            f"{HEADER}kind: Task\nname: {name}-filter\nmode: processing\n"
            f"source_stream: {name}-raw\nsink_streams: [{name}-out]\n"
            f"query: 'status >= 500 | eval pipeline = \"{name}\"'\n",
            f"{HEADER}kind: Pipeline\nname: {name}\nsource: {name}-in\ntask_ids: [{name}-filter]\n"
            f"sinks: [{name}-sink]\n",
        ]
    )


def assignment(index: int) -> str:
    return f"{HEADER}kind: Assignment\npipeline: p{index}\nselector: {{shard: s{index % 4}}}\n"


def repository(pipelines: int, cores: int) -> list[RepoFile]:
    """The files of the synthetic repository, as the readers hand them to the parser."""
    files = [RepoFile(f"cores/core-{i}.yaml", core(i).encode()) for i in range(cores)]
    for i in range(pipelines):
        text = pipeline(i)
        parts = text.split("---\n")
        files.append(RepoFile(f"registry/streams/p{i}.yaml", "---\n".join(parts[:2]).encode()))
        files.append(RepoFile(f"registry/connectors/p{i}.yaml", "---\n".join(parts[2:4]).encode()))
        files.append(RepoFile(f"registry/tasks/p{i}.yaml", parts[4].encode()))
        files.append(RepoFile(f"registry/pipelines/p{i}.yaml", parts[5].encode()))
        files.append(RepoFile(f"assignments/p{i}.yaml", assignment(i).encode()))
    return files
