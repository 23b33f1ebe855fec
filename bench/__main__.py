"""`python -m bench [--quick] [--scale F] [--only NAME …] [--keep DIR]`: every target, one table.

Each group of scenarios builds its repository and fleet on the fly, measures the reconciler and
its floor or peer side by side, and hands back its rows; the table follows, then
`targets met: X/Y`. Every process the harness starts is stopped on the way out, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import deploying, fleetwide, idle, passes
from bench.measure import Row, table
from bench.scale import Plan

GROUPS: dict[str, Callable[[Plan], list[Row]]] = {
    "passes": passes.run,
    "fleetwide": fleetwide.run,
    "deploy": deploying.run,
    "idle": idle.run,
}
"""Scenario groups by name, in the order they run; each shares one repository and fleet."""
QUICK = 0.02
"""The quick run's share of the full sizes: 200 pipelines / 10 Cores for the large fleet."""


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help=f"sizes {QUICK:g} of the full ones, one idle round"
    )
    parser.add_argument("--scale", type=float, help="sizes as a share of the full ones")
    parser.add_argument("--runs", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument("--only", nargs="+", choices=sorted(GROUPS), help="run these groups only")
    parser.add_argument("--keep", type=Path, help="work in DIR and keep it (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.scale is not None and not 0 < args.scale <= 1:
        parser.error("--scale must be a share above 0 and at most 1")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def main(argv: list[str]) -> int:
    args = arguments(argv)
    scale = args.scale if args.scale is not None else QUICK if args.quick else 1.0
    root = args.keep or Path(tempfile.mkdtemp(prefix="bench-"))
    root.mkdir(parents=True, exist_ok=True)
    plan = Plan(root.resolve(), scale, args.runs, idle_rounds=1 if args.quick else 4)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows: list[Row] = []
    try:
        for name in args.only or list(GROUPS):
            started = time.perf_counter()
            rows += GROUPS[name](plan)
            print(f"bench: {name} done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
