"""The imperative shell: every side effect, done once and late, around the deciding core.

The boundaries, each a sub-package that imports none of the others:

- `repo/`: the Git source, reading files, the declared state by revision, the report writer.
- `core/`: the Core client (`docs/core-client.md`).
- `ledger/`: the `Ledger` and `Lease` protocols and their backends.

Around them, in the order of a pass:

- `clock`, `config`, `httpauth`: the one clock, the one settings object, and the credentials
  the daemon's HTTP routes ask for.
- `intake`: new commits to recorded requests, exactly once.
- `deployer`, `actions`: a Deploy All plan or a Core Action carried out, every failure an outcome.
- `reconcile`: the one orchestrator, a pass as a numbered story; `listeners`: what observes it.
- `session`: the lease taken and the parts opened for `once` and the daemon.
- `daemon/`: triggers, schedules, signals, HTTP endpoints and the metrics listener.
- `workspace`: a person's checkout for the commands without a daemon (`plan`, `status`,
  `action`).
- `logs`, `demo`: log output, and the embedded default.
"""
