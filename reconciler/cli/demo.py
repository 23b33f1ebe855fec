"""`reconciler demo [--dir DIR]`: the embedded default (SPEC §8), until Ctrl-C.

Three reference Cores, a bare origin made from the shipped example repository, a working clone
for the person, and the daemon on the origin in this process. Once the first report is written
it prints the live page's URL first, then the next steps as commands to paste: assign, Deploy
All, start, events flowing, drift.
Ctrl-C (or SIGTERM) stops the daemon, then the Cores; DIR stays. The steps go to standard output,
the daemon's log to standard error. I/O module (the terminal, processes).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from reconciler.cli import environment
from reconciler.resources import data_path
from reconciler.shell import demo, logs
from reconciler.shell.config import Config
from reconciler.shell.daemon import service

READBACK = "2s"
FETCH = "30s"


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo",
        help="run three reference Cores, a Git origin and the daemon, and show what to try",
        description="Start the whole product on this machine in DIR and print the next steps.",
    )
    parser.add_argument(
        "--dir", dest="folder", type=Path, help="a new or empty folder (default: a temporary one)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    folder = args.folder or Path(tempfile.mkdtemp(prefix="reconciler-demo-"))
    example = data_path("example-repo")
    world = demo.plan(folder, example)
    logs.configure("text")
    return asyncio.run(run_demo(world, example))


async def run_demo(world: demo.Demo, example: Path) -> int:
    cores = demo.CoreProcesses(world)
    try:
        await cores.start()
        await asyncio.to_thread(demo.make_repositories, world, example)
        config = environment.build(
            argparse.Namespace(
                repo_source=str(world.origin),
                state_dir=str(world.state),
                listen="127.0.0.1:0",
                interval=FETCH,
                readback_interval=READBACK,
                token_dir=[str(world.tokens)],
            ),
        )
        await service.serve(config, lambda url: print(next_steps(world, url, config), flush=True))
    finally:
        await cores.stop()
    print(f"\nThe demo stopped. Everything it made is still in {world.folder}", flush=True)
    return 0


STEPS = """
Open {url}/ in a browser: Management → Pipelines, live (it follows every step below).

reconciler demo: three reference Cores, a Git origin and the daemon are running.

{cores}
  origin          {origin}  (the daemon's SOURCE: it sees a push within a second)
  your clone      {work}
  daemon          {url}  (/api/status /metrics; Cores read back every {every} s)

Try it in another terminal; every line after a $ can be pasted as it is.

  $ cd {work}
  $ export RECONCILER_TOKEN_DIRS={tokens}  # Core files may name token files only in here
  (git publish, set up in this clone by the demo: pull --rebase, then push; again if a report
  commit of the daemon landed in between)

1. The first report is in Git: every assigned pipeline waits for a Deploy All.
  $ git pull -q && head -n 16 status/README.md
  $ {status}
  -> auth-detect, central-alerts, fw-drops, syslog-archive, web-errors: Pending deployment

2. Assign: web-errors runs on every edge Core (a label selector); put it on central-1 as well.
  $ printf '{assignment}' > assignments/web-errors.yaml
  $ git commit -qam "Assign web-errors to central-1 too" && {push}
  $ {status}
  -> web-errors: Pending deployment, with a cell for central-1

3. Deploy All: commit a marker and push it; the daemon deploys the state at that commit.
  $ git pull -q --rebase && reconciler deploy-all --reason "First rollout" && git publish
  $ {status}
  -> every assigned pipeline: Ready to start (deployed, stopped); the page turns by itself

4. Start web-errors on its Cores: sinks first, then the task, then the source.
  $ reconciler action start web-errors --state-dir {state}
  $ {status}
  -> web-errors: Running

5. Events flowing: write an access-log line on edge-eu-1, read the filtered event.
  $ echo '{line}' >> {access_log}
  $ cat {output}
  -> {event}

6. Drift: delete a component on edge-us-1 behind the reconciler's back.
  $ {drift}
  $ {status}
  -> fw-drops: Drift detected (deployment-drift); another Deploy All (step 3) repairs it
  -> {url}/pipelines/fw-drops shows what drifted; {url}/plan what a Deploy All would do

7. The daemon keeps the report in Git current; it commits only when the content changes.
  $ git pull -q && cat status/README.md

Ctrl-C here stops the daemon and the Cores; {folder} stays for you to look at.
"""
ASSIGNMENT = (
    "apiVersion: reconciler/v1\\nkind: Assignment\\npipeline: web-errors\\n"
    "selector: {tier: edge}\\ncores: [central-1]\\n"
)
ACCESS_LINE = '{"time": "10:00:02", "host": "web-1", "path": "/api", "status": 503}'
EVENT = '{"time": "10:00:02", "host": "web-1", "path": "/api", "status": 503, "severity": "error"}'


def next_steps(world: demo.Demo, url: str, config: Config) -> str:
    """The walkthrough printed once the first report is written; every `$` line can be pasted."""
    edge_eu, edge_us = world.core("edge-eu-1"), world.core("edge-us-1")
    drift = (
        f'curl -s -X DELETE -H "Authorization: Bearer $(cat {edge_us.token_file})" '
        f"{edge_us.url}/api/v1/connectors/fw-drops-out"
    )
    return STEPS.format(
        cores="\n".join(f"  Core {c.name:<10} {c.url}  ({c.folder})" for c in world.cores),
        origin=world.origin,
        work=world.work,
        tokens=world.tokens,
        url=url,
        every=f"{config.readback_interval:g}",
        status=f"reconciler status --state-dir {world.state}",
        assignment=ASSIGNMENT,
        push="git publish",
        state=world.state,
        line=ACCESS_LINE,
        access_log=edge_eu.data_dir / "logs" / "access.log",
        output=edge_eu.data_dir / "out" / "web-errors.jsonl",
        event=EVENT,
        drift=drift,
        folder=world.folder,
    )
