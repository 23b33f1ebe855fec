"""A GitOps reconciler for stream-processing pipelines on PADAS-style Cores.

Layout (the boundary between deciding and doing is the package boundary):

- `reconciler.decide`: the pure core. Parse declared state, resolve, fingerprint, rows and tags,
  markers, plans, Core Action rules, reports. Values in, values out; no network, disk, clock or
  logging.
- `reconciler.shell`: the I/O shell. Its boundaries (`repo`, `core`, `ledger`) stand alone;
  around them the deployer, Core Actions, the one-pass orchestrator, its listeners, the daemon.
- `reconciler.refcore`: the reference Core, a real engine to develop and test against.
- `reconciler.cli`: the command line, which builds settings once and calls into the shell.
"""

__version__ = "0.1.0"
